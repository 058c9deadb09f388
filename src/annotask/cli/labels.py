"""``annotask labels``: a data item's saved label versions, and reverting to one."""

from __future__ import annotations

from typing import Annotated

import typer

from annotask.cli.args import BranchOpt, DataArg, ProjectArg
from annotask.cli.render import label_history_table, labels_view
from annotask.cli.session import get_session

__all__ = ["app"]

app = typer.Typer(
    help="Label rows: show the current labels; every save is a version; list them, go back to one.",
    no_args_is_help=True,
)


@app.command("show")
def show(
    ctx: typer.Context, project: ProjectArg, data: DataArg, branch: BranchOpt = "main"
) -> None:
    """A data item's current labels: objects and classifications per frame, their classes,
    confidences and who made them."""
    session = get_session(ctx)
    row = session.client().get_project(project).get_label_row(data, branch_name=branch)
    row.initialise_labels()
    session.out.print(labels_view(row))


@app.command("history")
def history(
    ctx: typer.Context, project: ProjectArg, data: DataArg, branch: BranchOpt = "main"
) -> None:
    """Every saved version of a data item's labels: version, who, when, stage."""
    session = get_session(ctx)
    row = session.client().get_project(project).get_label_row(data, branch_name=branch)
    versions = row.history()
    if not versions:
        on = "" if branch == "main" else f" on branch {branch!r}"
        session.say(f"the labels of {row.data_title!r}{on} were never saved")
        return
    session.out.print(label_history_table(row.data_title, versions))


@app.command("revert")
def revert(
    ctx: typer.Context,
    project: ProjectArg,
    data: DataArg,
    to: Annotated[
        int,
        typer.Option("--to", metavar="VERSION", min=1, help="The version to bring back."),
    ],
    branch: BranchOpt = "main",
) -> None:
    """Save an earlier version's labels as a new version; later versions stay in the history."""
    session = get_session(ctx)
    found = session.client().get_project(project)
    row = found.get_label_row(data, branch_name=branch)
    version = found.revert_label_row(row.data_hash, to, branch_name=branch)
    session.say(f"labels of {row.data_title!r}: version {to} restored as version {version}")
