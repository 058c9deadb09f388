"""``annotask demo [FOLDER] [--fresh]``: a real pre-labeling run, offline, in its own folder."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from annotask.cli.session import get_session
from annotask.client.client import USER_ENV
from annotask.errors import AnnotaskError

if TYPE_CHECKING:
    from annotask.demo.pipeline import DemoRun

__all__ = ["DEFAULT_FOLDER", "demo"]

DEFAULT_FOLDER = Path("annotask-demo")


def demo(
    ctx: typer.Context,
    folder: Annotated[
        Path,
        typer.Argument(help="Where the demo keeps its store, media and previews."),
    ] = DEFAULT_FOLDER,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Remove what an earlier demo made here; start over.")
    ] = False,
) -> None:
    """Make a demo project (photos, rendered scenes, a video), pre-label it with a face and
    shape detector, and draw the boxes. Runs offline; running it again changes nothing."""
    session = get_session(ctx)
    if session.url is not None:
        session.note(f"the demo keeps its own store in {folder}; --db is not used")
    try:
        from annotask.demo.pipeline import run_demo  # noqa: PLC0415 - needs the demo extra
    except ImportError as exc:
        raise AnnotaskError(
            f"the demo needs OpenCV and scikit-image ({exc.name} is missing): "
            "pip install 'annotask[demo]'"
        ) from exc
    result = run_demo(folder, fresh=fresh, user=session.user)
    _print_summary(session.out, result, _owner(session.user))


def _owner(user: str | None) -> str:
    """The user the demo acted as (the same default as every client)."""
    return user or os.environ.get(USER_ENV) or getpass.getuser()


def _print_summary(out: Console, run: DemoRun, owner: str) -> None:
    title, root = escape(run.project_title), escape(str(run.root))
    if run.created:
        out.print(f"[bold]annotask demo[/bold]: made project [cyan]{title}[/cyan] in {root}")
    else:
        out.print(
            f"[bold]annotask demo[/bold]: the demo workspace in {root} exists (project "
            f"[cyan]{title}[/cyan]); here is its state. [green]annotask demo --fresh[/green] "
            "starts over."
        )
    out.print(_stages_table(run))
    out.print(_items_table(run))
    out.print(_objects_table(run))
    _print_timing(out, run)
    _print_previews(out, run)
    db = run.store_url
    out.print(
        f'\nLook around: [green]annotask --db {escape(db)} tasks list "{title}"[/green]',
        highlight=False,
        soft_wrap=True,
    )
    out.print(
        f"Serve it over HTTP: [green]annotask --db {escape(db)} users passwd "
        f"{escape(owner)}[/green] once, then [green]annotask --db {escape(db)} serve[/green] "
        "and log in as "
        f"{escape(owner)} (API docs at /docs)",
        highlight=False,
        soft_wrap=True,
    )


def _stages_table(run: DemoRun) -> Table:
    table = Table(title="tasks per stage")
    table.add_column("stage")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    for stage, after in run.after.items():
        table.add_row(stage, str(run.before.get(stage, 0)), str(after))
    return table


def _items_table(run: DemoRun) -> Table:
    table = Table(title="label rows")
    for column in ("item", "kind", "objects", "frames", "priority", "stage"):
        table.add_column(column, justify="right" if column in ("frames", "priority") else "left")
    for item in run.items:
        objects = ", ".join(f"{n} {name}" for name, n in item.objects.items()) or "-"
        priority = "" if item.priority is None else f"{item.priority:.2f}"
        table.add_row(item.name, item.kind, objects, str(item.frames), priority, item.stage)
    return table


def _objects_table(run: DemoRun) -> Table:
    table = Table(title="objects found")
    table.add_column("class")
    table.add_column("objects", justify="right")
    for name, count in run.objects.items():
        table.add_row(name, str(count))
    table.add_row("[bold]all[/bold]", f"[bold]{run.total_objects}[/bold]")
    return table


def _print_timing(out: Console, run: DemoRun) -> None:
    report = run.report
    setup = "made the workspace" if run.created else "opened the workspace"
    if report.attempted:
        rate = report.attempted / run.agent_seconds if run.agent_seconds > 0 else 0.0
        did = (
            f"pre-labeled {report.attempted} task(s) in {run.agent_seconds:.1f} s "
            f"({rate:.1f} tasks/s), {report.failed} failed"
        )
    else:
        did = "no task was waiting in Pre-label: nothing to do"
    out.print(f"Time: {setup} in {run.setup_seconds:.1f} s; {did}.", highlight=False)


def _print_previews(out: Console, run: DemoRun) -> None:
    folder = run.contact_sheet.parent
    kept = "" if run.previews_written else " (kept from the earlier run)"
    out.print(
        f"Previews: {len(run.previews)} PNGs with the boxes drawn in {folder}{kept}; "
        f"all of them on one sheet: {run.contact_sheet}",
        highlight=False,
        soft_wrap=True,
    )
