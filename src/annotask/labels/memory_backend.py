"""A complete in-memory :class:`LabelRowBackend`: versions, conflicts and history.

Documents are kept as JSON text, as a database would keep them, so what a caller changes
after a save or a fetch never reaches the stored copy.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from annotask.datatypes import DataType
from annotask.errors import ConflictError, NotFoundError
from annotask.labels.backend import LabelRowMeta, LabelVersion
from annotask.labels.encoded import document_json

__all__ = ["MemoryLabelBackend"]


@dataclass
class _Row:
    meta: LabelRowMeta
    text: str | None = None
    history: list[LabelVersion] = field(default_factory=list)


class MemoryLabelBackend:
    """Label rows held in memory; thread-safe; every save is a new version.

    Create rows with :meth:`create_row`, read what a store would hand the client layer with
    :meth:`meta`, and load a :class:`~annotask.labels.LabelRow` over it::

        backend = MemoryLabelBackend()
        meta = backend.create_row(data_title="cat.jpg", width=640, height=480)
        row = LabelRow(meta, ontology, backend)
    """

    def __init__(self, user: str = "local", clock: Callable[[], datetime] | None = None) -> None:
        self._user = user
        self._clock = clock or (lambda: datetime.now(UTC))
        self._rows: dict[str, _Row] = {}
        self._lock = threading.Lock()

    def create_row(
        self,
        *,
        data_title: str,
        data_type: DataType = DataType.IMAGE,
        width: int | None = None,
        height: int | None = None,
        number_of_frames: int = 1,
        fps: float | None = None,
        priority: float | None = None,
        client_metadata: Mapping[str, Any] | None = None,
        workflow_stage: str | None = None,
        label_hash: str | None = None,
        data_hash: str | None = None,
    ) -> LabelRowMeta:
        """Register a row with no labels yet (version 0); returns its meta."""
        meta = LabelRowMeta(
            label_hash=label_hash or os.urandom(8).hex(),
            data_hash=data_hash or os.urandom(8).hex(),
            data_title=data_title,
            data_type=data_type,
            width=width,
            height=height,
            number_of_frames=number_of_frames,
            fps=fps,
            priority=priority,
            client_metadata=dict(client_metadata or {}),
            workflow_stage=workflow_stage,
            version=0,
            document=None,
        )
        with self._lock:
            if meta.label_hash in self._rows:
                raise ConflictError(f"label row {meta.label_hash} already exists")
            self._rows[meta.label_hash] = _Row(meta)
        return meta

    def meta(self, label_hash: str, *, prefetch: bool = False) -> LabelRowMeta:
        """The row's current meta; with ``prefetch`` its document too (as a bulk load does)."""
        with self._lock:
            row = self._row(label_hash)
            document = json.loads(row.text) if prefetch and row.text is not None else None
            return replace(row.meta, document=document)

    def set_workflow_stage(self, label_hash: str, stage: str | None) -> None:
        """Record the stage the row's task is in (shown in later history entries)."""
        with self._lock:
            row = self._row(label_hash)
            row.meta = replace(row.meta, workflow_stage=stage)

    # -- LabelRowBackend -----------------------------------------------------------------

    def fetch_document(self, label_hash: str) -> tuple[dict[str, Any] | None, int]:
        """The current document (None if never saved) and version."""
        with self._lock:
            row = self._row(label_hash)
            document = None if row.text is None else json.loads(row.text)
            return document, row.meta.version

    def save(
        self,
        label_hash: str,
        document: Mapping[str, Any],
        base_version: int,
        priority: float | None,
        priority_changed: bool,
    ) -> int:
        """Store a new version; :class:`ConflictError` if ``base_version`` is stale."""
        text = document_json(document)
        with self._lock:
            row = self._row(label_hash)
            current = row.meta.version
            if base_version != current:
                raise ConflictError(
                    f"label row {label_hash} is at version {current}, but this save is based "
                    f"on version {base_version}: someone saved meanwhile; reload the labels "
                    "(initialise_labels(overwrite=True)) and apply the change again"
                )
            version = current + 1
            new_priority = priority if priority_changed else row.meta.priority
            row.meta = replace(row.meta, version=version, priority=new_priority)
            row.text = text
            row.history.append(
                LabelVersion(version, self._clock(), self._user, row.meta.workflow_stage)
            )
            return version

    def history(self, label_hash: str) -> list[LabelVersion]:
        """Every saved version, oldest first."""
        with self._lock:
            return list(self._row(label_hash).history)

    def _row(self, label_hash: str) -> _Row:
        row = self._rows.get(label_hash)
        if row is None:
            raise NotFoundError(f"no label row {label_hash!r} in this backend")
        return row
