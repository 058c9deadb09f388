"""annotask's own JSON: every label row with its whole labels document (objects, attributes,
classifications, confidences, frames), so nothing is lost.

The file (``schema`` "annotask.export", ``schema_version`` 1)::

    {"schema": "annotask.export", "schema_version": 1, "project": {...},
     "label_rows": [{"label_hash": ..., "data_hash": ..., "data_title": ..., "version": 3,
                     "labels": {...}}]}

Import matches ``data_title`` to the rows, reads each labels document against the ontology
(feature hashes, as an ontology file gives them) and adds copies of its object and
classification instances (new hashes) as the mode says; under ``add`` a classification that
would share a frame with one already there is left out and counted as skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from annotask.errors import AnnotaskError, LabelError
from annotask.labels.classification_instance import ClassificationInstance
from annotask.labels.formats._build import Built
from annotask.labels.formats._common import (
    ExportItem,
    ExportReport,
    ImportMode,
    ImportReport,
    Problems,
    apply_mode,
    names,
)
from annotask.labels.formats._files import read_json, write_json
from annotask.labels.formats._pause import collector_paused
from annotask.labels.label_row import LabelRow
from annotask.labels.memory_backend import MemoryLabelBackend
from annotask.labels.ontology import Ontology

__all__ = ["EXPORT_SCHEMA", "EXPORT_SCHEMA_VERSION", "export", "import_", "to_document"]

EXPORT_SCHEMA = "annotask.export"
EXPORT_SCHEMA_VERSION = 1


def to_document(
    items: Sequence[ExportItem], project: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The export document of ``items`` (``project``: what identifies their project)."""
    document: dict[str, Any] = {"schema": EXPORT_SCHEMA, "schema_version": EXPORT_SCHEMA_VERSION}
    if project is not None:
        document["project"] = dict(project)
    document["label_rows"] = [
        {
            "label_hash": item.row.label_hash,
            "data_hash": item.row.data_hash,
            "data_title": item.file_name,
            "version": item.row.version,
            "labels": item.row.to_dict(),
        }
        for item in items
    ]
    return document


@collector_paused
def export(
    items: Sequence[ExportItem],
    ontology: Ontology,
    target: Path,
    *,
    project: Mapping[str, Any] | None = None,
) -> ExportReport:
    """Write ``items`` as one annotask JSON file at ``target``."""
    write_json(target, to_document(items, project))
    objects = sum(len(item.row._objects) for item in items)  # counted, not built
    return ExportReport(target, len(items), objects)


@collector_paused
def import_(
    source: Path,
    ontology: Ontology,
    rows_by_file_name: Mapping[str, LabelRow],
    *,
    mode: ImportMode = ImportMode.SKIP_EXISTING,
    skip_unknown: bool = False,
    skip_unmatched: bool = False,
) -> ImportReport:
    """Read an annotask JSON export into the rows, all or nothing.

    ``skip_unknown`` is accepted for the common shape; documents name classes by feature
    hash, and one the ontology lacks is always an error.
    """
    del skip_unknown
    entries = _entries(read_json(source, "annotask JSON"))
    problems = Problems("annotask JSON")
    unmatched: list[str] = []
    read: list[tuple[LabelRow, LabelRow]] = []
    for number, entry in enumerate(entries):
        title = entry.get("data_title")
        row = rows_by_file_name.get(title) if isinstance(title, str) else None
        if row is None:
            unmatched.append(str(title))
            continue
        try:
            read.append((row, _scratch(row, entry.get("labels"), ontology)))
        except AnnotaskError as exc:
            problems.add(f"label_rows[{number}] ({title!r}): {exc}")
    if unmatched and not skip_unmatched:
        problems.add(
            f"rows {names(unmatched)} match no data item (matched by data title); pass "
            "skip_unmatched=True (--skip-unmatched) to import the rest"
        )
    problems.raise_any()
    return _apply(read, mode, unmatched)


def _entries(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict) or document.get("schema") != EXPORT_SCHEMA:
        raise LabelError(
            f"not an annotask JSON export (its 'schema' is not {EXPORT_SCHEMA!r}); "
            "nothing was imported"
        )
    if document.get("schema_version") != EXPORT_SCHEMA_VERSION:
        raise LabelError(
            f"annotask JSON schema_version {document.get('schema_version')!r} is not "
            f"{EXPORT_SCHEMA_VERSION}; nothing was imported"
        )
    entries = document.get("label_rows")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise LabelError("annotask JSON 'label_rows' must be a list of objects")
    return entries


def _scratch(row: LabelRow, labels: object, ontology: Ontology) -> LabelRow:
    if not isinstance(labels, dict):
        raise LabelError("'labels' must be a labels document (an object)")
    meta = MemoryLabelBackend().create_row(
        data_title=row.data_title,
        data_type=row.data_type,
        width=row.width,
        height=row.height,
        number_of_frames=row.number_of_frames,
        fps=row.fps,
    )
    return LabelRow.from_dict(labels, meta, ontology)


def _apply(
    read: list[tuple[LabelRow, LabelRow]], mode: ImportMode, unmatched: list[str]
) -> ImportReport:
    built = [
        Built(row, instance.copy(), len(instance.get_annotation_frames()))
        for row, scratch in read
        for instance in scratch.get_object_instances()
    ]
    named = list({row.label_hash: row for row, _ in read}.values())
    applied = apply_mode(named, built, mode)
    changed = dict.fromkeys(applied.changed)
    left_out = 0
    for row, scratch in read:
        if row.label_hash in applied.skipped:
            continue
        if mode is ImportMode.REPLACE:
            for old in row.get_classification_instances():
                row.remove_classification(old)
                changed.setdefault(row.label_hash)
        for instance in scratch.get_classification_instances():
            if _clashes(row, instance):
                left_out += 1
                continue
            row.add_classification_instance(instance.copy())
            changed.setdefault(row.label_hash)
    return ImportReport(
        objects_added=applied.added,
        annotations_imported=applied.annotations,
        rows_changed=tuple(changed),
        unmatched_images=tuple(unmatched),
        unknown_categories=(),
        skipped_annotations=left_out,
        mode=mode,
        objects_removed=applied.removed,
        rows_skipped=applied.skipped,
    )


def _clashes(row: LabelRow, instance: ClassificationInstance) -> bool:
    frames = instance.get_annotation_frames()
    if not frames:  # on no frame: clashes with any instance of its classification
        return bool(row.get_classification_instances(instance.ontology_item))
    return bool(row.get_classification_instances(instance.ontology_item, filter_frames=frames))
