"""Label Studio JSON: a list of tasks, each with ``annotations`` and ``predictions``.

People's objects (``manual_annotation`` true) go to one annotation per task, agent-made ones
to one prediction (``model_version`` "annotask", each result's ``score`` its confidence), and
come back the same way. Coordinates are percents of the image, as Label Studio stores them.

Image rows (``data.image`` = file name): bounding boxes as ``rectanglelabels``, polygons as
``polygonlabels``, points as ``keypointlabels``. Video rows (``data.video``): bounding boxes as
``videorectangle`` with a ``sequence`` of 1-based frames; ``enabled: false`` on a frame ends
the object there until a later frame brings it back (frames between two enabled keyframes are
interpolated on import, as Label Studio shows them). Other shapes are left out and counted.
Tasks are matched to rows by the data value, else by its last path part; ``from_name`` is
``label``, ``to_name`` is ``image`` or ``video``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, TypeAdapter
from pydantic import ValidationError as PydanticError

from annotask.errors import LabelError
from annotask.labels.coordinates import (
    BoundingBoxCoordinates,
    Coordinates,
    PointCoordinate,
    PolygonCoordinates,
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
    unit,
)
from annotask.labels.formats._files import read_json, write_json
from annotask.labels.formats._pause import collector_paused
from annotask.labels.label_row import LabelRow
from annotask.labels.object_instance import ObjectInstance
from annotask.labels.ontology import Ontology

__all__ = ["export", "import_"]

_DIGITS = 6
_MAX_ERRORS = 25


# -- export --------------------------------------------------------------------------------


@collector_paused
def export(items: Sequence[ExportItem], ontology: Ontology, target: Path) -> ExportReport:
    """Write ``items`` as one Label Studio JSON file (a list of tasks)."""
    skipped: dict[str, int] = {}
    tasks = []
    count = 0
    for task_id, item in enumerate(items, start=1):
        task, written = _task(task_id, item, skipped)
        tasks.append(task)
        count += written
    write_json(target, tasks)
    return ExportReport(target, len(items), count, dict(sorted(skipped.items())))


def _task(task_id: int, item: ExportItem, skipped: dict[str, int]) -> tuple[dict[str, Any], int]:
    row = item.row
    video = row.number_of_frames > 1
    manual: list[dict[str, Any]] = []
    auto: list[dict[str, Any]] = []
    for instance in row.get_object_instances():
        results = list(_video_result(instance, row) if video else _image_results(instance, row))
        if not results:
            shape = instance.ontology_item.shape.value
            skipped[shape] = skipped.get(shape, 0) + len(instance.get_annotations())
        for result, is_manual in results:
            (manual if is_manual else auto).append(result)
    task: dict[str, Any] = {
        "id": task_id,
        "data": {"video" if video else "image": item.file_name},
        "annotations": [{"id": task_id, "result": manual}] if manual else [],
        "predictions": [],
    }
    if auto:
        scores = [r["score"] for r in auto]
        task["predictions"].append(
            {
                "id": task_id,
                "model_version": "annotask",
                "score": clean(sum(scores) / len(scores), _DIGITS),
                "result": auto,
            }
        )
    return task, len(manual) + len(auto)


def _base(instance: ObjectInstance, row: LabelRow, kind: str, key: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": f"{instance.object_hash}{key}",
        "type": kind,
        "from_name": "label",
        "to_name": "video" if kind.startswith("video") else "image",
    }
    if row.width is not None and row.height is not None:
        result["original_width"] = row.width
        result["original_height"] = row.height
    if not kind.startswith("video"):
        result["image_rotation"] = 0
    return result


def _pct(value: float) -> float | int:
    return clean(value * 100, _DIGITS)


def _image_results(
    instance: ObjectInstance, row: LabelRow
) -> Iterator[tuple[dict[str, Any], bool]]:
    for annotation in instance.get_annotations():
        shaped = _image_value(annotation.coordinates, instance.object_name)
        if shaped is None:
            return
        kind, value = shaped
        result = _base(instance, row, kind, "")
        result["value"] = value
        if not annotation.manual_annotation:
            result["score"] = clean(annotation.confidence, _DIGITS)
        yield result, annotation.manual_annotation


def _image_value(coordinates: Coordinates, name: str) -> tuple[str, dict[str, Any]] | None:
    if isinstance(coordinates, BoundingBoxCoordinates):
        return "rectanglelabels", {**_box(coordinates), "rectanglelabels": [name]}
    if isinstance(coordinates, PolygonCoordinates):
        points = [[_pct(p.x), _pct(p.y)] for p in coordinates.points]
        return "polygonlabels", {"points": points, "closed": True, "polygonlabels": [name]}
    if isinstance(coordinates, PointCoordinate):
        value = {"x": _pct(coordinates.x), "y": _pct(coordinates.y), "width": 0.5}
        return "keypointlabels", {**value, "keypointlabels": [name]}
    return None


def _box(box: BoundingBoxCoordinates) -> dict[str, Any]:
    return {
        "x": _pct(box.top_left_x),
        "y": _pct(box.top_left_y),
        "width": _pct(box.width),
        "height": _pct(box.height),
        "rotation": 0,
    }


def _video_result(instance: ObjectInstance, row: LabelRow) -> Iterator[tuple[dict[str, Any], bool]]:
    annotations = instance.get_annotations()
    if not all(isinstance(a.coordinates, BoundingBoxCoordinates) for a in annotations):
        return
    fps = row.fps or 1.0
    sequence = []
    for position, annotation in enumerate(annotations):
        box = annotation.coordinates
        if not isinstance(box, BoundingBoxCoordinates):  # pragma: no cover - checked above
            return
        following = annotations[position + 1].frame if position + 1 < len(annotations) else None
        ends = following != annotation.frame + 1 and annotation.frame + 1 < row.number_of_frames
        sequence.append(
            {
                "frame": annotation.frame + 1,
                "enabled": not ends,
                **_box(box),
                "time": clean(annotation.frame / fps, _DIGITS),
            }
        )
    value = {
        "framesCount": row.number_of_frames,
        "duration": clean(row.number_of_frames / fps, _DIGITS),
        "sequence": sequence,
        "labels": [instance.object_name],
    }
    result = _base(instance, row, "videorectangle", "")
    result["value"] = value
    first = annotations[0]
    if not first.manual_annotation:
        result["score"] = clean(first.confidence, _DIGITS)
    yield result, first.manual_annotation


# -- the shape of a Label Studio file -------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False, strict=True)


class _Rectangle(_Model):
    x: float
    y: float
    width: float
    height: float
    rotation: float = 0
    rectanglelabels: list[StrictStr] = Field(min_length=1)


class _Polygon(_Model):
    points: list[Annotated[list[float], Field(min_length=2, max_length=2)]]
    polygonlabels: list[StrictStr] = Field(min_length=1)


class _Keypoint(_Model):
    x: float
    y: float
    keypointlabels: list[StrictStr] = Field(min_length=1)


class _Frame(_Model):
    frame: StrictInt
    enabled: bool = True
    x: float
    y: float
    width: float
    height: float
    rotation: float = 0


class _VideoRectangle(_Model):
    sequence: list[_Frame]
    labels: list[StrictStr] = Field(min_length=1)


class _Result(_Model):
    id: StrictStr | StrictInt | None = None
    type: StrictStr
    value: dict[str, Any]
    original_width: StrictInt | None = None
    original_height: StrictInt | None = None
    score: float | None = None


class _Completion(_Model):
    result: list[_Result] = []
    was_cancelled: bool = False
    score: float | None = None


class _Task(_Model):
    data: dict[str, Any]
    annotations: list[_Completion] = []
    predictions: list[_Completion] = []


_TASKS: TypeAdapter[list[_Task]] = TypeAdapter(list[_Task])
_VALUES: dict[str, TypeAdapter[Any]] = {
    "rectanglelabels": TypeAdapter(_Rectangle),
    "polygonlabels": TypeAdapter(_Polygon),
    "keypointlabels": TypeAdapter(_Keypoint),
    "videorectangle": TypeAdapter(_VideoRectangle),
}


def _errors(exc: PydanticError, prefix: str) -> list[str]:
    lines = []
    for error in exc.errors(include_url=False, include_input=False)[:_MAX_ERRORS]:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        lines.append(f"{prefix}{where}: {error['msg']}")
    return lines


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
    """Read the Label Studio JSON file ``source`` into the rows, all or nothing."""
    document = read_json(source, "Label Studio")
    if isinstance(document, dict):
        document = [document]
    importer = RegionImporter(
        "Label Studio",
        ontology,
        rows_by_file_name,
        skip_unknown=skip_unknown,
        skip_unmatched=skip_unmatched,
    )
    try:
        tasks = _TASKS.validate_python(document)
    except PydanticError as exc:
        lines = "\n".join(f"  - {line}" for line in _errors(exc, "tasks"))
        raise LabelError(f"Label Studio input rejected, nothing was imported:\n{lines}") from None
    by_base = {PurePosixPath(name).name: name for name in rows_by_file_name}
    regions: list[Region] = []
    for number, task in enumerate(tasks):
        regions.extend(_task_regions(number, task, by_base, importer))
    return importer.run(regions, mode)


def _task_regions(
    number: int, task: _Task, by_base: dict[str, str], importer: RegionImporter
) -> Iterator[Region]:
    values = [v for v in task.data.values() if isinstance(v, str)]
    if not values:
        importer.problems.add(f"task {number}: data names no file")
        return
    name = values[0]
    if name not in importer.rows:
        name = by_base.get(PurePosixPath(name).name, name)
    matched = importer.match(name)
    row = matched[0] if matched is not None else None
    for kind, completions, manual in (
        ("annotation", task.annotations, True),
        ("prediction", task.predictions, False),
    ):
        for c, completion in enumerate(completions):
            if completion.was_cancelled:
                continue
            for r, result in enumerate(completion.result):
                where = f"task {number} {kind} {c} result {r}"
                score = result.score if result.score is not None else completion.score
                confidence = 1.0 if manual or score is None else score
                yield from _result_regions(
                    result, (name, row), where, (manual, confidence), importer
                )


def _result_regions(
    result: _Result,
    target: tuple[str, LabelRow | None],
    where: str,
    made: tuple[bool, float],
    importer: RegionImporter,
) -> Iterator[Region]:
    """The regions of one result; ``target`` is (file name, row), ``made`` (manual, score)."""
    name, row = target
    manual, confidence = made
    adapter = _VALUES.get(result.type)
    if adapter is None:
        return  # choices, text areas and other controls carry no object
    try:
        value = adapter.validate_python(result.value)
    except PydanticError as exc:
        for line in _errors(exc, f"{where}.value"):
            importer.problems.add(line)
        return
    if row is not None and result.original_width is not None:
        size = (result.original_width, result.original_height)
        if (row.width, row.height) not in (size, (None, None)):
            importer.problems.add(
                f"{where}: original size {size[0]}x{size[1]}, its data item "
                f"{row.width}x{row.height}"
            )
            return
    try:
        if isinstance(value, _VideoRectangle):
            key = f"ls-{where}"
            for frame, box in _sequence(value.sequence, row):
                yield Region(name, value.labels[0], box, where, frame, key, confidence, manual)
            return
        label, coordinates = _image_coordinates(value)
    except LabelError as exc:
        importer.problems.add(f"{where}: {exc}")
        return
    yield Region(name, label, coordinates, where, confidence=confidence, manual=manual)


def _pct_unit(value: float, what: str) -> float:
    return unit(round(value / 100, 12), what)


def _rect(
    x: float, y: float, width: float, height: float, rotation: float
) -> BoundingBoxCoordinates:
    if rotation:
        raise LabelError(f"a rotated rectangle ({rotation} degrees) is not a bounding box")
    if width < 0 or height < 0:
        raise LabelError(f"a rectangle of size {width}x{height} has a negative side")
    left, top = _pct_unit(x, "x"), _pct_unit(y, "y")
    right, bottom = _pct_unit(x + width, "right edge"), _pct_unit(y + height, "bottom edge")
    return box_from_edges(left, top, right, bottom)


def _image_coordinates(value: Any) -> tuple[str, Coordinates]:
    if isinstance(value, _Rectangle):
        box = _rect(value.x, value.y, value.width, value.height, value.rotation)
        return value.rectanglelabels[0], box
    if isinstance(value, _Polygon):
        if len(value.points) < 3:
            raise LabelError(f"a polygon needs 3 points or more, got {len(value.points)}")
        points = [PointCoordinate(_pct_unit(x, "x"), _pct_unit(y, "y")) for x, y in value.points]
        return value.polygonlabels[0], PolygonCoordinates(points)
    point = PointCoordinate(_pct_unit(value.x, "x"), _pct_unit(value.y, "y"))
    return value.keypointlabels[0], point


def _sequence(frames: list[_Frame], row: LabelRow | None) -> Iterator[tuple[int, Coordinates]]:
    ordered = sorted(frames, key=lambda f: f.frame)
    for position, frame in enumerate(ordered):
        if frame.frame < 1:
            raise LabelError(f"frame {frame.frame}: Label Studio frames count from 1")
        box = _rect(frame.x, frame.y, frame.width, frame.height, frame.rotation)
        yield frame.frame - 1, box
        following = ordered[position + 1] if position + 1 < len(ordered) else None
        if following is None or not frame.enabled:
            continue
        end = _rect(following.x, following.y, following.width, following.height, 0)
        span = following.frame - frame.frame
        for step in range(1, span):
            t = step / span
            a = (box.top_left_x, box.top_left_y, box.width, box.height)
            b = (end.top_left_x, end.top_left_y, end.width, end.height)
            yield (
                frame.frame - 1 + step,
                BoundingBoxCoordinates(*(x + (y - x) * t for x, y in zip(a, b, strict=True))),
            )
