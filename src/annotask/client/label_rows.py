"""Label rows over the store: bulk loading, and the backend their saves go through."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from annotask.datatypes import DataType
from annotask.errors import NotFoundError, ValidationError
from annotask.labels import (
    LabelRow,
    LabelRowBackend,
    LabelRowMeta,
    LabelSaveRequest,
    LabelVersion,
    Ontology,
)
from annotask.labels.document import encode_document
from annotask.labels.encoded import document_json
from annotask.store import labels as label_store
from annotask.store import tasks as task_store
from annotask.store.records import LabelRowRecord
from annotask.workflow.context import Action, Context

__all__ = ["MAIN_BRANCH", "StoreLabelBackend", "check_branch_name", "label_row_from_record"]

MAIN_BRANCH = label_store.MAIN_BRANCH

_MAX_BRANCH = 200


def check_branch_name(branch_name: object, where: str) -> str:
    """``branch_name`` if it can name a label branch; else a ValidationError naming
    ``where`` it was given and the fix. None means ``main``."""
    if branch_name is None:
        return MAIN_BRANCH
    if (
        not isinstance(branch_name, str)
        or not branch_name.strip()
        or len(branch_name) > _MAX_BRANCH
        or any(ord(c) < 32 or ord(c) == 127 for c in branch_name)
    ):
        raise ValidationError(
            f"label branch {branch_name!r} for {where}: a branch name is 1 to {_MAX_BRANCH} "
            "printable characters (the default is 'main')"
        )
    return branch_name


class StoreLabelBackend:
    """Saves and loads one project's label rows in the store, version-checked."""

    def __init__(
        self, ctx: Context, project_hash: str, what: str, stage_names: Mapping[str, str]
    ) -> None:
        self._ctx = ctx
        self._project_hash = project_hash
        self._what = what
        self._stage_names = stage_names

    def fetch_document(self, label_hash: str) -> tuple[dict[str, Any] | None, int]:
        """The row's current document and version."""
        with self._ctx.store.read() as conn:
            self._ctx.require(conn, self._project_hash, Action.READ, self._what)
            rows = label_store.get_label_rows(conn, self._project_hash, label_hashes=[label_hash])
        if not rows:
            return None, 0
        text = rows[0].labels_json
        return (None if text is None else json.loads(text)), rows[0].version

    def fetch_documents(
        self, label_hashes: Sequence[str]
    ) -> dict[str, tuple[dict[str, Any] | None, int]]:
        """Label hash -> (current document, version) for many rows, in one query."""
        with self._ctx.store.read() as conn:
            self._ctx.require(conn, self._project_hash, Action.READ, self._what)
            rows = label_store.get_label_rows(
                conn, self._project_hash, label_hashes=list(label_hashes)
            )
        return {
            r.label_hash: (None if r.labels_json is None else json.loads(r.labels_json), r.version)
            for r in rows
        }

    def save(
        self,
        label_hash: str,
        document: Mapping[str, Any],
        base_version: int,
        priority: float | None,
        priority_changed: bool,
    ) -> int:
        """Store the document as the next version (and the priority when it changed)."""
        request = LabelSaveRequest(label_hash, document, base_version, priority, priority_changed)
        return self.save_many([request])[label_hash]

    def save_many(self, requests: Iterable[LabelSaveRequest]) -> dict[str, int]:
        """Store every request as its row's next version, in one transaction, all or none.

        Returns label hash -> new version. A stale request is a :class:`ConflictError`; a
        label hash that is not a row of this project is a :class:`NotFoundError`. Each
        document is encoded as it arrives (a generator of requests never holds them all),
        before the transaction opens.
        """
        encoded = [_Encoded.of(r) for r in requests]
        if not encoded:
            return {}
        with self._ctx.store.write() as conn:
            self._ctx.require(conn, self._project_hash, Action.LABEL, self._what)
            stages = self._stages_of(conn, [e.label_hash for e in encoded])
            saves = [
                label_store.LabelSave(
                    e.label_hash, e.text, e.base_version, self._ctx.user, stages[e.label_hash]
                )
                for e in encoded
            ]
            versions = label_store.save_label_rows(conn, saves)
            priorities = {e.label_hash: e.priority for e in encoded if e.priority is not None}
            if priorities:
                task_store.set_label_priorities(conn, priorities)
        return versions

    def _stages_of(self, conn: Connection, label_hashes: Sequence[str]) -> dict[str, str | None]:
        """Label hash -> the stage name of its task; NotFoundError for hashes not in the project."""
        rows = label_store.get_label_rows(
            conn, self._project_hash, label_hashes=label_hashes, with_labels=False
        )
        stages = {r.label_hash: self._stage_names.get(r.stage_uuid) for r in rows}
        missing = [h for h in label_hashes if h not in stages]
        if missing:
            raise NotFoundError(
                f"{self._what} has no label row(s) {', '.join(missing[:5])}"
                f"{' …' if len(missing) > 5 else ''}; save rows loaded from this project"
            )
        return stages

    def history(self, label_hash: str) -> list[LabelVersion]:
        """Every saved version, oldest first."""
        with self._ctx.store.read() as conn:
            self._ctx.require(conn, self._project_hash, Action.READ, self._what)
            records = label_store.label_history(conn, label_hash)
        return [LabelVersion(r.version, r.saved_at, r.saved_by, r.workflow_stage) for r in records]


@dataclass(frozen=True, slots=True)
class _Encoded:
    """A save request with its document encoded: the text, and the priority to write."""

    label_hash: str
    text: str
    base_version: int
    priority: float | None

    @classmethod
    def of(cls, request: LabelSaveRequest) -> _Encoded:
        priority = request.priority if request.priority_changed else None
        text = document_json(request.document)
        return cls(request.label_hash, text, request.base_version, priority)


_EMPTY = json.dumps(encode_document((), ()))


def label_row_from_record(
    record: LabelRowRecord,
    ontology: Ontology,
    backend: LabelRowBackend,
    stage_names: Mapping[str, str],
    stage_types: Mapping[str, str] | None = None,
) -> LabelRow:
    """A LabelRow for a stored row, its document prefetched; ``stage_types`` (stage UUID ->
    type) lets the row tell its label status from its stage."""
    props = record.item.properties
    meta = LabelRowMeta(
        label_hash=record.label_hash,
        data_hash=record.data_hash,
        data_title=record.item.name,
        data_type=DataType(record.item.data_type),
        width=props.get("width"),
        height=props.get("height"),
        number_of_frames=int(props.get("frame_count") or 1),
        fps=props.get("fps"),
        priority=record.priority,
        client_metadata=dict(record.item.client_metadata),
        workflow_stage=stage_names.get(record.stage_uuid),
        version=record.version,
        branch_name=record.branch_name,
        workflow_stage_uuid=record.stage_uuid,
        workflow_stage_type=None if stage_types is None else stage_types.get(record.stage_uuid),
        # A never-saved row is prefetched as empty, so loading it costs no query of its own.
        document=record.labels_json if record.labels_json is not None else _EMPTY,
    )
    return LabelRow(meta, ontology, backend)
