"""``annotask tasks``: list tasks, show one, act on them in human and agent stages, retry
failures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import typer

from annotask.cli.args import ProjectArg
from annotask.cli.render import task_view, tasks_table, tasks_text
from annotask.cli.session import Session, get_session
from annotask.errors import ValidationError
from annotask.workflow.vocabulary import TaskStatus

if TYPE_CHECKING:
    from annotask.workflow import Pathway, WorkflowStage, WorkflowTask

__all__ = ["app"]

app = typer.Typer(
    help="Tasks: where each data item is in its project's workflow.", no_args_is_help=True
)

TaskArg = Annotated[
    str,
    typer.Argument(
        metavar="TASK", help="Task UUID, or its first characters (4 or more).", show_default=False
    ),
]
ProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project",
        "-p",
        metavar="PROJECT",
        help="Project hash or title (else found from the task's UUID).",
    ),
]


def _find(session: Session, task: str, project: str | None) -> WorkflowTask:
    client = session.client()
    if project is not None:
        return client.get_project(project).get_task(task)
    return client.get_task(task)


def _hint(task: WorkflowTask) -> str:
    """What can be done with a task where it is now, as a command to run."""
    from annotask.workflow import AgentTask, AnnotationTask, ReviewTask  # noqa: PLC0415

    ref = str(task.uuid)
    if isinstance(task, AgentTask):
        names = ", ".join(repr(p.name) for p in task.stage.pathways)
        return f"move it along a pathway with `annotask tasks proceed {ref} PATHWAY` ({names})"
    if isinstance(task, AnnotationTask):
        return f"use `annotask tasks submit {ref}` (or `annotask tasks assign {ref} USER`)"
    if isinstance(task, ReviewTask):
        return f"use `annotask tasks approve {ref}` or `annotask tasks reject {ref}`"
    return f"it is complete; an admin can send it back with `annotask tasks move {ref} STAGE`"


def _wrong_stage(task: WorkflowTask, command: str, acts_on: str) -> ValidationError:
    stage = task.stage
    return ValidationError(
        f"cannot {command} task {task.uuid} ({task.data_title!r}): it is now in "
        f"{stage.stage_type.value} stage {stage.name!r}, and `{command}` acts on tasks in "
        f"{acts_on} stages; {_hint(task)}"
    )


def _report_move(session: Session, task: WorkflowTask, came_from: str, how: str) -> None:
    session.say(f"task {task.uuid} ({task.data_title!r}): {came_from} → {task.stage.name} ({how})")


@app.command("list")
def list_(
    ctx: typer.Context,
    project: ProjectArg,
    stage: Annotated[
        str | None,
        typer.Option("--stage", "-s", metavar="STAGE", help="Only this stage (name or UUID)."),
    ] = None,
    status: Annotated[
        list[TaskStatus] | None,
        typer.Option(
            "--status", help="Only tasks with this status; repeat for several.", show_default=False
        ),
    ] = None,
    failed: Annotated[
        bool, typer.Option("--failed", help="Only tasks with a failure record.")
    ] = False,
) -> None:
    """A project's tasks, highest priority first."""
    session = get_session(ctx)
    found = session.client().get_project(project)
    tasks = found.list_tasks(
        stage=stage,
        status=[s.value for s in status] if status else None,
        failed=True if failed else None,
    )
    if not tasks:
        session.say(f"no tasks of {found.what} match")
        return
    title = f"{found.title}: {len(tasks)} task(s)"
    if session.out.is_terminal:
        session.out.print(tasks_table(title, tasks, width=session.out.width))
    else:
        session.say(tasks_text(title, tasks))


@app.command("show")
def show(ctx: typer.Context, task: TaskArg, project: ProjectOption = None) -> None:
    """One task in full: stage, status, lease, attempts, the whole last error, its events."""
    session = get_session(ctx)
    found = _find(session, task, project)
    events = session.client().get_project(str(found.project_hash)).events(found.uuid)
    session.out.print(task_view(found, events))


