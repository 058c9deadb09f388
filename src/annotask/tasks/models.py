"""What agents return and what queue runners report, plus the label-row loading options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from annotask.labels import LabelRow

__all__ = [
    "MAIN_BRANCH",
    "LabelRowInitialiseLabelsArgs",
    "LabelRowMetadataIncludeArgs",
    "TaskAgentReturnStruct",
    "TaskAgentReturnType",
    "TaskCompletionResult",
]


MAIN_BRANCH = "main"
"""The label branch every label row is on."""


@dataclass
class TaskAgentReturnStruct:
    """Return this from an agent to move the task and save labels and priority with it.

    ``pathway`` (a name or UUID; ``None`` leaves the task in its stage), ``label_row`` (saved
    with the move when it has unsaved changes), ``label_row_priority`` (0..1; ``0.0`` counts).
    """

    pathway: str | UUID | None = None
    label_row: LabelRow | None = None
    label_row_priority: float | None = None


TaskAgentReturnType = str | UUID | TaskAgentReturnStruct | None
"""What an agent may return."""


class TaskCompletionResult(BaseModel):
    """The outcome of task specs handled by a :class:`~annotask.tasks.QueueRunner` agent.

    For one spec: ``success`` is true when the task moved along ``pathway`` or was left in
    its stage on purpose (the agent returned ``None``, then ``pathway`` is ``None``). On
    failure ``error`` says why: the traceback of the agent's exception, or where the task is.

    For a list of specs (one call), one result whose fields hold lists, as the seed's:
    ``task_uuid`` (every spec's task, in order), ``success`` (the UUIDs of the tasks that
    succeeded: empty, so false, when none did), ``pathway`` and ``pathway_name`` (one per
    task, in order; ``None`` where it did not move), ``error`` (each failed task's error on
    lines of its own, or ``None``), and ``results``: each spec's own result, in order.
    """

    model_config = ConfigDict(frozen=True)

    task_uuid: UUID | list[UUID]
    stage_uuid: UUID | None = None
    success: bool | list[UUID]
    pathway: UUID | list[UUID | None] | None = None
    pathway_name: str | list[str | None] | None = None
    error: str | None = None
    results: list[TaskCompletionResult] | None = None
    """For a list of specs: the result of each, in order (``None`` for one spec)."""

    @classmethod
    def combine(cls, results: list[TaskCompletionResult]) -> TaskCompletionResult:
        """One result for the specs of one call, holding lists (see the class docstring)."""
        stages = {r.stage_uuid for r in results}
        errors = [f"task {r.task_uuid}: {r.error}" for r in results if r.error]
        return cls(
            task_uuid=[r.single_uuid for r in results],
            stage_uuid=stages.pop() if len(stages) == 1 else None,
            success=[r.single_uuid for r in results if r.success],
            pathway=[r.pathway if isinstance(r.pathway, UUID) else None for r in results],
            pathway_name=[
                r.pathway_name if isinstance(r.pathway_name, str) else None for r in results
            ],
            error="\n".join(errors) if errors else None,
            results=list(results),
        )

    def per_task(self) -> list[TaskCompletionResult]:
        """Each task's own result, in spec order (``[self]`` for a one-spec result)."""
        return [self] if self.results is None else list(self.results)

    @property
    def single_uuid(self) -> UUID:
        """The task of a one-spec result (:class:`ValueError` for a combined one)."""
        if isinstance(self.task_uuid, list):
            raise ValueError("this result holds several tasks; read .results")
        return self.task_uuid


class LabelRowMetadataIncludeArgs(BaseModel):
    """Options for loading label rows (``project.list_label_rows_v2``): every field the
    seed's SDK takes.

    ``branch_name`` picks the label branch whose rows the agent receives and saves (default
    ``main``; a data item's first use of another branch gives it an empty row there,
    versioned on its own); a name that cannot be one is refused when the agent is
    decorated. The embedded store always loads the workflow stage, client metadata, image
    data and children with a row, and needs no signed URLs (assets are read where they are),
    so the other flags (``include_all_label_branches`` too: a runner hands an agent one row)
    are accepted and change nothing.
    """

    model_config = ConfigDict(extra="forbid")

    include_workflow_graph_node: bool = True
    include_client_metadata: bool = True
    include_images_data: bool = True
    include_all_label_branches: bool = False
    branch_name: str = MAIN_BRANCH
    include_children: bool = False
    include_signed_url: bool = False


class LabelRowInitialiseLabelsArgs(BaseModel):
    """Options passed to ``label_row.initialise_labels(...)`` before the agent runs: every
    field the seed's SDK takes.

    ``include_*_feature_hashes`` load only instances of those classes; ``overwrite`` is
    accepted (a runner's rows are always freshly loaded); ``include_reviews`` is accepted
    (documents hold no reviews yet); ``include_signed_url`` is accepted (assets are read
    where they are, no URL is signed).
    """

    model_config = ConfigDict(extra="forbid")

    include_object_feature_hashes: set[str] | None = None
    include_classification_feature_hashes: set[str] | None = None
    include_reviews: bool = False
    overwrite: bool = False
    include_signed_url: bool = False

    def as_kwargs(self) -> dict[str, Any]:
        """The options ``initialise_labels`` acts on, as keyword arguments."""
        return self.model_dump(exclude={"overwrite", "include_signed_url"})
