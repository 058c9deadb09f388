"""Label Studio JSON: the documented task shape (checked by models written from Label Studio's
docs), people's objects as annotations and agents' as predictions, videos, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict

from annotask.datatypes import DataType
from annotask.errors import LabelError
from annotask.labels import (
    BoundingBoxCoordinates,
    LabelRow,
    ObjectInstance,
    Ontology,
    PointCoordinate,
    PolygonCoordinates,
)
from annotask.labels.formats import ExportItem, get_format

labelstudio = get_format("labelstudio")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RectangleValue(_Strict):
    x: float
    y: float
    width: float
    height: float
    rotation: float
    rectanglelabels: list[str]


class PolygonValue(_Strict):
    points: list[list[float]]
    closed: bool
    polygonlabels: list[str]


class KeypointValue(_Strict):
    x: float
    y: float
    width: float
    keypointlabels: list[str]


class ImageResult(_Strict):
    """One region, as Label Studio's "Label Studio JSON format of annotated tasks" page shows."""

    id: str
    type: Literal["rectanglelabels", "polygonlabels", "keypointlabels"]
    from_name: str
    to_name: Literal["image"]
    original_width: int
    original_height: int
    image_rotation: int
    value: RectangleValue | PolygonValue | KeypointValue
    score: float | None = None


class Completion(_Strict):
    id: int
    result: list[ImageResult]
    model_version: str | None = None
    score: float | None = None


class Task(_Strict):
    id: int
    data: dict[str, str]
    annotations: list[Completion]
    predictions: list[Completion]


def _labelled(ontology: Ontology, rows: dict[str, LabelRow]) -> None:
    for i, row in enumerate(rows.values()):
        car = ObjectInstance(ontology.get_object("car"))
        car.set_for_frames(BoundingBoxCoordinates(0.125 * i, 0.25, 0.25, 0.5))
        model_car = ObjectInstance(ontology.get_object("car"))
        model_car.set_for_frames(
            BoundingBoxCoordinates(0.5, 0.5, 0.25, 0.25), confidence=0.625, manual_annotation=False
        )
        road = ObjectInstance(ontology.get_object("road"))
        road.set_for_frames(PolygonCoordinates([(0.1, 0.1), (0.9, 0.2), (0.5, 0.9)]))
        sign = ObjectInstance(ontology.get_object("sign"))
        sign.set_for_frames(PointCoordinate(0.25, 0.75), manual_annotation=False, confidence=0.5)
        for instance in (car, model_car, road, sign):
            row.add_object_instance(instance)


def _state(row: LabelRow) -> list[tuple[Any, ...]]:
    return sorted(
        (
            (i.object_name, a.frame, a.manual_annotation, a.confidence, a.coordinates)
            for i in row.get_object_instances()
            for a in i.get_annotations()
        ),
        key=repr,
    )


def test_people_make_annotations_agents_make_predictions_and_both_come_back(
    ontology: Ontology, fresh_rows: Callable[[], dict[str, LabelRow]], tmp_path: Path
) -> None:
    rows = fresh_rows()
    _labelled(ontology, rows)
    target = tmp_path / "ls.json"
    report = labelstudio.export([ExportItem(r, n) for n, r in rows.items()], ontology, target)
    assert (report.images, report.objects) == (3, 12)
    tasks = [Task.model_validate(t) for t in json.loads(target.read_text())]
    first = tasks[0]
    assert first.data == {"image": "img0.png"}
    (annotation,) = first.annotations
    assert sorted(r.type for r in annotation.result) == ["polygonlabels", "rectanglelabels"]
    (prediction,) = first.predictions
    assert sorted((r.type, r.score) for r in prediction.result) == [
        ("keypointlabels", 0.5),
        ("rectanglelabels", 0.625),
    ]
    box = next(r for r in annotation.result if r.type == "rectanglelabels").value
    assert box == RectangleValue(
        x=0, y=25, width=25, height=50, rotation=0, rectanglelabels=["car"]
    )
    copies = fresh_rows()
    labelstudio.import_(target, ontology, copies)
    for name, row in rows.items():
        assert _state(copies[name]) == _state(row)