@app.command("assign")
def assign(
    ctx: typer.Context,
    task: TaskArg,
    user: Annotated[str, typer.Argument(metavar="USER", help="A project member.")],
    project: ProjectOption = None,
) -> None:
    """Give a task in an annotation or review stage to a project member."""
    from annotask.workflow import AnnotationTask, ReviewTask  # noqa: PLC0415

    session = get_session(ctx)
    found = _find(session, task, project)
    if not isinstance(found, AnnotationTask | ReviewTask):
        raise _wrong_stage(found, "assign", "annotation or review")
    found.assign(user)
    session.say(
        f"task {found.uuid} ({found.data_title!r}) in {found.stage.name!r} assigned to {user!r}"
    )


@app.command("submit")
def submit(ctx: typer.Context, task: TaskArg, project: ProjectOption = None) -> None:
    """Submit an annotation task's labels: it moves along its stage's pathway."""
    from annotask.workflow import AnnotationTask  # noqa: PLC0415

    session = get_session(ctx)
    found = _find(session, task, project)
    if not isinstance(found, AnnotationTask):
        raise _wrong_stage(found, "submit", "annotation")
    came_from = found.stage.name
    found.submit()
    _report_move(session, found, came_from, "submit")


def _review(
    ctx: typer.Context, task: str, project: str | None, verdict: str, comment: str | None = None
) -> None:
    from annotask.workflow import ReviewTask  # noqa: PLC0415

    session = get_session(ctx)
    found = _find(session, task, project)
    if not isinstance(found, ReviewTask):
        raise _wrong_stage(found, verdict, "review")
    came_from = found.stage.name
    if verdict == "approve":
        found.approve()
    else:
        found.reject(comment=comment)
    _report_move(session, found, came_from, verdict)


@app.command("approve")
def approve(ctx: typer.Context, task: TaskArg, project: ProjectOption = None) -> None:
    """Approve a review task: it moves along the 'approve' pathway."""
    _review(ctx, task, project, "approve")


@app.command("reject")
def reject(
    ctx: typer.Context,
    task: TaskArg,
    project: ProjectOption = None,
    comment: Annotated[
        str | None,
        typer.Option("--comment", "-m", help="Why: recorded on the task's event."),
    ] = None,
) -> None:
    """Reject a review task: it moves along the 'reject' pathway."""
    _review(ctx, task, project, "reject", comment)


def _pathway(stage: WorkflowStage, key: str) -> Pathway:
    """A pathway by name, else by UUID; a miss raises PathwayError listing the pathways."""
    if any(p.name == key for p in stage.pathways):
        return stage.get_pathway(name=key)
    try:
        UUID(key)
    except ValueError:
        return stage.get_pathway(name=key)
    return stage.get_pathway(uuid=key)


@app.command("proceed")
def proceed(
    ctx: typer.Context,
    task: TaskArg,
    pathway: Annotated[
        str, typer.Argument(metavar="PATHWAY", help="Pathway name or UUID.", show_default=False)
    ],
    project: ProjectOption = None,
) -> None:
    """Move a task in an agent stage along one of its stage's pathways."""
    from annotask.workflow import AgentTask  # noqa: PLC0415

    session = get_session(ctx)
    found = _find(session, task, project)
    if not isinstance(found, AgentTask):
        raise _wrong_stage(found, "proceed", "agent")
    came_from = found.stage.name
    chosen = _pathway(found.stage, pathway)
    found.proceed(pathway_uuid=chosen.uuid)
    _report_move(session, found, came_from, chosen.name)


@app.command("move")
def move(
    ctx: typer.Context,
    task: TaskArg,
    stage: Annotated[
        str, typer.Argument(metavar="STAGE", help="Target stage name or UUID.", show_default=False)
    ],
    project: ProjectOption = None,
) -> None:
    """Move a task to any stage of its workflow (owners and admins)."""
    session = get_session(ctx)
    found = _find(session, task, project)
    came_from = found.stage.name
    found.move(found.stage.workflow.find_stage(stage))
    _report_move(session, found, came_from, "moved by an admin")


@app.command("retry")
def retry(
    ctx: typer.Context,
    project: ProjectArg,
    tasks: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="TASK",
            help="Task UUIDs or their first characters (default: every failed task).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Clear failure records so runners pick the tasks up again; an unknown task is an error
    and nothing is cleared."""
    session = get_session(ctx)
    found = session.client().get_project(project)
    count = found.retry_failed(tasks or None)
    session.say(f"cleared the failure records of {count} task(s) of {found.what}")
    if tasks and count < len(set(tasks)):
        session.note(f"{len(set(tasks)) - count} of the named task(s) had no failure record")
