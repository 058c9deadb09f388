"""What agents return and what queue runners report, plus the label-row loading options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from annotask.labels import LabelRow

__all__ = [
    "LabelRowInitialiseLabelsArgs",
    "LabelRowMetadataIncludeArgs",
    "TaskAgentReturnStruct",
    "TaskAgentReturnType",
    "TaskCompletionResult",
]


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
    """The outcome of one task spec handled by a :class:`~annotask.tasks.QueueRunner` agent.

    ``success`` is true when the task moved along ``pathway`` or was left in its stage on
    purpose (the agent returned ``None``, then ``pathway`` is ``None``). On failure ``error``
    says why: the traceback of the agent's exception, or where the task is now.
    """

    model_config = ConfigDict(frozen=True)

    task_uuid: UUID
    stage_uuid: UUID | None = None
    success: bool
    pathway: UUID | None = None
    pathway_name: str | None = None
    error: str | None = None


class LabelRowMetadataIncludeArgs(BaseModel):
    """Options for loading label rows (``project.list_label_rows_v2``).

    The embedded store always loads the workflow stage, client metadata and image data with
    a row, so these flags are accepted for compatibility and change nothing.
    """

    model_config = ConfigDict(extra="forbid")

    include_workflow_graph_node: bool = True
    include_client_metadata: bool = True
    include_images_data: bool = True
    include_all_label_branches: bool = False


class LabelRowInitialiseLabelsArgs(BaseModel):
    """Options passed to ``label_row.initialise_labels(...)`` before the agent runs."""

    model_config = ConfigDict(extra="forbid")

    include_object_feature_hashes: set[str] | None = None
    include_classification_feature_hashes: set[str] | None = None
    include_reviews: bool = False

    def as_kwargs(self) -> dict[str, Any]:
        """The options as keyword arguments for ``initialise_labels``."""
        return self.model_dump()