def test_video_boxes_become_sequences_that_stop_and_resume(
    ontology: Ontology, make_row: Callable[..., LabelRow], tmp_path: Path
) -> None:
    def video() -> LabelRow:
        return make_row(
            data_title="a.mp4", data_type=DataType.VIDEO, number_of_frames=10, fps=5.0,
            width=64, height=48,
        )  # fmt: skip

    row = video()
    car = ObjectInstance(ontology.get_object("car"))
    car.set_for_frames(BoundingBoxCoordinates(0.125, 0.25, 0.25, 0.5), [0, 1, 2, 6])
    row.add_object_instance(car)
    target = tmp_path / "ls.json"
    labelstudio.export([ExportItem(row, "a.mp4")], ontology, target)
    (task,) = json.loads(target.read_text())
    (result,) = task["annotations"][0]["result"]
    assert result["type"] == "videorectangle"
    sequence = result["value"]["sequence"]
    assert [(f["frame"], f["enabled"]) for f in sequence] == [
        (1, True), (2, True), (3, False), (7, False),
    ]  # fmt: skip
    copy = video()
    labelstudio.import_(target, ontology, {"a.mp4": copy})
    (back,) = copy.get_object_instances()
    assert back.get_annotation_frames() == {0, 1, 2, 6}


GOOD: list[dict[str, Any]] = [
    {
        "data": {"image": "/data/upload/1/img0.png"},
        "annotations": [
            {
                "result": [
                    {
                        "type": "rectanglelabels",
                        "from_name": "label",
                        "to_name": "image",
                        "original_width": 64,
                        "original_height": 48,
                        "value": {
                            "x": 10,
                            "y": 10,
                            "width": 20,
                            "height": 20,
                            "rectanglelabels": ["car"],
                        },
                    }
                ]
            }
        ],
    }
]


def test_tasks_are_matched_by_the_last_part_of_their_data_url(
    ontology: Ontology, fresh_rows: Callable[[], dict[str, LabelRow]], tmp_path: Path
) -> None:
    path = tmp_path / "ls.json"
    path.write_text(json.dumps(GOOD))
    rows = fresh_rows()
    report = labelstudio.import_(path, ontology, rows)
    assert report.objects_added == 1
    (car,) = rows["img0.png"].get_object_instances()
    assert car.get_annotation().coordinates == BoundingBoxCoordinates(0.1, 0.1, 0.2, 0.2)


def _value(**change: Any) -> str:
    task = json.loads(json.dumps(GOOD))
    task[0]["annotations"][0]["result"][0]["value"].update(change)
    return json.dumps(task)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_value(x=float("nan")), "Input should be a finite number"),
        (_value(x=95), "right edge 1.15 lies outside the image"),
        (_value(rectanglelabels=["bus"]), "classes 'bus' are not object classes"),
        (json.dumps(GOOD).replace("img0.png", "gone.png"), "match no data item"),
        (json.dumps(GOOD)[:-20], "is not JSON"),
        (json.dumps(GOOD).replace('"x": 10', '"x": "10"'), "x: Input should be a valid number"),
        (json.dumps(GOOD).replace('"original_width": 64', '"original_width": 65'), "65x48"),
    ],
)
def test_bad_label_studio_files_are_refused_and_nothing_changes(
    ontology: Ontology,
    fresh_rows: Callable[[], dict[str, LabelRow]],
    tmp_path: Path,
    text: str,
    message: str,
) -> None:
    path = tmp_path / "ls.json"
    path.write_text(text)
    rows = fresh_rows()
    with pytest.raises(LabelError, match=message):
        labelstudio.import_(path, ontology, rows)
    assert all(not r.get_object_instances() for r in rows.values())


def test_a_polygon_of_two_points_is_refused(ontology: Ontology, tmp_path: Path) -> None:
    task = json.loads(json.dumps(GOOD))
    task[0]["annotations"][0]["result"][0].update(
        type="polygonlabels", value={"points": [[1, 1], [5, 5]], "polygonlabels": ["road"]}
    )
    path = tmp_path / "ls.json"
    path.write_text(json.dumps(task))
    with pytest.raises(LabelError, match="a polygon needs 3 points or more, got 2"):
        labelstudio.import_(path, ontology, {}, skip_unmatched=True)
