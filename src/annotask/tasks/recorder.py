"""What one attempt of an agent changed, held back so that it commits with the task's move.

The label row, storage item and task a runner injects write here instead of to the store:
``label_row.save()``, ``label_row.set_priority()``, ``storage_item.update()`` and
``task.proceed()`` all land in the task's outcome and commit in one transaction with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from annotask.errors import ConflictError
from annotask.labels import LabelRowBackend, LabelVersion
from annotask.workflow import Pathway

__all__ = ["AttemptRecorder"]


class AttemptRecorder:
    """Collects one attempt's label save, priority, storage-item changes and proceed call."""

    def __init__(self, label_hash: str, store_backend: LabelRowBackend) -> None:
        self.label_hash = label_hash
        self._store_backend = store_backend
        self.saves: list[Mapping[str, Any]] = []
        """The documents saved to the task's row, oldest first: each becomes a version."""
        self.base_version: int | None = None
        self.priority: float | None = None
        self.item_updates: dict[str, dict[str, Any]] = {}
        self.proceed: Pathway | None = None

    # LabelRowBackend -----------------------------------------------------------------------
    def fetch_document(self, label_hash: str) -> tuple[dict[str, Any] | None, int]:
        """Reads go to the store."""
        return self._store_backend.fetch_document(label_hash)

    def save(
        self,
        label_hash: str,
        document: Mapping[str, Any],
        base_version: int,
        priority: float | None,
        priority_changed: bool,
    ) -> int:
        """Hold the document until the batch commits; the version it will get is returned.

        A row saved again builds on the version its last save got, as a save to the store
        would; one reloaded meanwhile (``initialise_labels(overwrite=True)``) builds on the
        store's version again, and the saves it did not build on are dropped.
        """
        if label_hash != self.label_hash:
            return self._store_backend.save(
                label_hash, document, base_version, priority, priority_changed
            )
        if self.base_version is None:
            self.base_version = base_version
        kept = base_version - self.base_version
        if not 0 <= kept <= len(self.saves):
            raise ConflictError(
                f"label row {label_hash}: saved from version {base_version}, but this task's "
                f"row is at version {self.base_version + len(self.saves)}; reload it with "
                "initialise_labels(overwrite=True) and apply the change again"
            )
        del self.saves[kept:]
        self.saves.append(document)
        if priority_changed and priority is not None:
            self.priority = priority
        return base_version + 1

    def history(self, label_hash: str) -> list[LabelVersion]:
        """History comes from the store (pending saves are not in it yet)."""
        return self._store_backend.history(label_hash)

    # ItemUpdateSink ------------------------------------------------------------------------
    def record_item_update(self, item_uuid: str, changes: Mapping[str, Any]) -> None:
        """Merge a storage item change into the outcome."""
        self.item_updates.setdefault(item_uuid, {}).update(changes)

    # AgentTask.proceed ---------------------------------------------------------------------
    def record_proceed(self, pathway: Pathway) -> None:
        """The agent called ``task.proceed(...)``: remember the pathway."""
        self.proceed = pathway
