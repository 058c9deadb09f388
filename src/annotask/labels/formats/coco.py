"""COCO: one JSON file of images, categories and annotations (pixels).

See :mod:`annotask.labels.coco` for the mapping: boxes, single-part polygons, RLE masks
(``iscrowd`` 0; crowd regions import like any other), skeleton keypoints, and video frames as
images named ``{file name}#frame{n}``. Numbers are rounded to 1e-4 px.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from annotask.errors import ValidationError
from annotask.labels.formats._coco_export import export_coco
from annotask.labels.formats._coco_import import import_checked_coco
from annotask.labels.formats._coco_schema import load_coco_json
from annotask.labels.formats._common import ExportItem, ExportReport, ImportMode, ImportReport
from annotask.labels.formats._files import write_json
from annotask.labels.formats._pause import collector_paused
from annotask.labels.label_row import LabelRow
from annotask.labels.ontology import Ontology

__all__ = ["export", "import_"]


@collector_paused
def export(
    items: Sequence[ExportItem], ontology: Ontology, target: Path, *, compress_rle: bool = False
) -> ExportReport:
    """Write ``items`` as one COCO file at ``target``."""
    coco = export_coco(((i.row, i.file_name) for i in items), ontology, compress_rle=compress_rle)
    write_json(target, coco)
    return ExportReport(
        target,
        len(coco["images"]),
        len(coco["annotations"]),
        dict(coco["info"].get("skipped_objects", {})),
    )


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
    """Read the COCO file ``source`` into the rows, all or nothing."""
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {source}: {exc.strerror or exc}") from exc
    document = load_coco_json(data, f"COCO file {source}")
    return import_checked_coco(
        document,
        ontology,
        rows_by_file_name,
        skip_unknown=skip_unknown,
        skip_unmatched=skip_unmatched,
        mode=mode,
    )
