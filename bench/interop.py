"""Label formats: export and import of N images x 20 boxes per format, beside json.dumps/loads.

10,000 images (1,000 with ``--quick``) of 640x480, each with 20 car boxes, as label rows over
an in-memory backend. For each format, ours: ``export(items, ontology, target)`` (the file or
folder written) and ``import_(target, ontology, rows, mode=add)`` into fresh rows (building
and checking every object). The baseline, in the same process on the same data: a plain list
of dicts (file name, size, 20 ``[class, x, y, w, h]`` boxes per image) through ``json.dumps``
and a file write, and a file read and ``json.loads``. Runs alternate, best of a few.

Prints one figure per line::

    baseline_dumps: N us/image           json.dumps + write of the plain data
    baseline_loads: N us/image           read + json.loads of it
    baseline_dumps_files: N us/image     the same, one file per image (as YOLO and VOC write)
    baseline_loads_files: N us/image     read + json.loads of each of those files
    coco_export: N us/image
    coco_export_vs_json_dumps: 1.2x      ours over the baseline (target: at most 3x)
    coco_import: N us/image
    coco_import_vs_json_loads: 2.5x
    ... the same for yolo, voc, cvat, labelstudio, json
    yolo_export_vs_json_dumps_files: 1.1x   folder formats (yolo, voc) also against the
    yolo_import_vs_json_loads_files: 1.3x   one-file-per-image baseline

One file per image is inherent to YOLO and Pascal VOC, and creating, writing and removing a
thousand small files costs several times one ``json.dumps`` of all the data: the ``_files``
baseline writes the same plain data one file per image into a fresh folder, replacing the
previous one, as the folder exports do (the plain ratios are printed too).

Run: ``PYTHONPATH=src python bench/interop.py [--quick] [--formats coco,yolo]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from annotask.labels import (
    BoundingBoxCoordinates,
    LabelRow,
    MemoryLabelBackend,
    ObjectInstance,
    Ontology,
)
from annotask.labels.formats import FORMAT_NAMES, ExportItem, ImportMode, get_format

WIDTH, HEIGHT = 640, 480
BOXES = 20
FOLDER_FORMATS = ("yolo", "voc")
"""Formats written as one file per image."""
ONTOLOGY = Ontology.from_dict(
    {"objects": [{"name": "car", "shape": "bounding_box"}, {"name": "bus", "shape": "polygon"}]}
)


def _rows(count: int, labelled: bool) -> dict[str, LabelRow]:
    backend = MemoryLabelBackend()
    car = ONTOLOGY.get_object("car")
    rows: dict[str, LabelRow] = {}
    for i in range(count):
        meta = backend.create_row(data_title=f"img{i:05d}.jpg", width=WIDTH, height=HEIGHT)
        row = LabelRow(meta, ONTOLOGY, backend)
        row.initialise_labels()
        if labelled:
            for b in range(BOXES):
                instance = ObjectInstance(car)
                x, y = (i * 7 + b * 31) % 500 / WIDTH, (i * 3 + b * 17) % 400 / HEIGHT
                instance.set_for_frames(BoundingBoxCoordinates(x, y, 0.1, 0.125))
                row.add_object_instance(instance)
        rows[row.data_title] = row
    return rows


def _plain(rows: dict[str, LabelRow]) -> list[dict[str, Any]]:
    plain = []
    for name, row in rows.items():
        boxes = []
        for instance in row.get_object_instances():
            c = instance.get_annotation().coordinates
            if isinstance(c, BoundingBoxCoordinates):
                boxes.append(
                    [0, c.top_left_x * WIDTH, c.top_left_y * HEIGHT, c.width * WIDTH,
                     c.height * HEIGHT]
                )  # fmt: skip
        plain.append({"file_name": name, "width": WIDTH, "height": HEIGHT, "boxes": boxes})
    return plain


def _dump_files(plain: list[dict[str, Any]], target: Path) -> None:
    """One JSON file per image in a fresh folder that replaces ``target`` (as folder exports do)."""
    fresh = Path(tempfile.mkdtemp(dir=target.parent))
    for image in plain:
        (fresh / f"{Path(image['file_name']).stem}.json").write_text(json.dumps(image))
    if target.exists():
        shutil.rmtree(target)
    fresh.rename(target)


def _load_files(source: Path) -> list[Any]:
    return [json.loads(path.read_text()) for path in sorted(source.glob("*.json"))]


def _best(
    runs: int, action: Callable[[], object], before: Callable[[], object] | None = None
) -> float:
    best = float("inf")
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 images, fewer runs")
    parser.add_argument("--formats", default=",".join(FORMAT_NAMES))
    args = parser.parse_args()
    count, runs = (1_000, 2) if args.quick else (10_000, 3)
    rows = _rows(count, labelled=True)
    items = [ExportItem(row, name) for name, row in rows.items()]
    plain = _plain(rows)
    folder = Path(tempfile.mkdtemp(prefix="annotask-bench-interop-"))
    try:
        baseline_file = folder / "plain.json"
        dumps = _best(runs, lambda: baseline_file.write_text(json.dumps(plain)))
        loads = _best(runs, lambda: json.loads(baseline_file.read_text()))
        files = folder / "plain-files"
        dumps_files = _best(runs, lambda: _dump_files(plain, files))
        loads_files = _best(runs, lambda: _load_files(files))
        per = 1e6 / count
        print(f"images: {count} x {BOXES} boxes")
        print(f"baseline_dumps: {dumps * per:.1f} us/image")
        print(f"baseline_loads: {loads * per:.1f} us/image")
        print(f"baseline_dumps_files: {dumps_files * per:.1f} us/image")
        print(f"baseline_loads_files: {loads_files * per:.1f} us/image")
        for name in args.formats.split(","):
            _format(
                name,
                items,
                folder,
                runs=runs,
                baseline=(dumps, loads),
                files=(dumps_files, loads_files) if name in FOLDER_FORMATS else None,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _format(
    name: str,
    items: list[ExportItem],
    folder: Path,
    *,
    runs: int,
    baseline: tuple[float, float],
    files: tuple[float, float] | None,
) -> None:
    module = get_format(name)
    count = len(items)
    target = folder / f"out-{name}"
    exported = _best(runs, lambda: module.export(items, ONTOLOGY, target))
    fresh: list[dict[str, LabelRow]] = []

    def prepare() -> None:
        fresh[:] = [_rows(count, labelled=False)]

    def run_import() -> None:
        report = module.import_(target, ONTOLOGY, fresh[0], mode=ImportMode.ADD)
        if report.objects_added != count * BOXES:
            raise SystemExit(f"{name}: imported {report.objects_added} of {count * BOXES}")

    imported = _best(runs, run_import, prepare)
    per = 1e6 / count
    print(f"{name}_export: {exported * per:.1f} us/image")
    print(f"{name}_export_vs_json_dumps: {exported / baseline[0]:.2f}x")
    print(f"{name}_import: {imported * per:.1f} us/image")
    print(f"{name}_import_vs_json_loads: {imported / baseline[1]:.2f}x")
    if files is not None:
        print(f"{name}_export_vs_json_dumps_files: {exported / files[0]:.2f}x")
        print(f"{name}_import_vs_json_loads_files: {imported / files[1]:.2f}x")


if __name__ == "__main__":
    main()
