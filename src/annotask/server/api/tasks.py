"""Tasks: filtered, cursor-paged lists; one task with its events; the actions people take.

Every action names the stage the caller saw the task in. A task that has moved since is a
409 whose body says where it is now (``current_stage``), and nothing changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from annotask.client import Project
from annotask.client.event_log import LoggedEvent, events_after
from annotask.client.task_pages import MAX_PAGE, TaskQuery, page_tasks
from annotask.errors import ConflictError, ValidationError
from annotask.server.api.lookup import project_of
from annotask.server.auth import CallerClient
from annotask.server.schemas import (
    ActionBody,
    AssignBody,
    EventOut,
    LeaseOut,
    MoveBody,
    ProceedBody,
    RejectBody,
    TaskDetailOut,
    TaskOut,
    TaskPageOut,
)
from annotask.workflow.stages import WorkflowStage
from annotask.workflow.tasks import AgentTask, WorkflowTask

__all__ = ["event_out", "router", "task_out"]

router = APIRouter(prefix="/api/projects/{project_hash}/tasks", tags=["tasks"])


def task_out(task: WorkflowTask) -> TaskOut:
    """A task as the API shows it."""
    lease = None
    if task.lease_owner is not None and (task.lease_expires_at or 0) > time.time():
        lease = LeaseOut(owner=task.lease_owner, expires_at=task.lease_expires_at or 0.0)
    return TaskOut(
        uuid=task.uuid,
        data_hash=task.data_hash,
        data_title=task.data_title,
        label_hash=task.label_hash,
        stage=task.stage.name,
        stage_uuid=task.stage_uuid,
        stage_type=task.stage.stage_type.value,
        status=task.status.value,
        assignee=task.assignee,
        priority=task.priority,
        attempts=task.attempts,
        last_error=task.last_error,
        lease=lease,
        created_at=task.created_at,
        updated_at=task.updated_at,
        last_actioned_by=task.last_actioned_by,
    )


def event_out(event: LoggedEvent) -> EventOut:
    """An event as the API shows it."""
    return EventOut(
        id=event.id,
        task_uuid=event.task_uuid,
        action=event.action,
        from_stage=event.from_stage,
        to_stage=event.to_stage,
        pathway=event.pathway,
        actor=event.actor,
        at=event.at,
        detail=event.detail,
    )


@router.get("", response_model=TaskPageOut)
def list_tasks(
    project_hash: str,
    client: CallerClient,
    *,
    stage: Annotated[str | None, Query(max_length=500, description="stage name or UUID")] = None,
    status: Annotated[
        list[str] | None, Query(description="new, assigned, failed, completed")
    ] = None,
    assignee: Annotated[str | None, Query(max_length=200)] = None,
    failed: bool | None = None,
    priority_min: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    priority_max: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    last_pathway: Annotated[str | None, Query(max_length=500)] = None,
    q: Annotated[str | None, Query(max_length=500, description="data title contains")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> TaskPageOut:
    """Tasks highest priority first, a page at a time (stable while tasks move)."""
    project = project_of(client, project_hash)
    query = TaskQuery(
        stage=stage,
        status=status,
        assignee=assignee,
        failed=failed,
        priority_min=priority_min,
        priority_max=priority_max,
        last_pathway=last_pathway,
        title_contains=q,
    )
    page = page_tasks(project, query, cursor=cursor, limit=limit)
    return TaskPageOut(tasks=[task_out(t) for t in page.tasks], next_cursor=page.next_cursor)


@router.get("/{task_uuid}", response_model=TaskDetailOut)
def get_task(project_hash: str, task_uuid: UUID, client: CallerClient) -> TaskDetailOut:
    """One task with its lease, failure record and events."""
    project = project_of(client, project_hash)
    task = project.get_task(task_uuid)
    events = events_after(project, 0, task_uuid=str(task.uuid), limit=10_000)
    return TaskDetailOut(**task_out(task).model_dump(), events=[event_out(e) for e in events])


def _moved(task: WorkflowTask, seen: WorkflowStage) -> ConflictError:
    error = ConflictError(
        f"task {task.uuid} ({task.data_title!r}) is no longer in stage {seen.name!r}; it is now "
        f"in {task.stage.name!r}. Nothing was changed; fetch it again from that stage"
    )
    error.problem_extensions = {  # type: ignore[attr-defined]
        "current_stage": task.stage.name,
        "current_stage_uuid": str(task.stage_uuid),
    }
    return error


def _act(
    client: CallerClient,
    project_hash: str,
    task_uuid: UUID,
    seen_stage: str,
    action: Callable[[Project, WorkflowTask], None],
) -> TaskOut:
    project = project_of(client, project_hash)
    seen = project.workflow.find_stage(seen_stage)
    task = project.get_task(task_uuid)
    if task.stage_uuid != seen.uuid:
        raise _moved(task, seen)
    try:
        action(project, task)
    except ConflictError as exc:
        now = project.get_task(task_uuid)
        if now.stage_uuid != seen.uuid:
            raise _moved(now, seen) from exc
        raise
    return task_out(project.get_task(task_uuid))


def _method(task: WorkflowTask, name: str) -> Callable[..., None]:
    method = getattr(task, name, None)
    if not callable(method) or name.startswith("_"):
        raise ValidationError(
            f"cannot {name} task {task.uuid}: it is in {task.stage.stage_type.value} stage "
            f"{task.stage.name!r}, where the actions are {', '.join(_ACTIONS[type(task).__name__])}"
        )
    return method  # type: ignore[no-any-return]


_ACTIONS = {
    "AgentTask": ("proceed", "move", "retry"),
    "AnnotationTask": ("assign", "release", "submit", "move", "retry"),
    "ReviewTask": ("assign", "release", "approve", "reject", "move", "retry"),
    "CompleteTask": ("move",),
}


@router.post("/{task_uuid}/assign", response_model=TaskOut)
def assign(project_hash: str, task_uuid: UUID, body: AssignBody, client: CallerClient) -> TaskOut:
    """Give the task to a project member (annotation and review stages)."""
    return _act(
        client, project_hash, task_uuid, body.stage, lambda p, t: _method(t, "assign")(body.user)
    )


@router.post("/{task_uuid}/release", response_model=TaskOut)
def release(project_hash: str, task_uuid: UUID, body: ActionBody, client: CallerClient) -> TaskOut:
    """Unassign the task."""
    return _act(client, project_hash, task_uuid, body.stage, lambda p, t: _method(t, "release")())


@router.post("/{task_uuid}/submit", response_model=TaskOut)
def submit(project_hash: str, task_uuid: UUID, body: ActionBody, client: CallerClient) -> TaskOut:
    """Submit an annotation task along its stage's pathway."""
    return _act(client, project_hash, task_uuid, body.stage, lambda p, t: _method(t, "submit")())


