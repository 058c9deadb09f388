"""One red line for an annotask error (a traceback too with --verbose), exit status 1."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from annotask.cli.session import Session
from annotask.console_output import make_console
from annotask.errors import AnnotaskError

__all__ = ["EXIT_ERROR", "AnnotaskGroup", "report_error"]

EXIT_ERROR = 1


def report_error(exc: AnnotaskError, console: Console, *, verbose: bool) -> None:
    """Print ``error: <message>`` in red; with ``verbose`` the traceback first."""
    if verbose:
        from rich.traceback import Traceback  # noqa: PLC0415 - loads rich.pretty: only with -v

        console.print(Traceback.from_exception(type(exc), exc, exc.__traceback__, extra_lines=1))
    console.print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)


class AnnotaskGroup(TyperGroup):
    """The root command group: turns an :class:`AnnotaskError` from any command into exit 1."""

    def invoke(self, ctx: Any) -> Any:  # Any: typer's Context type differs across versions
        try:
            return super().invoke(ctx)
        except AnnotaskError as exc:
            session = ctx.obj if isinstance(ctx.obj, Session) else None
            console = session.err if session is not None else make_console(stderr=True)
            report_error(exc, console, verbose=bool(ctx.params.get("verbose")))
            raise typer.Exit(EXIT_ERROR) from exc
