"""``annotask init`` and ``annotask db``: creating and migrating the store."""

from __future__ import annotations

from pathlib import Path

import typer

from annotask.cli.session import get_session
from annotask.store import default_url, describe_url, head_revision, open_store

__all__ = ["app", "init"]

app = typer.Typer(help="Manage the store's database.", no_args_is_help=True)


def _where(url: str) -> str:
    """The URL for messages, with an SQLite file's absolute path spelled out."""
    shown = describe_url(url)
    prefix = "sqlite:///"
    path = url.removeprefix(prefix) if url.startswith(prefix) else ""
    if path and path != ":memory:":
        return f"{shown} (file {Path(path).expanduser().resolve()})"
    return shown


def init(ctx: typer.Context) -> None:
    """Create the store (or bring it up to date) at --db and say where it is."""
    session = get_session(ctx)
    client = session.client()
    session.say(
        f"annotask store ready at {_where(client.url)}, schema revision {head_revision()}, "
        f"acting as {client.user!r}"
    )


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Apply the schema migrations this version of annotask knows."""
    session = get_session(ctx)
    url = session.url or default_url()
    store = open_store(url)
    store.close()
    session.say(f"database {_where(url)} is at schema revision {head_revision()}")
