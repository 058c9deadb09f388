"""The JSON shapes of the API: what requests may carry (unknown fields refused) and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from annotask.server.limits import STORE_INT_MAX

__all__ = [
    "ActionBody",
    "AssignBody",
    "EventOut",
    "LabelHistoryOut",
    "LabelRowOut",
    "LabelRowPut",
    "LabelVersionOut",
    "LeaseOut",
    "LoginBody",
    "MemberBody",
    "MemberOut",
    "MoveBody",
    "PathwayOut",
    "ProceedBody",
    "ProjectDetailOut",
    "ProjectOut",
    "RevertBody",
    "SessionOut",
    "StageOut",
    "TaskDetailOut",
    "TaskOut",
    "TaskPageOut",
    "TokenBody",
    "TokenOut",
    "WorkflowOut",
]


class _In(BaseModel):
    """A request body: unknown fields refused, and no lax conversions (``true`` is not the
    integer 1, ``"3"`` is not a number)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # no name, stage, comment or password holds one, and PostgreSQL refuses them in text
        if isinstance(value, str) and "\x00" in value:
            raise ValueError(
                "text cannot hold a NUL character (\\u0000, a control character); remove it"
            )
        return value


class LoginBody(_In):
    """Log in with a password."""

    user: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class SessionOut(BaseModel):
    """Who the caller is; ``csrf_token`` (sessions only) goes in ``X-CSRF-Token`` on changes."""

    user: str
    is_admin: bool
    via: str
    csrf_token: str | None = None
    expires_at: float | None = None


class TokenBody(_In):
    """Make an API token."""

    name: str = Field(default="api", min_length=1, max_length=200)


class TokenOut(BaseModel):
    """An API token; ``secret`` only in the answer that made it."""

    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None = None
    secret: str | None = None


class PathwayOut(BaseModel):
    """A pathway out of a stage."""

    uuid: UUID
    name: str
    destination: str
    destination_uuid: UUID


class StageOut(BaseModel):
    """A workflow stage."""

    uuid: UUID
    name: str
    type: str
    pathways: list[PathwayOut]


class WorkflowOut(BaseModel):
    """A project's workflow."""

    start_stage: str
    stages: list[StageOut]


class ProjectOut(BaseModel):
    """A project the caller is a member of."""

    project_hash: str
    title: str
    description: str
    ontology_hash: str
    created_at: datetime
    role: str


class ProjectDetailOut(ProjectOut):
    """A project with its task counts per stage name and status."""

    counts: dict[str, dict[str, int]]
    ontology: dict[str, Any]


class MemberOut(BaseModel):
    """A member of a project."""

    user: str
    role: str


class MemberBody(_In):
    """Give a user a role."""

    role: str = Field(pattern="^(owner|admin|annotator|reviewer|worker)$")


class LeaseOut(BaseModel):
    """A runner's hold on a task."""

    owner: str
    expires_at: float


class TaskOut(BaseModel):
    """A task: where a data item is in the workflow."""

    uuid: UUID
    data_hash: UUID
    data_title: str
    label_hash: UUID
    stage: str
    stage_uuid: UUID
    stage_type: str
    status: str
    assignee: str | None
    priority: float
    attempts: int
    last_error: str | None
    lease: LeaseOut | None
    created_at: datetime
    updated_at: datetime
    last_actioned_by: str | None


class TaskPageOut(BaseModel):
    """One page of tasks; pass ``next_cursor`` as ``cursor`` for the next (null: last page)."""

    tasks: list[TaskOut]
    next_cursor: str | None


class EventOut(BaseModel):
    """A recorded action on a task."""

    id: int
    task_uuid: UUID
    action: str
    from_stage: str | None
    to_stage: str | None
    pathway: str | None
    actor: str
    at: datetime
    detail: str | None


class TaskDetailOut(TaskOut):
    """A task with its events."""

    events: list[EventOut]


class ActionBody(_In):
    """A task action; ``stage`` is the stage (name or UUID) the caller saw the task in."""

    stage: str = Field(min_length=1, max_length=500)


class RejectBody(ActionBody):
    """Reject a review task; ``comment`` says why (shown with the task's events)."""

    comment: str | None = Field(default=None, max_length=10_000)


class AssignBody(ActionBody):
    """Assign a task to a project member."""

    user: str = Field(min_length=1, max_length=200)


class ProceedBody(ActionBody):
    """Move an agent-stage task along one of its pathways (name or UUID)."""

    pathway: str = Field(min_length=1, max_length=500)


class MoveBody(ActionBody):
    """Move a task to any stage (owners and admins)."""

    to: str = Field(min_length=1, max_length=500)


class LabelRowOut(BaseModel):
    """A label row and its labels document; ``version`` is also the ``ETag``."""

    label_hash: str
    data_hash: str
    data_title: str
    data_type: str
    width: int | None
    height: int | None
    number_of_frames: int
    fps: float | None
    priority: float | None
    workflow_stage: str | None
    version: int
    labels: dict[str, Any]


class LabelRowPut(_In):
    """A new labels document (the form GET answers), and optionally a priority."""

    labels: dict[str, Any]
    priority: float | None = Field(default=None, ge=0.0, le=1.0)


class LabelVersionOut(BaseModel):
    """One saved version."""

    version: int
    saved_at: datetime
    saved_by: str
    workflow_stage: str | None


class LabelHistoryOut(BaseModel):
    """Every saved version of a label row, oldest first."""

    versions: list[LabelVersionOut]


class RevertBody(_In):
    """Save an earlier version's labels as the newest version."""

    version: int = Field(ge=1, le=STORE_INT_MAX)
