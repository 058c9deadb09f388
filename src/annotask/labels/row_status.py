"""Where a label row stands: its workflow stage as the seed names it, and a label status."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["LabelStatus", "WorkflowGraphNode", "label_status_of"]


@dataclass(frozen=True, slots=True)
class WorkflowGraphNode:
    """The workflow stage a label row's task is in: its UUID (as a str) and title."""

    uuid: str
    title: str


class LabelStatus(Enum):
    """How far a row's labelling has got (the seed's ``LabelStatus``).

    annotask derives it from the row's stage and saved version: never saved and not
    complete is ``NOT_LABELLED``; saved in an annotation or agent stage (or with no task)
    is ``LABEL_IN_PROGRESS``; in a review stage ``REVIEW_IN_PROGRESS``; in a complete stage
    ``LABELLED``. ``REVIEWED`` and ``REVIEWED_TWICE`` are not derived (review outcomes are
    pathways, not a status).
    """

    NOT_LABELLED = "NOT_LABELLED"
    LABEL_IN_PROGRESS = "LABEL_IN_PROGRESS"
    LABELLED = "LABELLED"
    REVIEW_IN_PROGRESS = "REVIEW_IN_PROGRESS"
    REVIEWED = "REVIEWED"
    REVIEWED_TWICE = "REVIEWED_TWICE"


def label_status_of(stage_type: str | None, version: int) -> LabelStatus:
    """The status of a row in a stage of ``stage_type`` (None: unknown), saved ``version``."""
    if stage_type == "complete":
        return LabelStatus.LABELLED
    if stage_type == "review":
        return LabelStatus.REVIEW_IN_PROGRESS
    return LabelStatus.NOT_LABELLED if version == 0 else LabelStatus.LABEL_IN_PROGRESS
