"""A project's labels in and out, in every format of :mod:`annotask.labels.formats`.

Rows are named by their data title (the file name formats match on). Exports of formats that
carry images (YOLO, Pascal VOC) copy local assets beside the labels. Imports are all or
nothing: the input is checked whole against the rows, and the rows that change are saved in
one transaction, each as a new version; a title shared by two data items cannot be matched and
is refused.

The native export (``json``) is one document (``schema`` :data:`EXPORT_SCHEMA`) holding every
label row's labels document with what identifies the row::

    {"schema": "annotask.export", "schema_version": 1,
     "project": {"project_hash": ..., "title": ..., "ontology_hash": ...},
     "label_rows": [{"label_hash": ..., "data_hash": ..., "data_title": ..., "version": 3,
                     "labels": {...}}]}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from annotask.client.projects import Project
from annotask.errors import LabelError, ValidationError
from annotask.labels import LabelRow, export_coco, import_coco
from annotask.labels.formats import (
    ExportItem,
    ExportReport,
    ImportMode,
    ImportReport,
    get_format,
)
from annotask.labels.formats._common import names, split_frame
from annotask.labels.formats.json import EXPORT_SCHEMA, to_document
from annotask.workflow.context import Action

__all__ = [
    "EXPORT_SCHEMA",
    "export_coco_labels",
    "export_json_labels",
    "export_labels",
    "import_coco_labels",
    "import_labels",
]

_SIZED = {"coco": "COCO", "voc": "Pascal VOC", "cvat": "CVAT XML"}


def _initialised(project: Project, branch_name: str | None = None) -> list[LabelRow]:
    rows = project.list_label_rows(branch_name=branch_name)
    for row in rows:
        row.initialise_labels()
    return rows


def _project_info(project: Project) -> dict[str, Any]:
    return {
        "project_hash": project.project_hash,
        "title": project.title,
        "ontology_hash": project.ontology_hash,
    }


def _local_paths(project: Project) -> dict[str, Path]:
    """data hash -> local file of each item whose URI is a local path."""
    paths: dict[str, Path] = {}
    for dataset in project.datasets:
        for item in dataset.list_items():
            parsed = urlparse(item.uri)
            if parsed.scheme in ("", "file"):
                paths[item.data_hash] = Path(unquote(parsed.path) if parsed.scheme else item.uri)
    return paths


def _check_sized(project: Project, rows: list[LabelRow], format_name: str) -> None:
    unsized = [row.data_title for row in rows if row.width is None or row.height is None]
    if unsized:
        raise LabelError(
            f"{format_name} export needs the pixel size of every image, and data item(s) "
            f"{names(unsized)} of {project.what} have none recorded (they were not probed); "
            "the json format exports labels without sizes"
        )


def export_labels(
    project: Project,
    format_name: str,
    target: Path,
    *,
    branch_name: str | None = None,
    **options: Any,
) -> ExportReport:
    """Write ``project``'s labels to ``target`` in format ``format_name`` (a file or folder).

    ``branch_name`` picks the label branch (default ``main``); ``options`` go to the
    format's ``export`` (``compress_rle`` for COCO).
    """
    module = get_format(format_name)
    rows = _initialised(project, branch_name)
    if format_name in _SIZED:
        _check_sized(project, rows, _SIZED[format_name])
    paths = _local_paths(project) if format_name in ("yolo", "voc") else {}
    items = [ExportItem(row, row.data_title, paths.get(row.data_hash)) for row in rows]
    if format_name == "json":
        options = {**options, "project": _project_info(project)}
    report: ExportReport = module.export(items, project.ontology, target, **options)
    return report


def import_labels(
    project: Project,
    format_name: str,
    source: Path,
    *,
    mode: ImportMode = ImportMode.SKIP_EXISTING,
    skip_unknown: bool = False,
    skip_unmatched: bool = False,
    branch_name: str | None = None,
) -> ImportReport:
    """Read ``source`` (format ``format_name``) into ``project``'s rows; all or nothing.

    ``mode``: ``skip-existing`` (the default) leaves rows that hold objects alone, so importing
    twice changes nothing; ``add`` adds beside them; ``replace`` clears the rows the file names.
    ``branch_name`` picks the label branch the rows are on (default ``main``).
    """
    project._check(Action.EDIT_LABELS)  # an import is editing labels by hand, as a PUT is
    module = get_format(format_name)
    rows = _initialised(project, branch_name)
    by_title = _unique_titles(project, rows)
    report: ImportReport = module.import_(
        source,
        project.ontology,
        by_title,
        mode=mode,
        skip_unknown=skip_unknown,
        skip_unmatched=True,
    )
    _check_unmatched(project, rows, report, skip_unmatched)
    changed = set(report.rows_changed)
    project.save_label_rows([row for row in rows if row.label_hash in changed])
    return report


def _unique_titles(project: Project, rows: list[LabelRow]) -> dict[str, LabelRow]:
    titles = Counter(row.data_title for row in rows)
    return {row.data_title: row for row in rows if titles[row.data_title] == 1}


def _check_unmatched(
    project: Project, rows: list[LabelRow], report: ImportReport, skip_unmatched: bool
) -> None:
    titles = Counter(row.data_title for row in rows)
    ambiguous = [n for n in report.unmatched_images if titles[_base(n)] > 1]
    if ambiguous:
        raise ValidationError(
            f"images {names(ambiguous)} each match several data items of {project.what} "
            "(data titles are not unique there); nothing was imported"
        )
    if report.unmatched_images and not skip_unmatched:
        raise LabelError(
            f"images {names(report.unmatched_images)} match no data item of {project.what} "
            "(images are matched by file name = data title); nothing was imported; pass "
            "skip_unmatched=True (--skip-unmatched) to import the rest"
        )


def _base(file_name: str) -> str:
    split = split_frame(file_name)
    return file_name if split is None else split[0]


def export_json_labels(project: Project) -> dict[str, Any]:
    """Every label row of ``project`` with its labels document, as one JSON-ready dict."""
    rows = _initialised(project)
    items = [ExportItem(row, row.data_title) for row in rows]
    return to_document(items, _project_info(project))


def export_coco_labels(project: Project, *, compress_rle: bool = False) -> dict[str, Any]:
    """``project``'s labels as a COCO dict, each row's data title as its file name."""
    rows = _initialised(project)
    _check_sized(project, rows, "COCO")
    return export_coco(
        ((row, row.data_title) for row in rows), project.ontology, compress_rle=compress_rle
    )


def import_coco_labels(
    project: Project,
    coco: Mapping[str, Any],
    *,
    mode: ImportMode = ImportMode.SKIP_EXISTING,
    skip_unknown: bool = False,
    skip_unmatched: bool = False,
) -> ImportReport:
    """Add a COCO dict's annotations to ``project``'s label rows (see :func:`import_labels`)."""
    project._check(Action.EDIT_LABELS)  # an import is editing labels by hand, as a PUT is
    rows = _initialised(project)
    by_title = _unique_titles(project, rows)
    report = import_coco(coco, project.ontology, by_title, skip_unknown=skip_unknown, mode=mode)
    _check_unmatched(project, rows, report, skip_unmatched)
    changed = set(report.rows_changed)
    project.save_label_rows([row for row in rows if row.label_hash in changed])
    return report
