"""``runner.run()``: the options of ``Runner.__call__`` as a command line, plus ``--db``,
``--user``, ``--dry-run`` and ``--verbose``. ``annotask run agent.py`` uses the same."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import click
import typer
from rich.console import Console
from rich.table import Table
from rich.traceback import Traceback

from annotask import help_format
from annotask.client import Client
from annotask.console_output import console_handler, is_console_handler, make_console
from annotask.errors import AnnotaskError
from annotask.store import default_url, missing_store, store_exists
from annotask.tasks.report import RunReport

if TYPE_CHECKING:
    from annotask.tasks.runner.sequential_runner import SequentialRunner

__all__ = ["EXIT_INTERRUPTED", "run_command", "runner_command"]

EXIT_INTERRUPTED = 130


def _existing_store_client(url: str | None, user: str | None) -> Client:
    """A client on ``url`` (else the default store) as ``user``; a store that is not there is
    an error rather than a new empty one, since agents have no project to work on there."""
    url = url or default_url()
    if not store_exists(url):
        raise missing_store(url)
    return Client(url, user=user)


def runner_command(
    runner: SequentialRunner, *, db: str | None = None, user: str | None = None
) -> typer.Typer:
    """A Typer app that runs ``runner`` with options from the command line."""
    help_format.install()
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.command(help="Run the agents of this file on their project's agent stages.")
    def main(  # noqa: PLR0917 - Typer maps parameters to options
        refresh_every: Annotated[
            int | None,
            typer.Option(
                help="Poll for new tasks every this many seconds; without it, stop when the "
                "stages are empty."
            ),
        ] = None,
        num_retries: Annotated[
            int, typer.Option(help="How many times to retry a task whose agent raised.")
        ] = 3,
        task_batch_size: Annotated[
            int, typer.Option(help="Tasks claimed, loaded and committed together.")
        ] = 300,
        project_hash: Annotated[
            str | None,
            typer.Option(
                help="The project (hash or title); overrides the one the runner was made with."
            ),
        ] = None,
        max_tasks_per_stage: Annotated[
            int | None,
            typer.Option(help="At most this many tasks per stage per pass (default: all)."),
        ] = None,
        db_url: Annotated[
            str | None,
            typer.Option(
                "--db",
                metavar="URL",
                help="Store URL (default: $ANNOTASK_DATABASE_URL, else sqlite:///annotask.db).",
            ),
        ] = db,
        as_user: Annotated[
            str | None,
            typer.Option("--user", metavar="NAME", help="Run as this user."),
        ] = user,
        max_concurrency: Annotated[
            int | None,
            typer.Option(help="Tasks an async agent works on at once (default: the runner's, 16)."),
        ] = None,
        threads: Annotated[
            int | None,
            typer.Option(help="Run blocking (def) agents on this many threads."),
        ] = None,
        metrics_port: Annotated[
            int | None,
            typer.Option(
                metavar="PORT",
                help="Serve Prometheus metrics on this port (http://HOST:PORT/metrics).",
            ),
        ] = None,
        dry_run: Annotated[
            bool,
            typer.Option(
                "--dry-run",
                help="Run each agent once per task and show what the task would get; commit "
                "nothing, hold no lease.",
            ),
        ] = False,
        verbose: Annotated[
            bool, typer.Option("--verbose", "-v", help="Debug logging; tracebacks on errors.")
        ] = False,
    ) -> None:
        err = make_console(stderr=True)
        out = make_console(stderr=False)
        _configure_logging(err, verbose)
        try:
            if db_url is not None or as_user is not None or not runner.has_client:
                runner.use_client(_existing_store_client(db_url, as_user))
            if metrics_port is not None:
                from annotask.tasks.metrics import serve_metrics  # noqa: PLC0415 - on demand

                runner.add_hook(serve_metrics(metrics_port))
            with _stop_on_sigterm():
                report = runner(
                    refresh_every=refresh_every,
                    num_retries=0 if dry_run else num_retries,
                    task_batch_size=task_batch_size,
                    project_hash=project_hash,
                    max_tasks_per_stage=max_tasks_per_stage,
                    dry_run=dry_run,
                    max_concurrency=max_concurrency,
                    threads=threads,
                )
        except AnnotaskError as exc:
            if verbose:
                err.print(Traceback.from_exception(type(exc), exc, exc.__traceback__))
            err.print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from exc
        except KeyboardInterrupt:
            err.print("interrupted: finished tasks were committed, the rest released")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        _print_report(out, report, dry_run)

    return app


def run_command(
    runner: SequentialRunner,
    args: Sequence[str] | None = None,
    *,
    db: str | None = None,
    user: str | None = None,
    prog_name: str | None = None,
    exit_when_done: bool = False,
) -> None:
    """Parse ``args`` (default: ``sys.argv[1:]``) and run. Errors exit like a command does;
    with ``exit_when_done`` success does too (``SystemExit(0)``), else it returns."""
    app = runner_command(runner, db=db, user=user)
    command = typer.main.get_command(app)
    if exit_when_done:
        command.main(
            args=list(sys.argv[1:] if args is None else args),
            prog_name=prog_name or sys.argv[0],
            standalone_mode=True,
        )
        raise SystemExit(0)  # pragma: no cover - standalone mode always exits
    try:
        command.main(
            args=list(sys.argv[1:] if args is None else args),
            prog_name=prog_name or sys.argv[0],
            standalone_mode=True,
        )
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    except click.exceptions.Exit:
        pass


@contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """Treat SIGTERM (systemd, Kubernetes, ``kill``) like Ctrl-C while the runner runs:
    commit what finished, release the rest, exit."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _configure_logging(console: Console, verbose: bool) -> None:
    """Progress and warnings on stderr (debug lines with ``verbose``), also when the
    ``annotask`` command already set up a quieter handler."""
    logger = logging.getLogger("annotask")
    level = logging.DEBUG if verbose else logging.INFO
    handlers = [h for h in logger.handlers if is_console_handler(h)]
    if not handlers:
        handlers = [console_handler(console)]
        logger.addHandler(handlers[0])
    for handler in handlers:
        handler.setLevel(min(handler.level or level, level))
    logger.setLevel(level)


def _print_report(console: Console, report: RunReport, dry_run: bool) -> None:
    if dry_run:
        table = Table(title="dry run: nothing was committed")
        for column in ("stage", "data", "pathway", "→ stage", "priority", "objects", "error"):
            table.add_column(column)
        for plan in report.planned:
            error = plan.error.strip().splitlines()[-1] if plan.error else ""
            table.add_row(
                plan.stage,
                plan.data_title,
                plan.pathway or "(stays)",
                plan.destination or "",
                "" if plan.priority is None else f"{plan.priority:.2f}",
                "" if plan.objects is None else str(plan.objects),
                error,
            )
        console.print(table)
        return
    table = Table(title="run summary")
    for column in ("stage", "done", "moved", "stayed", "failed", "lost", "tasks/s"):
        table.add_column(column)
    for stage in report.stages:
        moved = ", ".join(f"{n} → {p}" for p, n in sorted(stage.moved.items())) or "0"
        table.add_row(
            stage.stage,
            str(stage.attempted),
            moved,
            str(stage.stayed),
            str(stage.failed),
            str(stage.lost),
            f"{stage.rate:.0f}",
        )
    console.print(table)
