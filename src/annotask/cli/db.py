"""``annotask init`` and ``annotask db``: creating and migrating the store."""

from __future__ import annotations

import typer

from annotask.cli.session import get_session, where

__all__ = ["app", "init"]

app = typer.Typer(help="Manage the store's database.", no_args_is_help=True)


def init(ctx: typer.Context) -> None:
    """Create the store (or bring it up to date) at --db and say where it is."""
    from annotask.store import head_revision  # noqa: PLC0415 - keeps `annotask --help` fast

    session = get_session(ctx)
    client = session.client(create=True)
    session.say(
        f"annotask store ready at {where(client.url)}, schema revision {head_revision()}, "
        f"acting as {client.user!r}"
    )


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Apply the schema migrations this version of annotask knows."""
    from annotask.store import default_url, head_revision, open_store  # noqa: PLC0415

    session = get_session(ctx)
    url = session.url or default_url()
    store = open_store(url)
    store.close()
    session.say(f"database {where(url)} is at schema revision {head_revision()}")