@router.post("/{task_uuid}/approve", response_model=TaskOut)
def approve(project_hash: str, task_uuid: UUID, body: ActionBody, client: CallerClient) -> TaskOut:
    """Approve a review task."""
    return _act(client, project_hash, task_uuid, body.stage, lambda p, t: _method(t, "approve")())


@router.post("/{task_uuid}/reject", response_model=TaskOut)
def reject(project_hash: str, task_uuid: UUID, body: RejectBody, client: CallerClient) -> TaskOut:
    """Reject a review task, with an optional comment recorded on its event."""
    return _act(
        client,
        project_hash,
        task_uuid,
        body.stage,
        lambda p, t: _method(t, "reject")(comment=body.comment),
    )


def _proceed(task: WorkflowTask, pathway: str) -> None:
    if not isinstance(task, AgentTask):
        _method(task, "proceed")
        return
    if any(p.name == pathway for p in task.stage.pathways):
        task.proceed(pathway_name=pathway)
    else:
        task.proceed(pathway_uuid=pathway)


@router.post("/{task_uuid}/proceed", response_model=TaskOut)
def proceed(project_hash: str, task_uuid: UUID, body: ProceedBody, client: CallerClient) -> TaskOut:
    """Move an agent-stage task along a pathway (name or UUID), as an agent would."""
    return _act(client, project_hash, task_uuid, body.stage, lambda p, t: _proceed(t, body.pathway))


@router.post("/{task_uuid}/move", response_model=TaskOut)
def move(project_hash: str, task_uuid: UUID, body: MoveBody, client: CallerClient) -> TaskOut:
    """Move the task to any stage (owners and admins)."""
    return _act(
        client,
        project_hash,
        task_uuid,
        body.stage,
        lambda p, t: t.move(p.workflow.find_stage(body.to)),
    )


def _retry(project: Project, task: WorkflowTask) -> None:
    project.retry_failed([str(task.uuid)])


@router.post("/{task_uuid}/retry", response_model=TaskOut)
def retry(project_hash: str, task_uuid: UUID, body: ActionBody, client: CallerClient) -> TaskOut:
    """Clear the task's failure record so runners pick it up again."""
    return _act(
        client,
        project_hash,
        task_uuid,
        body.stage,
        _retry,
    )
