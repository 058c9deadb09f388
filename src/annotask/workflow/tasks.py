"""Tasks: a data item's place in the workflow, and what people and agents do with it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, PrivateAttr
from sqlalchemy import Connection

from annotask.errors import ConflictError, ValidationError
from annotask.labels.bundle import Bundle
from annotask.limits import check_text
from annotask.store import access
from annotask.store import tasks as task_store
from annotask.store.records import TaskRecord
from annotask.workflow.context import Action
from annotask.workflow.definition import StageType
from annotask.workflow.stages import Pathway, WorkflowStage
from annotask.workflow.vocabulary import TaskStatus

__all__ = [
    "AgentTask",
    "AnnotationTask",
    "CompleteTask",
    "ReviewTask",
    "TaskStatus",
    "WorkflowTask",
    "task_for_stage",
]


class WorkflowTask(BaseModel):
    """A data item's position in a project's workflow.

    ``model_dump_json()`` gives the task spec a :class:`~annotask.tasks.QueueRunner` consumes.
    """

    uuid: UUID
    project_hash: UUID
    stage_uuid: UUID
    data_hash: UUID
    data_title: str
    label_hash: UUID
    status: TaskStatus
    assignee: str | None = None
    priority: float = 0.5
    attempts: int = 0
    last_error: str | None = None
    lease_owner: str | None = None
    lease_expires_at: float | None = None
    created_at: datetime
    updated_at: datetime
    last_actioned_by: str | None = None
    label_branch_name: str = "main"
    """The label branch of the labels an agent works on: ``main``, or the branch its stage
    is bound to (``LabelRowMetadataIncludeArgs(branch_name=...)``). A queue spec naming
    another branch loads that branch's row; the task itself (its stage) is one per item."""

    _stage: WorkflowStage | None = PrivateAttr(default=None)

    @property
    def last_annotated_by(self) -> str | None:
        """Who last submitted the task from an annotation stage (None if nobody has)."""
        workflow = self.stage.workflow
        ctx = workflow.ctx
        with ctx.store.read() as conn:
            ctx.require(conn, str(self.project_hash), Action.READ, workflow.what)
            events = task_store.list_events(conn, str(self.project_hash), str(self.uuid))
        submitted = [e.actor for e in events if e.action == "submit"]
        return submitted[-1] if submitted else None

    @property
    def stage(self) -> WorkflowStage:
        """The stage the task was in when it was read."""
        if self._stage is None:
            raise ValidationError("this task was built from a spec; fetch it through a stage")
        return self._stage

    def move(self, stage: WorkflowStage | str) -> None:
        """Move the task to any stage of its workflow (owners and admins)."""
        target = (
            stage if isinstance(stage, WorkflowStage) else self.stage.workflow.get_stage(name=stage)
        )
        self._transition(target, None, Action.ADMIN, "move")

    def _transition(
        self,
        target: WorkflowStage,
        pathway: Pathway | None,
        action: Action,
        verb: str,
        detail: str | None = None,
    ) -> None:
        _transition_all([(self, target, pathway)], action, verb, detail)

    def _move_for(
        self, target: WorkflowStage, pathway: Pathway | None, verb: str, detail: str | None = None
    ) -> task_store.Move:
        ctx = self.stage.workflow.ctx
        status = TaskStatus.COMPLETED if target.stage_type is StageType.COMPLETE else TaskStatus.NEW
        return task_store.Move(
            task_uuid=str(self.uuid),
            project_uuid=str(self.project_hash),
            from_stage=str(self.stage_uuid),
            to_stage=str(target.uuid),
            status=status.value,
            actor=ctx.user,
            action=verb,
            pathway_uuid=None if pathway is None else str(pathway.uuid),
            pathway_name=None if pathway is None else pathway.name,
            detail=detail,
        )

    def _moved(self, target: WorkflowStage) -> None:
        status = TaskStatus.COMPLETED if target.stage_type is StageType.COMPLETE else TaskStatus.NEW
        self.stage_uuid, self.status, self.assignee = target.uuid, status, None
        self.attempts, self.last_error, self._stage = 0, None, target

    def _moved_elsewhere(self, conn: Connection) -> ConflictError:
        workflow = self.stage.workflow
        found = task_store.list_tasks(
            conn, str(self.project_hash), task_store.TaskFilter(uuids=[str(self.uuid)])
        )
        if not found:
            return ConflictError(f"task {self.uuid} no longer exists; nothing was changed")
        now = workflow.stage_by_uuid(found[0].stage_uuid)
        return ConflictError(
            f"task {self.uuid} ({self.data_title!r}) is no longer in stage {self.stage.name!r}; "
            f"it is now in {now.name!r}. Nothing was changed; fetch it again from that stage"
        )

    def _assign(self, user: str | None, action: Action) -> None:
        workflow = self.stage.workflow
        ctx = workflow.ctx
        with ctx.store.write() as conn:
            ctx.require(conn, str(self.project_hash), action, workflow.what)
            if user is not None and access.role_of(conn, str(self.project_hash), user) is None:
                raise ValidationError(
                    f"cannot assign to {user!r}: not a member of {workflow.what}; add them first"
                )
            moved = not task_store.set_assignee(
                conn, str(self.uuid), str(self.stage_uuid), user, ctx.user
            )
            if moved:
                raise self._moved_elsewhere(conn)
        self.assignee = user
        self.status = TaskStatus.ASSIGNED if user else TaskStatus.NEW

    def _only_pathway(self) -> Pathway:
        return self.stage.pathways[0]


