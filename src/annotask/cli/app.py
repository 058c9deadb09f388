"""The root ``annotask`` app: global options, and every command group registered in one place."""

from __future__ import annotations

from typing import Annotated

import typer

from annotask import help_format
from annotask.cli import (
    agent_file,
    datasets,
    db,
    demo,
    dispatch,
    events,
    exporting,
    importing,
    labels,
    projects,
    serve,
    tasks,
    users,
)
from annotask.cli.errors import AnnotaskGroup
from annotask.cli.session import Session, configure_logging

__all__ = ["app", "main"]

help_format.install()

app = typer.Typer(
    name="annotask",
    cls=AnnotaskGroup,
    help="Task agents for annotation workflows, on an embedded workflow platform.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _print_version(value: bool) -> None:
    if value:
        from annotask import __version__  # noqa: PLC0415 - only when asked

        typer.echo(f"annotask {__version__}")
        raise typer.Exit


@app.callback()
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


def _register(root: typer.Typer) -> None:
    """Every command and command group of the CLI; later ones (run, demo, dispatch) are
    added here the same way, one module each."""
    root.command("init")(db.init)
    root.add_typer(db.app, name="db")
    root.add_typer(datasets.app, name="dataset")
    root.add_typer(projects.app, name="project")
    root.add_typer(tasks.app, name="tasks")
    root.command(
        "run",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
    )(agent_file.run)
    root.add_typer(labels.app, name="labels")
    root.command("export")(exporting.export)
    root.command("import")(importing.import_)
    root.command("demo")(demo.demo)
    root.command("dispatch")(dispatch.dispatch)
    root.command("events")(events.events)
    root.command("serve")(serve.serve)
    root.add_typer(users.app, name="users")


_register(app)


def main() -> None:
    """Entry point of the ``annotask`` console script and ``python -m annotask``."""
    app(prog_name="annotask")
