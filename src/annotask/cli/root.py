"""The root ``annotask`` app: global options, and every command group registered in one place."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from annotask import help_format
from annotask.cli.errors import AnnotaskGroup
from annotask.cli.session import Session, configure_logging

__all__ = ["build_app", "main"]

help_format.install()


def _print_version(value: bool) -> None:
    if value:
        from annotask import __version__  # noqa: PLC0415 - only when asked

        typer.echo(f"annotask {__version__}")
        raise typer.Exit


def _root(
    ctx: typer.Context,
    db_url: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Store URL (default: $ANNOTASK_DATABASE_URL, else sqlite:///annotask.db).",
            show_default=False,
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            metavar="NAME",
            help="Act as this user (default: $ANNOTASK_USER, else your login name).",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log progress; show tracebacks on errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version; exit."
        ),
    ] = False,
) -> None:
    session = Session(url=db_url, user=user, verbose=verbose)
    ctx.obj = session
    ctx.call_on_close(session.close)
    ctx.call_on_close(configure_logging(session.err, verbose))


_RUN_SETTINGS: dict[str, Any] = {
    "context_settings": {"allow_extra_args": True, "ignore_unknown_options": True},
    "add_help_option": False,
}

# name -> (module under annotask.cli, attribute, is a group, command settings), in help order
_COMMANDS: dict[str, tuple[str, str, bool, dict[str, Any]]] = {
    "init": ("db", "init", False, {}),
    "db": ("db", "app", True, {}),
    "dataset": ("datasets", "app", True, {}),
    "project": ("projects", "app", True, {}),
    "tasks": ("tasks", "app", True, {}),
    "run": ("agent_file", "run", False, _RUN_SETTINGS),
    "labels": ("labels", "app", True, {}),
    "export": ("exporting", "export", False, {}),
    "import": ("importing", "import_", False, {}),
    "demo": ("demo", "demo", False, {}),
    "dispatch": ("dispatch", "dispatch", False, {}),
    "events": ("events", "events", False, {}),
    "serve": ("serve", "serve", False, {}),
    "users": ("users", "app", True, {}),
}

_VALUE_OPTIONS = ("--db", "--user")


def build_app(only: str | None = None) -> typer.Typer:
    """The root app with every command, or with just the command ``only`` (what one
    invocation runs: the other command modules are then not imported or built)."""
    root = typer.Typer(
        name="annotask",
        cls=AnnotaskGroup,
        help="Task agents for annotation workflows, on an embedded workflow platform.",
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
    )
    root.callback()(_root)
    for name, (module, attribute, group, settings) in _COMMANDS.items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(f"annotask.cli.{module}"), attribute)
        if group:
            root.add_typer(target, name=name)
        else:
            root.command(name, **settings)(target)
    return root


def invoked_command(args: Sequence[str]) -> str | None:
    """The command an argument list names (after the root options), if it is one of ours."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg if arg in _COMMANDS else None
        elif arg in ("--help", "--version"):
            return None
    return None


def main() -> None:
    """Entry point of the ``annotask`` console script and ``python -m annotask``: builds only
    the command invoked (all of them for ``--help``, a typo or no command)."""
    build_app(only=invoked_command(sys.argv[1:]))(prog_name="annotask")
