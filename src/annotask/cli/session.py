"""What one invocation of the CLI carries: the store URL, the acting user, consoles, a client."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from annotask.console_output import console_handler, make_console

if TYPE_CHECKING:
    from annotask.client import Client

__all__ = [
    "Session",
    "configure_logging",
    "get_session",
    "make_console",
    "where",
]


@dataclass
class Session:
    """Global options of one invocation; the client is opened on first use and closed at exit."""

    url: str | None
    user: str | None
    verbose: bool
    out: Console = field(default_factory=lambda: make_console(stderr=False))
    err: Console = field(default_factory=lambda: make_console(stderr=True))
    _client: Client | None = None

    def client(self, *, create: bool = False) -> Client:
        """The client for ``--db`` as ``--user``, opening (and migrating) the store once.

        Without ``create`` a store that does not exist is an error naming where it was
        looked for; with it (commands that write) a new store is made and announced.
        """
        if self._client is None:
            from annotask.client import Client  # noqa: PLC0415 - keeps `annotask --help` fast
            from annotask.store import default_url, missing_store, store_exists  # noqa: PLC0415

            url = self.url or default_url()
            existed = store_exists(url)
            if not existed and not create:
                raise missing_store(url)
            self._client = Client(url, user=self.user)
            if not existed:
                self.note(f"created a new annotask store at {where(url)}")
        return self._client

    def say(self, text: str) -> None:
        """Print a result line on stdout, as is (no markup, highlighting or wrapping)."""
        self.out.print(text, markup=False, highlight=False, soft_wrap=True)

    def note(self, text: str) -> None:
        """Print a remark on stderr, leaving stdout to the result."""
        self.err.print(text, markup=False, highlight=False, soft_wrap=True)

    def close(self) -> None:
        """Release the store, if it was opened."""
        if self._client is not None:
            self._client.close()
            self._client = None


def where(url: str) -> str:
    """A store URL for messages: password hidden, an SQLite file's absolute path spelled out."""
    from annotask.store import locate_url  # noqa: PLC0415 - keeps `annotask --help` fast

    return locate_url(url)


def get_session(ctx: typer.Context) -> Session:
    """The session the root callback put on the context."""
    session = ctx.find_object(Session)
    if session is None:  # a command invoked without the root app: defaults, closed at exit
        session = Session(url=None, user=None, verbose=False)
        ctx.find_root().obj = session
        ctx.call_on_close(session.close)
    return session


def configure_logging(console: Console, verbose: bool) -> Callable[[], None]:
    """Send annotask's log records to ``console`` (INFO with --verbose, else WARNING).

    Returns the function that undoes it, so in-process runs (tests) leave logging as it was.
    """
    logger = logging.getLogger("annotask")
    level = logging.INFO if verbose else logging.WARNING
    handler = console_handler(console)
    handler.setLevel(level)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous)

    return restore
