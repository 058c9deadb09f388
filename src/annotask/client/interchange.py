"""A project's labels in and out: the native JSON export, COCO export and COCO import.

The native export is one JSON document (``schema`` :data:`EXPORT_SCHEMA`) holding every label
row's labels document (see :mod:`annotask.labels.document`) with what identifies the row::

    {"schema": "annotask.export", "schema_version": 1,
     "project": {"project_hash": ..., "title": ..., "ontology_hash": ...},
     "label_rows": [{"label_hash": ..., "data_hash": ..., "data_title": ..., "version": 3,
                     "labels": {...}}]}

COCO goes through :func:`annotask.labels.export_coco` and :func:`annotask.labels.import_coco`,
with each row's data title as its COCO file name.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from annotask.client.projects import Project
from annotask.errors import LabelError, ValidationError
from annotask.labels import CocoImportReport, LabelRow, export_coco, import_coco

__all__ = ["EXPORT_SCHEMA", "export_coco_labels", "export_json_labels", "import_coco_labels"]

EXPORT_SCHEMA = "annotask.export"
EXPORT_SCHEMA_VERSION = 1

_FRAME_SUFFIX = re.compile(r"#frame\d+$")


def _initialised(project: Project) -> list[LabelRow]:
    rows = project.list_label_rows()
    for row in rows:
        row.initialise_labels()
    return rows


def export_json_labels(project: Project) -> dict[str, Any]:
    """Every label row of ``project`` with its labels document, as one JSON-ready dict."""
    return {
        "schema": EXPORT_SCHEMA,
        "schema_version": EXPORT_SCHEMA_VERSION,
        "project": {
            "project_hash": project.project_hash,
            "title": project.title,
            "ontology_hash": project.ontology_hash,
        },
        "label_rows": [
            {
                "label_hash": row.label_hash,
                "data_hash": row.data_hash,
                "data_title": row.data_title,
                "version": row.version,
                "labels": row.to_dict(),
            }
            for row in _initialised(project)
        ],
    }


def export_coco_labels(project: Project, *, compress_rle: bool = False) -> dict[str, Any]:
    """``project``'s labels as a COCO dict, each row's data title as its file name.

    COCO coordinates are pixels, so every data item needs its size recorded (probed);
    a :class:`LabelError` names those that have none.
    """
    rows = _initialised(project)
    unsized = [row.data_title for row in rows if row.width is None or row.height is None]
    if unsized:
        raise LabelError(
            f"COCO export needs the pixel size of every image, and data item(s) "
            f"{_names(unsized)} of {project.what} have none recorded (they were not probed); "
            "the json format exports labels without sizes"
        )
    return export_coco(
        ((row, row.data_title) for row in rows), project.ontology, compress_rle=compress_rle
    )


def import_coco_labels(
    project: Project,
    coco: Mapping[str, Any],
    *,
    skip_unknown: bool = False,
    skip_unmatched: bool = False,
) -> CocoImportReport:
    """Add a COCO file's annotations to ``project``'s label rows, saved as new versions.

    Images are matched to data items by file name (data title). All or nothing: malformed
    input, categories that are not object classes of the ontology (unless ``skip_unknown``),
    images matching no data item (unless ``skip_unmatched``) or matching two, and a row
    saved by someone else meanwhile each raise, and no row changes. The rows that received
    objects are saved in one transaction.
    """
    rows = _initialised(project)
    titles = Counter(row.data_title for row in rows)
    by_title = {row.data_title: row for row in rows if titles[row.data_title] == 1}
    report = import_coco(coco, project.ontology, by_title, skip_unknown=skip_unknown)
    ambiguous = [n for n in report.unmatched_images if titles[_FRAME_SUFFIX.sub("", n)] > 1]
    if ambiguous:
        raise ValidationError(
            f"COCO images {_names(ambiguous)} each match several data items of {project.what} "
            "(data titles are not unique there); nothing was imported"
        )
    if report.unmatched_images and not skip_unmatched:
        raise LabelError(
            f"COCO images {_names(report.unmatched_images)} match no data item of "
            f"{project.what} (images are matched by file name = data title); nothing was "
            "imported; pass skip_unmatched=True (--skip-unmatched) to import the rest"
        )
    changed = set(report.rows_changed)
    project.save_label_rows([row for row in rows if row.label_hash in changed])
    return report


def _names(names: tuple[str, ...] | list[str], most: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
