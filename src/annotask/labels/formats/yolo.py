"""YOLO (Ultralytics layout): ``data.yaml``, ``images/``, ``labels/`` with one text file per image.

Each label file line is ``class x_center y_center width height`` for a box, or
``class x1 y1 x2 y2 ...`` (at least three points) for a polygon, all in fractions of the image
(6 decimals). Class ids are the positions of the object classes in the ontology (all of them,
listed in ``data.yaml`` under ``names``), so ids stay stable across exports. Bounding-box
classes are written as boxes, polygon classes as polygons; other shapes are left out and
counted. A frame of a video is the image ``{stem}#frame{n}``. Images are copied (hard-linked)
into ``images/`` where the item is a local file. YOLO has no confidence: imports are manual.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from annotask.errors import LabelError
from annotask.labels.coordinates import BoundingBoxCoordinates, PointCoordinate, PolygonCoordinates
from annotask.labels.formats._common import (
    ExportItem,
    ExportReport,
    ImportMode,
    ImportReport,
    Region,
    RegionImporter,
    box_from_edges,
    clean,
    file_stem,
    finite,
    stems_to_titles,
    unit,
)
from annotask.labels.formats._files import copy_image, replace_folder
from annotask.labels.formats._pause import collector_paused
from annotask.labels.label_row import LabelRow
from annotask.labels.ontology import Ontology

__all__ = ["export", "import_"]

_DIGITS = 6
_MAX_YAML = 1 << 20
_IMAGE_SUFFIXES = {".bmp", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}


@collector_paused
def export(items: Sequence[ExportItem], ontology: Ontology, target: Path) -> ExportReport:
    """Write ``items`` as a YOLO folder at ``target`` (replaced whole if it exists)."""
    ids = {o.feature_hash: i for i, o in enumerate(ontology.objects)}
    skipped: dict[str, int] = {}
    images = objects = 0
    seen: dict[str, str] = {}
    with replace_folder(target) as folder:
        (folder / "images").mkdir()
        (folder / "labels").mkdir()
        _write_yaml(folder, ontology)
        for item in items:
            for stem, lines in _item_lines(item, ids, skipped):
                if stem in seen:
                    raise LabelError(
                        f"YOLO names files by stem, and {item.file_name!r} and {seen[stem]!r} "
                        f"both give {stem!r}; rename one data item"
                    )
                seen[stem] = item.file_name
                (folder / "labels" / f"{stem}.txt").write_text("".join(lines), encoding="utf-8")
                objects += len(lines)
                images += 1
            if item.row.number_of_frames == 1:
                suffix = Path(item.file_name).suffix
                copy_image(
                    item.image_path, folder / "images" / f"{file_stem(item.file_name)}{suffix}"
                )
    return ExportReport(target, images, objects, dict(sorted(skipped.items())))


def _write_yaml(folder: Path, ontology: Ontology) -> None:
    data = {
        "path": ".",
        "train": "images",
        "val": "images",
        "nc": len(ontology.objects),
        "names": {i: o.name for i, o in enumerate(ontology.objects)},
    }
    (folder / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _item_lines(
    item: ExportItem, ids: dict[str, int], skipped: dict[str, int]
) -> Iterator[tuple[str, list[str]]]:
    row = item.row
    lines: dict[int, list[str]] = {}
    for instance in row.get_object_instances():
        class_id = ids.get(instance.feature_hash)
        if class_id is None:
            raise LabelError(
                f"object class {instance.object_name!r} is not in the ontology given to export"
            )
        for annotation in instance.get_annotations():
            line = _line(class_id, annotation.coordinates)
            if line is None:
                shape = instance.ontology_item.shape.value
                skipped[shape] = skipped.get(shape, 0) + 1
                continue
            lines.setdefault(annotation.frame, []).append(line)
    if row.number_of_frames == 1:
        yield file_stem(item.file_name), lines.get(0, [])
        return
    for frame in sorted(lines):
        yield file_stem(item.file_name, frame), lines[frame]


def _line(class_id: int, coordinates: object) -> str | None:
    if isinstance(coordinates, BoundingBoxCoordinates):
        values = [
            coordinates.top_left_x + coordinates.width / 2,
            coordinates.top_left_y + coordinates.height / 2,
            coordinates.width,
            coordinates.height,
        ]
    elif isinstance(coordinates, PolygonCoordinates):
        values = [v for p in coordinates.points for v in (p.x, p.y)]
    else:
        return None
    return " ".join([str(class_id), *(str(clean(v, _DIGITS)) for v in values)]) + "\n"


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
    """Read the YOLO folder ``source`` into the rows, all or nothing."""
    importer = RegionImporter(
        "YOLO",
        ontology,
        rows_by_file_name,
        skip_unknown=skip_unknown,
        skip_unmatched=skip_unmatched,
    )
    names = _read_names(source)
    titles = stems_to_titles(rows_by_file_name)
    labels = source / "labels"
    if not labels.is_dir():
        raise LabelError(f"YOLO folder {source} has no labels/ folder; nothing was imported")
    regions: list[Region] = []
    for path in sorted(labels.glob("*.txt")):
        file_name = titles.get(path.stem, path.stem)
        importer.match(file_name)
        regions.extend(_read_labels(path, file_name, names, importer))
    for path in sorted((source / "images").glob("*")):
        if path.suffix.lower() in _IMAGE_SUFFIXES and not (labels / f"{path.stem}.txt").exists():
            importer.match(titles.get(path.stem, path.name))
    return importer.run(regions, mode)


def _read_names(source: Path) -> dict[int, str]:
    path = source / "data.yaml"
    try:
        text = path.read_bytes()[: _MAX_YAML + 1]
    except OSError as exc:
        raise LabelError(
            f"YOLO folder {source} has no readable data.yaml ({exc.strerror or exc}); "
            "nothing was imported"
        ) from None
    if len(text) > _MAX_YAML:
        raise LabelError(f"{path} is over {_MAX_YAML} bytes; nothing was imported")
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LabelError(f"{path} is not YAML ({exc}); nothing was imported") from None
    names = data.get("names") if isinstance(data, dict) else None
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return dict(enumerate(names))
    if isinstance(names, dict) and all(
        type(k) is int and isinstance(v, str) for k, v in names.items()
    ):
        return dict(names)
    raise LabelError(
        f"{path} needs 'names': a list of class names or a mapping id -> name; nothing was imported"
    )


def _read_labels(
    path: Path, file_name: str, names: dict[int, str], importer: RegionImporter
) -> Iterator[Region]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        importer.problems.add(f"{path.name}: cannot be read ({exc})")
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            class_name, coordinates = _parse_line(line.split(), names)
        except LabelError as exc:
            importer.problems.add(f"{where}: {exc}")
            continue
        yield Region(file_name, class_name, coordinates, where)


def _parse_line(
    values: list[str], names: dict[int, str]
) -> tuple[str, BoundingBoxCoordinates | PolygonCoordinates]:
    try:
        class_id = int(values[0])
    except ValueError:
        raise LabelError(f"class id {values[0]!r} is not an int") from None
    if class_id not in names:
        raise LabelError(f"class id {class_id} is not in data.yaml's names")
    numbers = [finite(v, "coordinate") for v in values[1:]]
    if len(numbers) == 4:
        cx, cy, w, h = numbers
        if w < 0 or h < 0:
            raise LabelError(f"box {values[1:]} has a negative size")
        left = unit(cx - w / 2, "box left edge")
        top = unit(cy - h / 2, "box top edge")
        right = unit(cx + w / 2, "box right edge")
        bottom = unit(cy + h / 2, "box bottom edge")
        return names[class_id], box_from_edges(left, top, right, bottom)
    if len(numbers) % 2 or len(numbers) < 6:
        raise LabelError(
            f"a line is 'class cx cy w h' or 'class x1 y1 x2 y2 x3 y3 ...' (3 points or more); "
            f"got {len(numbers)} numbers"
        )
    points = [
        PointCoordinate(unit(numbers[i], "polygon x"), unit(numbers[i + 1], "polygon y"))
        for i in range(0, len(numbers), 2)
    ]
    return names[class_id], PolygonCoordinates(points)
