"""CVAT XML 1.1: "CVAT for images" and "CVAT for video", one file.

Shapes: ``box`` (bounding boxes), ``polygon``, ``polyline`` and ``points`` (point objects),
in pixels (1e-4 px). ``source="auto"`` marks what an agent made (``manual_annotation`` false)
and reads back that way. Other shapes are left out and counted.

*CVAT for images* (every row has one frame): one ``<image name width height>`` per row.
*CVAT for video* (some row has frames): one ``<track id label source>`` per object, holding a
shape per frame it is on (``keyframe="1"``) and, after each run of frames, a copy marked
``outside="1"`` where the object leaves. One row is ``<meta><task>``; several are
``<meta><project><tasks>`` with each track's ``task_id`` naming its row (``<name>`` is the
file name) and frames counted per row. On import, frames between two listed shapes of a track
(not separated by ``outside``) are interpolated linearly as CVAT does; ``outside`` shapes end
the object.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from annotask.errors import LabelError
from annotask.labels.coordinates import (
    BoundingBoxCoordinates,
    Coordinates,
    PointCoordinate,
    PolygonCoordinates,
    PolylineCoordinates,
)
from annotask.labels.formats._common import (
    ExportItem,
    ExportReport,
    ImportMode,
    ImportReport,
    Region,
    RegionImporter,
    box_from_edges,
    clean,
    finite,
    pixels,
)
from annotask.labels.formats._files import write_bytes
from annotask.labels.formats._pause import collector_paused
from annotask.labels.formats._xml import parse_xml, to_bytes
from annotask.labels.label_row import LabelRow
from annotask.labels.object_instance import ObjectInstance
from annotask.labels.ontology import Ontology
from annotask.labels.ontology_model import Shape

__all__ = ["export", "import_"]

_SUB = etree.SubElement
_TYPES = {
    Shape.BOUNDING_BOX: "rectangle",
    Shape.POLYGON: "polygon",
    Shape.POLYLINE: "polyline",
    Shape.POINT: "points",
}
_TAGS = {"box", "polygon", "polyline", "points"}


# -- export --------------------------------------------------------------------------------


@collector_paused
def export(items: Sequence[ExportItem], ontology: Ontology, target: Path) -> ExportReport:
    """Write ``items`` as one CVAT XML file (for images, or for video when any has frames)."""
    for item in items:
        if item.row.width is None or item.row.height is None:
            raise LabelError(f"{item.row.data_title}: CVAT needs the image size")
    video = any(item.row.number_of_frames > 1 for item in items)
    root = etree.Element("annotations")
    _SUB(root, "version").text = "1.1"
    _meta(root, items, ontology, video)
    skipped: dict[str, int] = {}
    count = 0
    track_ids = itertools.count()
    for index, item in enumerate(items):
        if video:
            count += _tracks(root, item, (index, len(items) > 1), track_ids, skipped)
        else:
            count += _image(root, item, index, skipped)
    write_bytes(target, to_bytes(root))
    frames = sum(item.row.number_of_frames for item in items)
    return ExportReport(target, frames, count, dict(sorted(skipped.items())))


def _meta(root: Any, items: Sequence[ExportItem], ontology: Ontology, video: bool) -> None:
    meta = _SUB(root, "meta")
    if video and len(items) > 1:
        project = _SUB(meta, "project")
        _SUB(project, "name").text = "annotask export"
        _labels(project, ontology)
        tasks = _SUB(project, "tasks")
        for index, item in enumerate(items):
            _task(_SUB(tasks, "task"), index, item, video)
    else:
        task = _SUB(meta, "task")
        _task(task, 0, items[0] if items else None, video, len(items))
        _labels(task, ontology)
    _SUB(meta, "dumped").text = datetime.datetime.now(datetime.UTC).isoformat()


def _task(
    task: Any, index: int, item: ExportItem | None, video: bool, images: int | None = None
) -> None:
    _SUB(task, "id").text = str(index)
    frames = (
        images if images is not None and not video else (item.row.number_of_frames if item else 0)
    )
    _SUB(task, "name").text = item.file_name if item is not None and video else "annotask export"
    _SUB(task, "size").text = str(frames)
    _SUB(task, "mode").text = "interpolation" if video else "annotation"
    _SUB(task, "start_frame").text = "0"
    _SUB(task, "stop_frame").text = str(max(frames - 1, 0))
    if video and item is not None:
        size = _SUB(task, "original_size")
        _SUB(size, "width").text = str(item.row.width)
        _SUB(size, "height").text = str(item.row.height)


def _labels(parent: Any, ontology: Ontology) -> None:
    labels = _SUB(parent, "labels")
    for ontology_object in ontology.objects:
        label = _SUB(labels, "label")
        _SUB(label, "name").text = ontology_object.name
        _SUB(label, "type").text = _TYPES.get(ontology_object.shape, "any")
        _SUB(label, "attributes")


def _image(root: Any, item: ExportItem, index: int, skipped: dict[str, int]) -> int:
    row = item.row
    image = _SUB(
        root,
        "image",
        id=str(index),
        name=item.file_name,
        width=str(row.width),
        height=str(row.height),
    )
    count = 0
    for instance in row.get_object_instances():
        for annotation in instance.get_annotations():
            attrs = _shape_attrs(annotation.coordinates, row)
            if attrs is None:
                _skip(instance, skipped)
                continue
            tag, values = attrs
            source = "manual" if annotation.manual_annotation else "auto"
            _SUB(image, tag, label=instance.object_name, source=source, occluded="0", **values)
            count += 1
    return count


def _tracks(
    root: Any,
    item: ExportItem,
    task: tuple[int, bool],
    track_ids: Iterator[int],
    skipped: dict[str, int],
) -> int:
    """Write the tracks of one video; ``task``: its index, and whether tasks are named."""
    index, project = task
    row = item.row
    count = 0
    for instance in row.get_object_instances():
        annotations = instance.get_annotations()
        shapes = [(a, found) for a in annotations if (found := _shape_attrs(a.coordinates, row))]
        if not shapes or len(shapes) != len(annotations):
            _skip(instance, skipped)
            continue
        attrs = {"id": str(next(track_ids)), "label": instance.object_name}
        attrs["source"] = "manual" if annotations[0].manual_annotation else "auto"
        if project:
            attrs["task_id"] = str(index)
        track = _SUB(root, "track", **attrs)
        for position, (annotation, shape) in enumerate(shapes):
            tag, values = shape
            _SUB(track, tag, frame=str(annotation.frame), outside="0", occluded="0",
                 keyframe="1", **values)  # fmt: skip
            following = shapes[position + 1][0].frame if position + 1 < len(shapes) else None
            leaves = annotation.frame + 1
            if leaves < row.number_of_frames and following != leaves:
                _SUB(track, tag, frame=str(leaves), outside="1", occluded="0",
                     keyframe="1", **values)  # fmt: skip
            count += 1
    return count


def _skip(instance: ObjectInstance, skipped: dict[str, int]) -> None:
    shape = instance.ontology_item.shape.value
    skipped[shape] = skipped.get(shape, 0) + len(instance.get_annotations())


def _shape_attrs(coordinates: Coordinates, row: LabelRow) -> tuple[str, dict[str, str]] | None:
    w, h = float(row.width or 0), float(row.height or 0)
    if isinstance(coordinates, BoundingBoxCoordinates):
        c = coordinates
        return "box", {
            "xtl": str(clean(c.top_left_x * w)),
            "ytl": str(clean(c.top_left_y * h)),
            "xbr": str(clean((c.top_left_x + c.width) * w)),
            "ybr": str(clean((c.top_left_y + c.height) * h)),
            "z_order": "0",
        }
    if isinstance(coordinates, PolygonCoordinates | PolylineCoordinates):
        tag = "polygon" if isinstance(coordinates, PolygonCoordinates) else "polyline"
        return tag, {"points": _points(coordinates.points, w, h), "z_order": "0"}
    if isinstance(coordinates, PointCoordinate):
        return "points", {"points": _points([coordinates], w, h), "z_order": "0"}
    return None


def _points(points: Sequence[PointCoordinate], w: float, h: float) -> str:
    return ";".join(f"{clean(p.x * w)},{clean(p.y * h)}" for p in points)


# -- import --------------------------------------------------------------------------------


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
    """Read the CVAT XML file ``source`` (for images or for video) into the rows."""
    root = parse_xml(source, "CVAT XML")
    if root.tag != "annotations":
        raise LabelError(f"{source} is not CVAT XML (its root is <{root.tag}>, not <annotations>)")
    importer = RegionImporter(
        "CVAT XML",
        ontology,
        rows_by_file_name,
        skip_unknown=skip_unknown,
        skip_unmatched=skip_unmatched,
    )
    regions = [*_read_images(root, importer), *_read_tracks(root, importer)]
    return importer.run(regions, mode)


def _size(element: Any, what: str) -> tuple[int, int]:
    try:
        width, height = int(element.get("width", "")), int(element.get("height", ""))
    except ValueError:
        raise LabelError(f"{what} needs int width and height") from None
    if width <= 0 or height <= 0:
        raise LabelError(f"{what} needs a positive width and height")
    return width, height


def _read_images(root: Any, importer: RegionImporter) -> Iterator[Region]:
    for image in root.iterfind("image"):
        name = image.get("name", "")
        where = f"image {name!r}"
        try:
            width, height = _size(image, where)
        except LabelError as exc:
            importer.problems.add(str(exc))
            continue
        matched = importer.match(name)
        if matched is not None and _wrong_size(matched[0], width, height, where, importer):
            continue
        for number, shape in enumerate(image, start=1):
            if shape.tag not in _TAGS:
                continue
            here = f"{where} shape {number}"
            try:
                coordinates = _coordinates(shape, width, height)
            except LabelError as exc:
                importer.problems.add(f"{here}: {exc}")
                continue
            manual = shape.get("source", "manual") != "auto"
            yield Region(name, shape.get("label", ""), coordinates, here, manual=manual)


def _wrong_size(
    row: LabelRow, width: int, height: int, where: str, importer: RegionImporter
) -> bool:
    if (row.width, row.height) in ((width, height), (None, None)):
        return False
    importer.problems.add(f"{where} is {width}x{height}, its data item {row.width}x{row.height}")
    return True


def _tasks(root: Any) -> dict[str, tuple[str, Any]]:
    """task id -> (file name, its <task>) from the meta; '' for a single task."""
    tasks: dict[str, tuple[str, Any]] = {}
    single = root.find("meta/task")
    if single is not None:
        tasks[""] = (single.findtext("name") or "", single)
    for task in root.iterfind("meta/project/tasks/task"):
        tasks[task.findtext("id") or ""] = (task.findtext("name") or "", task)
    return tasks


def _read_tracks(root: Any, importer: RegionImporter) -> Iterator[Region]:
    tasks = _tasks(root)
    for track in root.iterfind("track"):
        track_id = track.get("id", "?")
        where = f"track {track_id}"
        task = tasks.get(track.get("task_id", ""))
        if task is None:
            importer.problems.add(f"{where}: task_id {track.get('task_id')!r} is not in the meta")
            continue
        name, meta = task
        matched = importer.match(name)
        size = meta.find("original_size")
        if size is None or matched is None:
            if matched is not None:
                importer.problems.add(f"{where}: task {name!r} has no <original_size>")
            continue
        try:
            width = int(size.findtext("width") or "")
            height = int(size.findtext("height") or "")
        except ValueError:
            importer.problems.add(f"{where}: task {name!r} needs an int original size")
            continue
        if _wrong_size(matched[0], width, height, f"task {name!r}", importer):
            continue
        yield from _track_regions(track, name, (width, height), where, importer)


def _track_regions(
    track: Any, name: str, size: tuple[int, int], where: str, importer: RegionImporter
) -> Iterator[Region]:
    label = track.get("label", "")
    manual = track.get("source", "manual") != "auto"
    key = f"cvat-track-{track.get('id', '')}"
    previous: tuple[int, Coordinates] | None = None
    for shape in track:
        if shape.tag not in _TAGS:
            continue
        here = f"{where} frame {shape.get('frame')}"
        try:
            frame = int(shape.get("frame", ""))
            coordinates = _coordinates(shape, *size)
        except (LabelError, ValueError) as exc:
            importer.problems.add(f"{here}: {exc}")
            previous = None
            continue
        if shape.get("outside", "0") == "1":
            previous = None
            continue
        if previous is not None and frame > previous[0] + 1:
            for between, filled in _interpolate(previous, (frame, coordinates)):
                yield Region(name, label, filled, here, between, key, manual=manual)
        yield Region(name, label, coordinates, here, frame, key, manual=manual)
        previous = (frame, coordinates)


def _interpolate(
    start: tuple[int, Coordinates], end: tuple[int, Coordinates]
) -> Iterator[tuple[int, Coordinates]]:
    (a_frame, a), (b_frame, b) = start, end
    flat_a, flat_b = _flat(a), _flat(b)
    if type(a) is not type(b) or len(flat_a) != len(flat_b):
        for frame in range(a_frame + 1, b_frame):
            yield frame, a  # CVAT holds a shape it cannot morph
        return
    for frame in range(a_frame + 1, b_frame):
        t = (frame - a_frame) / (b_frame - a_frame)
        values = [x + (y - x) * t for x, y in zip(flat_a, flat_b, strict=True)]
        yield frame, _unflat(a, values)


def _flat(coordinates: Coordinates) -> list[float]:
    if isinstance(coordinates, BoundingBoxCoordinates):
        c = coordinates
        return [c.top_left_x, c.top_left_y, c.width, c.height]
    if isinstance(coordinates, PolygonCoordinates | PolylineCoordinates):
        return [v for p in coordinates.points for v in (p.x, p.y)]
    if isinstance(coordinates, PointCoordinate):
        return [coordinates.x, coordinates.y]
    return []


def _unflat(like: Coordinates, values: list[float]) -> Coordinates:
    if isinstance(like, BoundingBoxCoordinates):
        return BoundingBoxCoordinates(*values)
    if isinstance(like, PointCoordinate):
        return PointCoordinate(values[0], values[1])
    points = [PointCoordinate(values[i], values[i + 1]) for i in range(0, len(values), 2)]
    return (
        PolygonCoordinates(points)
        if isinstance(like, PolygonCoordinates)
        else PolylineCoordinates(points)
    )


def _coordinates(shape: Any, width: int, height: int) -> Coordinates:
    if shape.tag == "box":
        xtl, ytl, xbr, ybr = (finite(shape.get(k), k) for k in ("xtl", "ytl", "xbr", "ybr"))
        if xbr < xtl or ybr < ytl:
            raise LabelError(f"box ({xtl}, {ytl}, {xbr}, {ybr}) has a negative size")
        left, top = pixels(xtl, width, "xtl"), pixels(ytl, height, "ytl")
        right, bottom = pixels(xbr, width, "xbr"), pixels(ybr, height, "ybr")
        return box_from_edges(left, top, right, bottom)
    points = _read_points(shape.get("points", ""), width, height)
    if shape.tag == "polygon":
        if len(points) < 3:
            raise LabelError(f"a polygon needs 3 points or more, got {len(points)}")
        return PolygonCoordinates(points)
    if shape.tag == "polyline":
        if len(points) < 2:
            raise LabelError(f"a polyline needs 2 points or more, got {len(points)}")
        return PolylineCoordinates(points)
    if len(points) != 1:
        raise LabelError(f"a point object takes one point, got {len(points)}")
    return points[0]


def _read_points(text: str, width: int, height: int) -> list[PointCoordinate]:
    points = []
    for pair in text.split(";") if text.strip() else []:
        parts = pair.split(",")
        if len(parts) != 2:
            raise LabelError(f"points must be 'x,y;x,y;...', got {pair!r}")
        x, y = finite(parts[0], "x"), finite(parts[1], "y")
        points.append(PointCoordinate(pixels(x, width, "x"), pixels(y, height, "y")))
    return points
