"""Pascal VOC: a folder of ``Annotations/{stem}.xml`` (one per image) and ``JPEGImages/``.

Each object is ``<object><name>`` with a ``<bndbox>`` in the VOC devkit's 1-based inclusive
pixels (``xmin = x + 1``, ``xmax = x + width``); polygon classes also carry a ``<polygon>``
(``x1, y1, x2, ...``, 1-based) as supervision and CVAT write it. Bounding-box and polygon
classes are carried; other shapes are left out and counted. A frame of a video is the image
``{stem}#frame{n}``. VOC has no confidence: imports are manual.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

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
    frame_file_name,
    pixels,
    stems_to_titles,
)
from annotask.labels.formats._files import copy_image, replace_folder
from annotask.labels.formats._pause import collector_paused
from annotask.labels.formats._xml import parse_xml, to_bytes
from annotask.labels.label_row import LabelRow
from annotask.labels.ontology import Ontology
from annotask.labels.ontology_model import Shape

__all__ = ["export", "import_"]

_SUB = etree.SubElement
_XML_UNSAFE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot carry."""


@collector_paused
def export(items: Sequence[ExportItem], ontology: Ontology, target: Path) -> ExportReport:
    """Write ``items`` as a Pascal VOC folder at ``target`` (replaced whole if it exists)."""
    known = {o.feature_hash for o in ontology.objects}
    skipped: dict[str, int] = {}
    images = objects = 0
    with replace_folder(target) as folder:
        (folder / "Annotations").mkdir()
        (folder / "JPEGImages").mkdir()
        for item in items:
            row = item.row
            if row.width is None or row.height is None:
                raise LabelError(f"{row.data_title}: Pascal VOC needs the image size")
            for frame, objs in _frames(row, known, skipped):
                name = item.file_name if frame is None else frame_file_name(item.file_name, frame)
                data = _annotation_bytes(name, row.width, row.height, objs)
                stem = file_stem(item.file_name, frame)
                (folder / "Annotations" / f"{stem}.xml").write_bytes(data)
                images += 1
                objects += len(objs)
            if row.number_of_frames == 1:
                copy_image(item.image_path, folder / "JPEGImages" / Path(item.file_name).name)
    return ExportReport(target, images, objects, dict(sorted(skipped.items())))


def _frames(
    row: LabelRow, known: set[str], skipped: dict[str, int]
) -> Iterator[tuple[int | None, list[tuple[str, object]]]]:
    frames: dict[int, list[tuple[str, object]]] = {}
    for instance in row.get_object_instances():
        if instance.feature_hash not in known:
            raise LabelError(f"object class {instance.object_name!r} is not in the ontology")
        shape = instance.ontology_item.shape
        for annotation in instance.get_annotations():
            if shape not in (Shape.BOUNDING_BOX, Shape.POLYGON):
                skipped[shape.value] = skipped.get(shape.value, 0) + 1
                continue
            frames.setdefault(annotation.frame, []).append(
                (instance.object_name, annotation.coordinates)
            )
    if row.number_of_frames == 1:
        yield None, frames.get(0, [])
        return
    for frame in sorted(frames):
        yield frame, frames[frame]


def _annotation_bytes(name: str, width: int, height: int, objs: list[tuple[str, object]]) -> bytes:
    """The XML file of one image: written as text (what lxml writes, byte for byte, without
    a tree of elements per object); names XML cannot carry go through lxml, which refuses them.
    """
    if _XML_UNSAFE.search(name) or any(_XML_UNSAFE.search(c) for c, _ in objs):
        return to_bytes(_annotation(name, width, height, objs))
    parts = [
        "<?xml version='1.0' encoding='utf-8'?>\n<annotation>\n"
        f"  <folder>JPEGImages</folder>\n  <filename>{escape(name)}</filename>\n"
        f"  <size>\n    <width>{width}</width>\n    <height>{height}</height>\n"
        "    <depth>3</depth>\n  </size>\n  <segmented>0</segmented>\n"
    ]
    for class_name, coordinates in objs:
        parts.append(
            f"  <object>\n    <name>{escape(class_name)}</name>\n"
            "    <pose>Unspecified</pose>\n    <truncated>0</truncated>\n"
            "    <difficult>0</difficult>\n"
        )
        parts.append(_geometry_text(coordinates, width, height))
        parts.append("  </object>\n")
    parts.append("</annotation>\n")
    return "".join(parts).encode("utf-8")


def _geometry_text(coordinates: object, width: int, height: int) -> str:
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    if isinstance(coordinates, BoundingBoxCoordinates):
        left, top = coordinates.top_left_x, coordinates.top_left_y
        xs = (left, left + coordinates.width)
        ys = (top, top + coordinates.height)
        polygon = ""
    elif isinstance(coordinates, PolygonCoordinates):
        xs = tuple(p.x for p in coordinates.points)
        ys = tuple(p.y for p in coordinates.points)
        corners = "".join(
            f"      <x{i}>{clean(x * width + 1)}</x{i}>\n"
            f"      <y{i}>{clean(y * height + 1)}</y{i}>\n"
            for i, (x, y) in enumerate(zip(xs, ys, strict=True), start=1)
        )
        polygon = f"    <polygon>\n{corners}    </polygon>\n"
    else:  # pragma: no cover - _frames passes boxes and polygons only
        return ""
    return (
        f"{polygon}    <bndbox>\n      <xmin>{clean(min(xs) * width + 1)}</xmin>\n"
        f"      <ymin>{clean(min(ys) * height + 1)}</ymin>\n"
        f"      <xmax>{clean(max(xs) * width)}</xmax>\n"
        f"      <ymax>{clean(max(ys) * height)}</ymax>\n    </bndbox>\n"
    )


