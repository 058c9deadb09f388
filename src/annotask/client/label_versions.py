"""One saved version of a label row, with its labels document (for history and diffs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from annotask.client.projects import Project
from annotask.errors import NotFoundError
from annotask.store import labels as label_store
from annotask.workflow.context import Action

__all__ = ["SavedVersion", "label_version"]


@dataclass(frozen=True, slots=True)
class SavedVersion:
    """A version of a label row as it was saved."""

    version: int
    saved_at: datetime
    saved_by: str
    labels: dict[str, Any]


def label_version(project: Project, data: UUID | str, version: int) -> SavedVersion:
    """Version ``version`` of the label row of ``data`` (data hash or title)."""
    row = project.get_label_row(data)
    with project._ctx.store.read() as conn:
        project._ctx.require(conn, project.project_hash, Action.READ, project.what)
        old = label_store.get_version(conn, row.label_hash, version)
    if old is None:
        raise NotFoundError(
            f"label row of {row.data_title!r} in {project.what} has no version {version}; "
            "see its history for the versions it has"
        )
    return SavedVersion(old.version, old.saved_at, old.saved_by, dict(old.labels))
