"""A label row as one JSON document: read it with its version, replace it version-checked.

For callers that hold a whole document rather than instance objects (the HTTP API). The
document is checked against the project's ontology and the item exactly as
:meth:`LabelRow.initialise_labels` checks a stored one, then saved through the project's
label backend, so a stale base version is a :class:`ConflictError` and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from annotask.client.projects import Project
from annotask.labels import LabelRow
from annotask.labels.document import encode_document, parse_document
from annotask.workflow.context import Action

__all__ = ["label_document", "save_label_document"]


def label_document(row: LabelRow) -> dict[str, Any]:
    """The row's labels document (loading the row's labels if they are not loaded)."""
    if not row.is_labelling_initialised:
        row.initialise_labels()
    return row.to_dict()


def save_label_document(
    project: Project,
    row: LabelRow,
    document: Mapping[str, Any],
    base_version: int,
    priority: float | None = None,
) -> int:
    """Store ``document`` as the row's next version if the row is still at ``base_version``.

    Returns the new version. A malformed document is a LabelError/ValidationError; a row
    saved by someone else since ``base_version`` is a ConflictError; either way nothing
    is written. Replacing a document is editing labels by hand, which people's roles allow
    (owner, admin, annotator, reviewer) and the agents' role (worker) does not: agents save
    labels through their runner's outcomes.
    """
    project._check(Action.EDIT_LABELS)
    parsed = parse_document(
        document,
        project.ontology,
        number_of_frames=row.number_of_frames,
        width=row.width,
        height=row.height,
    )
    checked = encode_document(
        parsed.objects.values(),
        parsed.classifications.values(),
        parsed.skipped_objects,
        parsed.skipped_classifications,
    )
    if priority is not None:
        row.set_priority(priority)  # checks the range the way every priority is checked
    return project.label_backend().save(
        row.label_hash, checked, base_version, row.priority, priority is not None
    )