def _annotation(name: str, width: int, height: int, objs: list[tuple[str, object]]) -> Any:
    root = etree.Element("annotation")
    _SUB(root, "folder").text = "JPEGImages"
    _SUB(root, "filename").text = name
    size = _SUB(root, "size")
    _SUB(size, "width").text = str(width)
    _SUB(size, "height").text = str(height)
    _SUB(size, "depth").text = "3"
    _SUB(root, "segmented").text = "0"
    for class_name, coordinates in objs:
        element = _SUB(root, "object")
        _SUB(element, "name").text = class_name
        _SUB(element, "pose").text = "Unspecified"
        _SUB(element, "truncated").text = "0"
        _SUB(element, "difficult").text = "0"
        _geometry(element, coordinates, width, height)
    return root


def _geometry(element: Any, coordinates: object, width: int, height: int) -> None:
    if isinstance(coordinates, BoundingBoxCoordinates):
        xs = [coordinates.top_left_x, coordinates.top_left_x + coordinates.width]
        ys = [coordinates.top_left_y, coordinates.top_left_y + coordinates.height]
    elif isinstance(coordinates, PolygonCoordinates):
        xs = [p.x for p in coordinates.points]
        ys = [p.y for p in coordinates.points]
        polygon = _SUB(element, "polygon")
        for i, point in enumerate(coordinates.points, start=1):
            _SUB(polygon, f"x{i}").text = str(clean(point.x * width + 1))
            _SUB(polygon, f"y{i}").text = str(clean(point.y * height + 1))
    else:  # pragma: no cover - _frames passes boxes and polygons only
        return
    box = _SUB(element, "bndbox")
    _SUB(box, "xmin").text = str(clean(min(xs) * width + 1))
    _SUB(box, "ymin").text = str(clean(min(ys) * height + 1))
    _SUB(box, "xmax").text = str(clean(max(xs) * width))
    _SUB(box, "ymax").text = str(clean(max(ys) * height))


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
    """Read the Pascal VOC folder ``source`` into the rows, all or nothing."""
    importer = RegionImporter(
        "Pascal VOC",
        ontology,
        rows_by_file_name,
        skip_unknown=skip_unknown,
        skip_unmatched=skip_unmatched,
    )
    folder = source / "Annotations"
    if not folder.is_dir():
        raise LabelError(f"Pascal VOC folder {source} has no Annotations/ folder")
    titles = stems_to_titles(rows_by_file_name)
    regions: list[Region] = []
    for path in sorted(folder.glob("*.xml")):
        try:
            root = parse_xml(path, "Pascal VOC")
        except LabelError as exc:
            importer.problems.add(str(exc))
            continue
        regions.extend(_read(path, root, titles, importer))
    return importer.run(regions, mode)


def _read(
    path: Path, root: Any, titles: dict[str, str], importer: RegionImporter
) -> Iterator[Region]:
    file_name = root.findtext("filename") or titles.get(path.stem, path.stem)
    matched = importer.match(file_name)
    try:
        width = int(root.findtext("size/width") or "")
        height = int(root.findtext("size/height") or "")
    except ValueError:
        importer.problems.add(f"{path.name}: <size> needs int <width> and <height>")
        return
    if matched is not None:
        row = matched[0]
        if (row.width, row.height) not in ((width, height), (None, None)):
            importer.problems.add(
                f"{path.name}: image is {width}x{height}, its data item {row.width}x{row.height}"
            )
            return
    for number, element in enumerate(root.iterfind("object"), start=1):
        where = f"{path.name} object {number}"
        try:
            coordinates = _coordinates(element, width, height)
        except LabelError as exc:
            importer.problems.add(f"{where}: {exc}")
            continue
        yield Region(file_name, element.findtext("name") or "", coordinates, where)


def _coordinates(
    element: Any, width: int, height: int
) -> BoundingBoxCoordinates | PolygonCoordinates:
    polygon = element.find("polygon")
    if polygon is not None:
        values = [finite(child.text, child.tag) for child in polygon]
        if len(values) % 2 or len(values) < 6:
            raise LabelError(f"a polygon needs 3 points or more, got {len(values) / 2:g}")
        return PolygonCoordinates(
            [
                PointCoordinate(
                    pixels(values[i] - 1, width, "polygon x"),
                    pixels(values[i + 1] - 1, height, "polygon y"),
                )
                for i in range(0, len(values), 2)
            ]
        )
    box = element.find("bndbox")
    if box is None:
        raise LabelError("has neither <bndbox> nor <polygon>")
    xmin, ymin, xmax, ymax = (finite(box.findtext(t), t) for t in ("xmin", "ymin", "xmax", "ymax"))
    if xmax < xmin - 1 - 1e-6 or ymax < ymin - 1 - 1e-6:
        raise LabelError(f"box ({xmin}, {ymin}, {xmax}, {ymax}) has a negative size")
    left = pixels(xmin - 1, width, "xmin")
    top = pixels(ymin - 1, height, "ymin")
    right = pixels(xmax, width, "xmax")
    bottom = pixels(ymax, height, "ymax")
    return box_from_edges(left, top, right, bottom)
