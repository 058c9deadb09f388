"""What one invocation of the CLI carries: the store URL, the acting user, consoles, a client."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import typer
from rich.console import Console
from rich.logging import RichHandler

from annotask.client import Client

__all__ = ["PIPE_WIDTH", "Session", "configure_logging", "get_session", "make_console"]


PIPE_WIDTH = 200


def make_console(*, stderr: bool) -> Console:
    """A console on stdout or stderr; when it is not a terminal and $COLUMNS is unset, tables
    get ``PIPE_WIDTH`` columns instead of 80 so that piped output keeps whole UUIDs."""
    console = Console(stderr=stderr)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console = Console(stderr=stderr, width=PIPE_WIDTH)
    return console


@dataclass
class Session:
    """Global options of one invocation; the client is opened on first use and closed at exit."""

    url: str | None
    user: str | None
    verbose: bool
    out: Console = field(default_factory=lambda: make_console(stderr=False))
    err: Console = field(default_factory=lambda: make_console(stderr=True))
    _client: Client | None = None

    def client(self) -> Client:
        """The client for ``--db`` as ``--user``, opening (and migrating) the store once."""
        if self._client is None:
            self._client = Client(self.url, user=self.user)
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
    handler = RichHandler(console=console, show_time=False, show_path=False, markup=False)
    handler.setLevel(level)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous)

    return restore
