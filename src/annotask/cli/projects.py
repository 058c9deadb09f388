"""``annotask project``: create projects from definition files, list them, show one."""

from __future__ import annotations

from typing import Annotated

import typer

from annotask.cli.render import project_view, projects_table
from annotask.cli.session import get_session
from annotask.workflow.vocabulary import Role

__all__ = ["app"]

app = typer.Typer(
    help="Projects: datasets + an ontology + a workflow of stages.", no_args_is_help=True
)


@app.command("create")
def create(
    ctx: typer.Context,
    *,
    title: Annotated[
        str, typer.Option("--title", "-t", metavar="TITLE", help="The project's title.")
    ],
    dataset: Annotated[
        list[str],
        typer.Option(
            "--dataset", "-d", metavar="DATASET", help="Dataset hash or title; repeatable."
        ),
    ],
    ontology: Annotated[
        str,
        typer.Option(
            "--ontology",
            "-o",
            metavar="FILE",
            help="Ontology YAML/JSON file (or a stored ontology hash).",
        ),
    ],
    workflow: Annotated[
        str, typer.Option("--workflow", "-w", metavar="FILE", help="Workflow YAML/JSON file.")
    ],
    description: Annotated[
        str, typer.Option("--description", metavar="TEXT", help="Free text.")
    ] = "",
) -> None:
    """Make a project: one task per data item, at the workflow's start stage; prints its hash."""
    session = get_session(ctx)
    project = session.client().create_project(
        title, datasets=dataset, ontology=ontology, workflow=workflow, description=description
    )
    tasks = sum(sum(c.values()) for c in project.task_counts().values())
    session.note(
        f"created {project.what} with {tasks} task(s) in stage {project.start_stage.name!r}"
    )
    session.say(project.project_hash)


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """The projects you are a member of, with their task counts."""
    session = get_session(ctx)
    rows = [
        (p, sum(sum(c.values()) for c in p.task_counts().values()))
        for p in session.client().list_projects()
    ]
    session.out.print(projects_table(rows))


@app.command("show")
def show(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(metavar="PROJECT", help="Project hash or title.")],
) -> None:
    """A project's header, its workflow with task counts per stage, datasets and members."""
    session = get_session(ctx)
    found = session.client().get_project(project)
    datasets = [(d, d.item_count()) for d in found.datasets]
    session.out.print(project_view(found, found.task_counts(), datasets, found.members()))


@app.command("add-member")
def add_member(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(metavar="PROJECT", help="Project hash or title.")],
    user: Annotated[str, typer.Argument(metavar="USER", help="The user to add.")],
    role: Annotated[Role, typer.Option("--role", "-r", help="Their role.")] = Role.ANNOTATOR,
) -> None:
    """Give a user a role on a project (owners and admins), e.g. to assign tasks to them."""
    session = get_session(ctx)
    found = session.client().get_project(project)
    found.add_member(user, role)
    session.say(f"{user!r} is now {role.value} of {found.what}")


def describe_footprint(counts: dict[str, int]) -> str:
    """``12 tasks, 40 events, …`` for what a deletion removes."""
    return ", ".join(f"{n} {what}" for what, n in counts.items())


@app.command("delete")
def delete(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(metavar="PROJECT", help="Project hash or title.")],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Delete; without it, only say what would go.")
    ] = False,
    drop_labels: Annotated[
        bool,
        typer.Option("--drop-labels", help="Delete even if label rows have saved labels."),
    ] = False,
) -> None:
    """Delete a project: its workflow, tasks, events and labels (datasets stay). Says what
    would go; deletes only with --yes, and saved labels only with --drop-labels too."""
    session = get_session(ctx)
    found = session.client().get_project(project)
    if not yes:
        footprint = describe_footprint(found.deletion_footprint())
        session.say(f"would delete {found.what}: {footprint}; datasets and items stay")
        session.note("nothing was deleted; run again with --yes to delete")
        return
    gone = found.delete(drop_labels=drop_labels)
    session.say(f"deleted {found.what}: {describe_footprint(gone)}")
