"""``annotask users``: accounts for the HTTP server — users, passwords, API tokens.

Whoever can open the store is trusted here (as for every local command); these commands are
how that person lets others in over HTTP.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from annotask.cli.session import Session, get_session

if TYPE_CHECKING:
    from annotask.client.access import Accounts

__all__ = ["app"]

app = typer.Typer(help="Users of the HTTP server: passwords and API tokens.", no_args_is_help=True)

_STDIN_HELP = "Read the password from the first line of stdin (for scripts)."


def _accounts(session: Session) -> Accounts:
    from annotask.client.access import Accounts  # noqa: PLC0415  (the store loads on use)

    return Accounts(session.client().store)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The user's name.")],
    *,
    admin: Annotated[bool, typer.Option("--admin", help="Make a site admin.")] = False,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help=_STDIN_HELP)] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No password: the user logs in with tokens.")
    ] = False,
) -> None:
    """Make a user who can log in to `annotask serve` (asks for a password)."""
    session = get_session(ctx)
    accounts = _accounts(session)
    accounts.check_name_free(name)
    password = None if no_password else _read_password(password_stdin)
    accounts.create_user(name, password, admin=admin)
    session.say(f"created user {name}{' (admin)' if admin else ''}")


@app.command("passwd")
def passwd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The user's name.")],
    *,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help=_STDIN_HELP)] = False,
) -> None:
    """Set a user's password (their browser sessions end)."""
    session = get_session(ctx)
    accounts = _accounts(session)
    accounts.get_user(name)  # an unknown name is refused before the password is asked for
    accounts.set_password(name, _read_password(password_stdin))
    session.say(f"password of {name} changed")


@app.command("list")
def list_users(ctx: typer.Context) -> None:
    """Every user, whether they have a password, and site admins."""
    session = get_session(ctx)
    for user in _accounts(session).list_users():
        flags = [f for f, on in (("admin", user.is_admin), ("password", user.has_password)) if on]
        session.say(f"{user.name}\t{','.join(flags) or '-'}")


@app.command("token")
def token(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The user's name.")],
    *,
    label: Annotated[
        str, typer.Option("--name", metavar="LABEL", help="What the token is for.")
    ] = "api",
) -> None:
    """Make an API token for a user; it is printed once and stored only as a hash."""
    session = get_session(ctx)
    issued = _accounts(session).issue_token(name, label)
    session.note(
        f"API token {issued.id} ({issued.name}) for {name}; it is shown only now. "
        "Send it as 'Authorization: Bearer <token>'."
    )
    session.say(issued.secret)


@app.command("tokens")
def tokens(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The user's name.")],
) -> None:
    """A user's API tokens: id, name, made, last used (never the secrets)."""
    session = get_session(ctx)
    for info in _accounts(session).list_tokens(name):
        used = info.last_used_at.isoformat(timespec="seconds") if info.last_used_at else "never"
        made = info.created_at.isoformat(timespec="seconds")
        session.say(f"{info.id}\t{info.name}\t{made}\t{used}")


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID", help="From `users tokens`.")],
) -> None:
    """Revoke an API token by id: it stops working at once."""
    session = get_session(ctx)
    _accounts(session).revoke_token(token_id)
    session.say(f"revoked token {token_id}")
