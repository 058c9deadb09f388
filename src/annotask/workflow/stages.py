"""A project's workflow as objects: stages, their pathways, and the tasks waiting in them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from annotask.errors import NotFoundError, PathwayError, ValidationError
from annotask.store import tasks as task_store
from annotask.store.records import PathwayRecord, StageRecord, TaskRecord
from annotask.workflow.context import Action, Context
from annotask.workflow.definition import StageType

if TYPE_CHECKING:
    from annotask.workflow.tasks import WorkflowTask

__all__ = [
    "AgentStage",
    "AnnotationStage",
    "CompleteStage",
    "FinalStage",
    "Pathway",
    "ReviewStage",
    "Workflow",
    "WorkflowStage",
]


@dataclass(frozen=True, slots=True)
class Pathway:
    """A named edge from a stage to the stage a task moves to along it."""

    uuid: UUID
    name: str
    from_stage_uuid: UUID
    destination_uuid: UUID
    destination: str


class WorkflowStage:
    """One stage of a project's workflow."""

    stage_type: ClassVar[StageType]

    def __init__(self, workflow: Workflow, record: StageRecord, pathways: list[Pathway]) -> None:
        self.workflow = workflow
        self.uuid = UUID(record.uuid)
        self.name = record.name
        self.pathways = pathways

    @property
    def title(self) -> str:
        """The stage's name (the reference API calls it a title)."""
        return self.name

    def get_pathway(self, name: str | None = None, uuid: UUID | str | None = None) -> Pathway:
        """The pathway with this name or UUID, or PathwayError listing the stage's pathways."""
        for pathway in self.pathways:
            if (name is not None and pathway.name == name) or (
                uuid is not None and str(pathway.uuid) == str(uuid)
            ):
                return pathway
        asked = f"name {name!r}" if name is not None else f"UUID {uuid}"
        raise PathwayError(
            f"stage {self.name!r} has no pathway with {asked}; its pathways are "
            f"{self.describe_pathways()}"
        )

    def describe_pathways(self) -> str:
        """The stage's pathways as 'name' (uuid) → destination, for messages."""
        if not self.pathways:
            return "none"
        return ", ".join(f"{p.name!r} ({p.uuid}) → {p.destination!r}" for p in self.pathways)

    def get_tasks(
        self,
        *,
        status: str | Sequence[str] | None = None,
        assignee: str | None = None,
        data_hash: UUID | str | Sequence[UUID | str] | None = None,
        data_title_contains: str | None = None,
        failed: bool | None = None,
        data_title: str | None = None,
    ) -> Iterator[WorkflowTask]:
        """Tasks waiting in this stage, highest priority first.

        ``data_hash`` takes one data hash or a list; ``data_title`` (the seed's name) keeps
        the tasks whose data title contains it, as ``data_title_contains`` does.
        """
        statuses = [status] if isinstance(status, str) else status
        if data_title is not None and data_title_contains is not None:
            raise ValidationError(
                f"stage {self.name!r}: get_tasks takes data_title or data_title_contains "
                "(the same filter), not both"
            )
        hashes = (
            None
            if data_hash is None or isinstance(data_hash, UUID | str)
            else [str(h) for h in data_hash]
        )
        flt = task_store.TaskFilter(
            stage_uuid=str(self.uuid),
            status=statuses,
            assignee=assignee,
            data_hash=str(data_hash) if isinstance(data_hash, UUID | str) else None,
            data_hashes=hashes,
            title_contains=data_title if data_title is not None else data_title_contains,
            failed=failed,
        )
        ctx = self.workflow.ctx
        with ctx.store.read() as conn:
            ctx.require(conn, str(self.workflow.project_hash), Action.READ, self.workflow.what)
            records = task_store.list_tasks(conn, str(self.workflow.project_hash), flt)
        for record in records:
            yield self.workflow.task_from_record(record)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, uuid={str(self.uuid)!r})"


class AgentStage(WorkflowStage):
    """A stage where a task agent decides the pathway."""

    stage_type = StageType.AGENT


class AnnotationStage(WorkflowStage):
    """A stage where a person labels and submits."""

    stage_type = StageType.ANNOTATION


class ReviewStage(WorkflowStage):
    """A stage where a person approves or rejects labels."""

    stage_type = StageType.REVIEW


class CompleteStage(WorkflowStage):
    """The end of the workflow: tasks here are done."""

    stage_type = StageType.COMPLETE


FinalStage = CompleteStage

_STAGE_CLASSES: dict[StageType, type[WorkflowStage]] = {
    cls.stage_type: cls for cls in (AgentStage, AnnotationStage, ReviewStage, CompleteStage)
}


class Workflow:
    """The stages of one project, in definition order."""

    def __init__(
        self,
        ctx: Context,
        project_hash: UUID,
        project_title: str,
        stage_records: Sequence[StageRecord],
        pathway_records: Sequence[PathwayRecord],
    ) -> None:
        self.ctx = ctx
        self.project_hash = project_hash
        self.what = f"project {project_title!r} ({project_hash})"
        names = {s.uuid: s.name for s in stage_records}
        by_stage: dict[str, list[Pathway]] = {s.uuid: [] for s in stage_records}
        for p in pathway_records:
            by_stage[p.stage_uuid].append(
                Pathway(
                    UUID(p.uuid),
                    p.name,
                    UUID(p.stage_uuid),
                    UUID(p.destination_uuid),
                    names[p.destination_uuid],
                )
            )
        self.stages: list[WorkflowStage] = [
            _STAGE_CLASSES[StageType(s.stage_type)](self, s, by_stage[s.uuid])
            for s in stage_records
        ]
        self._by_uuid = {str(s.uuid): s for s in self.stages}

    def get_stage(
        self,
        name: str | None = None,
        uuid: UUID | str | None = None,
        type_: type[WorkflowStage] | None = None,
    ) -> WorkflowStage:
        """A stage by name or UUID (optionally checked to be of ``type_``)."""
        if (name is None) == (uuid is None):
            raise ValidationError("get_stage needs exactly one of name= or uuid=")
        stage = next(
            (
                s
                for s in self.stages
                if s.name == name or (uuid is not None and str(s.uuid) == str(uuid))
            ),
            None,
        )
        if stage is None:
            asked = f"named {name!r}" if name is not None else f"with UUID {uuid}"
            raise NotFoundError(
                f"{self.what} has no stage {asked}; stages are "
                + ", ".join(f"{s.name!r} ({s.uuid})" for s in self.stages)
            )
        if type_ is not None and not isinstance(stage, type_):
            raise ValidationError(
                f"stage {stage.name!r} is a {stage.stage_type.value} stage, not {type_.__name__}"
            )
        return stage

    def find_stage(self, name_or_uuid: str | UUID) -> WorkflowStage:
        """A stage by name, else by UUID (a string that names a stage is a name)."""
        text = str(name_or_uuid)
        for stage in self.stages:
            if stage.name == text:
                return stage
        try:
            return self.get_stage(uuid=UUID(text))
        except ValueError:
            return self.get_stage(name=text)

    def stage_by_uuid(self, uuid: str) -> WorkflowStage:
        """The stage with this UUID (as stored)."""
        return self._by_uuid[uuid]

    def task_from_record(self, record: TaskRecord) -> WorkflowTask:
        """A task object of the right kind for the stage it is in."""
        from annotask.workflow.tasks import task_for_stage  # noqa: PLC0415 - tasks imports stages

        return task_for_stage(self.stage_by_uuid(record.stage_uuid), record)
