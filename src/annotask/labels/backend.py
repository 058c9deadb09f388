"""The narrow interface through which a label row is loaded and saved.

The client layer implements :class:`LabelRowBackend` over the store;
:class:`~annotask.labels.MemoryLabelBackend` implements it in memory for tests and
``annotask.testing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from annotask.datatypes import DataType

__all__ = ["LabelRowBackend", "LabelRowMeta", "LabelSaveRequest", "LabelVersion"]


@dataclass(frozen=True)
class LabelRowMeta:
    """What the store knows of a label row besides its labels."""

    label_hash: str
    data_hash: str
    data_title: str
    data_type: DataType
    width: int | None
    height: int | None
    number_of_frames: int
    fps: float | None
    priority: float | None
    client_metadata: dict[str, Any]
    workflow_stage: str | None
    version: int
    """0: never saved."""
    document: dict[str, Any] | str | None = None
    """The labels document when prefetched (bulk load): a dict, or its JSON text (parsed by
    ``initialise_labels``); else None."""
    branch_name: str = "main"
    """The label branch the row is on."""
    workflow_stage_uuid: str | None = None
    """The UUID of the stage the row's task is in, when known."""
    workflow_stage_type: str | None = None
    """That stage's type (``annotation``, ``review``, ``agent``, ``complete``), when known."""


@dataclass(frozen=True)
class LabelVersion:
    """One saved version of a label row, as :meth:`LabelRow.history` lists it."""

    version: int
    saved_at: datetime
    saved_by: str
    workflow_stage: str | None


@dataclass(frozen=True)
class LabelSaveRequest:
    """What one save of a label row stores, as :meth:`LabelRow.save_request` gives it.

    A backend that saves many rows at once (one transaction) stores each request as the
    row's next version and hands the new version back to :meth:`LabelRow.mark_saved`.
    """

    label_hash: str
    document: Mapping[str, Any]
    """The document; a save's carries its JSON text (see :func:`document_json`)."""
    base_version: int
    """The version the labels were loaded at; a save is refused if the row moved on."""
    priority: float | None
    priority_changed: bool
    """Whether ``priority`` is to be written."""


class LabelRowBackend(Protocol):
    """Loads and saves the labels document of a row, with optimistic versioning."""

    def fetch_document(self, label_hash: str) -> tuple[dict[str, Any] | None, int]:
        """The row's current document (None if never saved) and its version (0 if never)."""
        ...

    def save(
        self,
        label_hash: str,
        document: Mapping[str, Any],
        base_version: int,
        priority: float | None,
        priority_changed: bool,
    ) -> int:
        """Store ``document`` as a new version; return its number.

        ``annotask.labels.encoded.document_json(document)`` is the text to store: the one
        the row wrote, when it carries one.

        Raises :class:`~annotask.errors.ConflictError` if the row's version is no longer
        ``base_version``. ``priority`` is written only when ``priority_changed``.
        """
        ...

    def history(self, label_hash: str) -> list[LabelVersion]:
        """Every saved version, oldest first."""
        ...