class AgentTask(WorkflowTask):
    """A task in an agent stage."""

    _on_proceed: Callable[[Pathway], None] | None = PrivateAttr(default=None)

    def proceed(
        self,
        pathway_name: str | None = None,
        pathway_uuid: UUID | str | None = None,
        *,
        bundle: Bundle | None = None,
    ) -> None:
        """Move the task along one of its stage's pathways, by name or UUID.

        Inside a runner the move is committed with the rest of the task's outcome. With a
        ``bundle`` (``project.create_bundle()``) the move happens when the bundle's block
        ends, in one transaction with the bundle's other moves (all or none).
        """
        if (pathway_name is None) == (pathway_uuid is None):
            raise ValidationError("proceed needs exactly one of pathway_name= or pathway_uuid=")
        pathway = self.stage.get_pathway(name=pathway_name, uuid=pathway_uuid)
        if self._on_proceed is not None:
            self._on_proceed(pathway)
            return
        target = self.stage.workflow.stage_by_uuid(str(pathway.destination_uuid))
        if bundle is not None:
            bundle.add("proceed", (self, target, pathway), _proceed_bundled)
            return
        self._transition(target, pathway, Action.AGENT, "proceed")


class AnnotationTask(WorkflowTask):
    """A task in an annotation stage."""

    def assign(self, user: str) -> None:
        """Give the task to a project member."""
        self._assign(user, Action.ANNOTATE)

    def release(self) -> None:
        """Unassign the task."""
        self._assign(None, Action.ANNOTATE)

    def submit(self) -> None:
        """Submit the labels: the task moves along the stage's pathway."""
        pathway = self._only_pathway()
        target = self.stage.workflow.stage_by_uuid(str(pathway.destination_uuid))
        self._transition(target, pathway, Action.ANNOTATE, "submit")


class ReviewTask(WorkflowTask):
    """A task in a review stage."""

    def assign(self, user: str) -> None:
        """Give the task to a project member."""
        self._assign(user, Action.REVIEW)

    def release(self) -> None:
        """Unassign the task."""
        self._assign(None, Action.REVIEW)

    def approve(self) -> None:
        """Approve: the task moves along the 'approve' pathway."""
        self._follow("approve")

    def reject(self, comment: str | None = None) -> None:
        """Reject: the task moves along the 'reject' pathway; ``comment`` (why, for the
        annotator) is recorded on the event."""
        if comment is not None:
            comment = check_text(comment, "a reject comment").strip() or None
        self._follow("reject", comment)

    def _follow(self, name: str, detail: str | None = None) -> None:
        pathway = self.stage.get_pathway(name=name)
        target = self.stage.workflow.stage_by_uuid(str(pathway.destination_uuid))
        self._transition(target, pathway, Action.REVIEW, name, detail)


class CompleteTask(WorkflowTask):
    """A task that reached the end of the workflow."""


_Step = tuple[WorkflowTask, WorkflowStage, Pathway | None]


def _transition_all(
    steps: list[_Step], action: Action, verb: str, detail: str | None = None
) -> None:
    """Move tasks in one transaction; if any moved meanwhile, none moves (ConflictError)."""
    workflow = steps[0][0].stage.workflow
    ctx = workflow.ctx
    moves = [task._move_for(target, pathway, verb, detail) for task, target, pathway in steps]
    with ctx.store.write() as conn:
        for project_hash in sorted({str(task.project_hash) for task, _, _ in steps}):
            ctx.require(conn, project_hash, action, workflow.what)
        if task_store.move_tasks(conn, moves) != len(moves):
            stale = _first_stale(conn, steps)
            raise stale._moved_elsewhere(conn)
    for task, target, _ in steps:
        task._moved(target)


def _first_stale(conn: Connection, steps: list[_Step]) -> WorkflowTask:
    for task, _, _ in steps:
        found = task_store.list_tasks(
            conn, str(task.project_hash), task_store.TaskFilter(uuids=[str(task.uuid)])
        )
        if not found or found[0].stage_uuid != str(task.stage_uuid):
            return task
    return steps[0][0]


def _proceed_bundled(steps: list[_Step]) -> None:
    twice = {str(t.uuid) for t, _, _ in steps if sum(o is t for o, _, _ in steps) > 1}
    if twice:
        raise ValidationError(f"task(s) {', '.join(sorted(twice))} proceed twice in one bundle")
    _transition_all(steps, Action.AGENT, "proceed")


_TASK_CLASSES: dict[StageType, type[WorkflowTask]] = {
    StageType.AGENT: AgentTask,
    StageType.ANNOTATION: AnnotationTask,
    StageType.REVIEW: ReviewTask,
    StageType.COMPLETE: CompleteTask,
}


def task_for_stage(stage: WorkflowStage, record: TaskRecord) -> WorkflowTask:
    """Build the task object for a stored task in ``stage``."""
    fields: dict[str, Any] = {
        name: value
        for name, value in zip(record._fields, record, strict=True)
        if name in WorkflowTask.model_fields
    }
    fields["project_hash"] = record.project_uuid
    task = _TASK_CLASSES[stage.stage_type].model_validate(fields)
    task._stage = stage
    return task
