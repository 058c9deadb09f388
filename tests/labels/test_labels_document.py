"""The labels document: its layout, and every way a stored document can be refused."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest

from annotask.errors import LabelError
from annotask.labels import (
    BoundingBoxCoordinates,
    ClassificationInstance,
    LabelRow,
    MemoryLabelBackend,
    ObjectInstance,
    Ontology,
    RotatableBoundingBoxCoordinates,
)
from annotask.labels.document import SCHEMA_VERSION, build_object, parse_document, parse_text


@pytest.fixture
def document(ontology: Ontology, video_row: LabelRow) -> dict[str, Any]:
    car = ObjectInstance(ontology.get_object("car"), object_hash="car1")
    car.set_for_frames(BoundingBoxCoordinates(0.1, 0.2, 0.3, 0.4), [0, 1], confidence=0.5)
    car.set_answer("yes", attribute="occluded")
    car.set_answer("red", attribute="colour", frames=1)
    video_row.add_object_instance(car)
    weather = ClassificationInstance(ontology.get_classification("weather"), "w1")
    weather.set_for_frames(range(3))
    weather.set_answer("snow")
    weather.set_answer(7, attribute="depth")
    video_row.add_classification_instance(weather)
    return video_row.to_dict()


def _hash(ontology: Ontology, *path: str) -> str:
    if path[0] == "car":
        item = ontology.get_object("car").get_attribute(path[1])
    else:
        item = ontology.get_classification(path[0])  # type: ignore[assignment]
    return item.get_option(path[2]).feature_hash if len(path) > 2 else item.feature_hash


def test_layout_is_the_documented_one(ontology: Ontology, document: dict[str, Any]) -> None:
    car_class = ontology.get_object("car")
    weather_class = ontology.get_classification("weather")
    assert document == {
        "schema": "annotask.labels",
        "schema_version": SCHEMA_VERSION,
        "objects": [
            {
                "object_hash": "car1",
                "feature_hash": car_class.feature_hash,
                "name": "car",
                "frames": {
                    "0": {
                        "coordinates": {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4},
                        "confidence": 0.5,
                        "manual_annotation": True,
                    },
                    "1": {
                        "coordinates": {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4},
                        "confidence": 0.5,
                        "manual_annotation": True,
                        "answers": {car_class.get_attribute("colour").feature_hash: "red"},
                    },
                },
                "answers": {
                    car_class.get_attribute("occluded").feature_hash: _hash(
                        ontology, "car", "occluded", "yes"
                    )
                },
            }
        ],
        "classifications": [
            {
                "classification_hash": "w1",
                "feature_hash": weather_class.feature_hash,
                "name": "weather",
                "frames": {
                    str(f): {"confidence": 1.0, "manual_annotation": True} for f in range(3)
                },
                "answers": {
                    weather_class.feature_hash: weather_class.get_option("snow").feature_hash,
                    weather_class.get_attribute("depth").feature_hash: 7,
                },
            }
        ],
    }
    assert json.loads(json.dumps(document)) == document


def test_never_saved_row_has_an_empty_document(image_row: LabelRow) -> None:
    assert image_row.to_dict() == {
        "schema": "annotask.labels",
        "schema_version": SCHEMA_VERSION,
        "objects": [],
        "classifications": [],
    }


def _parse(ontology: Ontology, document: Any) -> Any:
    return parse_document(document, ontology, number_of_frames=10, width=64, height=48)


def _edit(document: dict[str, Any], change: Any) -> dict[str, Any]:
    edited = copy.deepcopy(document)
    change(edited)
    return edited


def _set_path(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value


_DELETE = object()


_FRAME = {
    "coordinates": {"x": 0.1, "y": 0.1, "w": 0.1, "h": 0.1},
    "confidence": 1.0,
    "manual_annotation": True,
}

MALFORMED = [
    (("schema",), "other", "not an annotask labels document"),
    (("schema_version",), 2, "schema_version 2: it was written by a newer annotask"),
    (("schema_version",), 0, "invalid schema_version 0"),
    (("objects",), {}, "objects must be a list"),
    (
        ("objects", 0, "frames", "0", "coordinates"),
        _DELETE,
        r"objects\[0\] \(car, object_hash 'car1'\).*missing key 'coordinates'",
    ),
    (("objects", 0, "frames", "0", "coordinates", "w"), 0.95, "past the right edge"),
    (
        ("objects", 0, "frames", "12"),
        {
            "coordinates": {"x": 0.1, "y": 0.1, "w": 0.1, "h": 0.1},
            "confidence": 1.0,
            "manual_annotation": True,
        },
        "frame 12: beyond the data item",
    ),
    (("objects", 0, "frames", "x"), {}, "frame key 'x' is not a frame number"),
    (("objects", 0, "frames", "0", "confidence"), 2, "confidence must be a number in 0..1"),
    (("objects", 0, "frames", "0", "manual_annotation"), "yes", "manual_annotation must be"),
    (("objects", 0, "frames", "0", "created_at"), "2024-01-01T00:00:00", "no timezone offset"),
    (("objects", 0, "frames", "0", "created_by"), 5, "created_by must be a string"),
    (("objects", 0, "object_hash"), 5, "invalid object_hash"),
    (("classifications", 0, "frames", "0", "confidence"), -1, "confidence must be"),
    (("classifications", 0, "classification_hash"), "", "invalid classification_hash"),
    (("objects", 0, "feature_hash"), None, "feature_hash must be a string, got None"),
    (("objects", 0, "feature_hash"), 2, "feature_hash must be a string, got 2"),
    (
        ("objects", 0, "frames", "0", "coordinates", "x"),
        10**400,
        "must be a fraction of the image size in 0..1, got a number of about 400 digits",
    ),
    (("objects", 0, "frames", "0", "confidence"), 10**400, "confidence must be a number"),
    (("objects", 0, "object_hash"), "car\x001", "object_hash: it must be a string without control"),
    (
        ("objects", 0, "object_hash"),
        "c" * 300,
        "invalid object_hash: it must be a string of 1..200 characters, "
        "got 'c{80}'… \\(300 characters\\)$",
    ),
    (("objects", 0, "frames", "0", "created_by"), "ann\x00", "created_by must be a string"),
    (("objects", 0, "frames", "0", "created_by"), "a" * 201, "created_by must be a string"),
    *(
        (("objects", 0, "frames", key), _FRAME, "is not a frame number")
        for key in (" 1", "01", "+1", "1_0", "\u0661", "-1")
    ),
]


@pytest.mark.parametrize(("path", "value", "message"), MALFORMED)
def test_malformed_document_is_refused(
    ontology: Ontology, document: dict[str, Any], path: tuple[Any, ...], value: Any, message: str
) -> None:
    with pytest.raises(LabelError, match=message):
        _parse(ontology, _edit(document, lambda d: _set_path(d, path, value)))


@pytest.mark.parametrize(("path", "value", "message"), MALFORMED)
def test_malformed_stored_text_is_refused_by_the_time_its_objects_are_read(
    ontology: Ontology, document: dict[str, Any], path: tuple[Any, ...], value: Any, message: str
) -> None:
    text = json.dumps(_edit(document, lambda d: _set_path(d, path, value)))
    with pytest.raises(LabelError, match=message):
        parsed = parse_text(text, ontology, number_of_frames=10, width=64, height=48)
        for pending in parsed.pending_objects.values():
            build_object(pending, ontology, number_of_frames=10, width=64, height=48)


def test_stored_text_naming_unknown_classes_is_refused_when_loaded(
    ontology: Ontology, document: dict[str, Any]
) -> None:
    text = json.dumps(_edit(document, lambda d: d["objects"][0].update(feature_hash="deadbeef")))
    with pytest.raises(LabelError, match="absent from the ontology: deadbeef"):
        parse_text(text, ontology, number_of_frames=10)


def test_stored_objects_nothing_read_are_saved_exactly_as_stored(
    ontology: Ontology, document: dict[str, Any], video_row: LabelRow
) -> None:
    entry = json.dumps(document["objects"][0], indent=1)  # not how annotask writes it
    text = json.dumps({**document, "objects": []}).replace('"objects": []', f'"objects": [{entry}]')
    row = LabelRow(replace(video_row._meta, document=text), ontology)
    row.initialise_labels()
    truck = ObjectInstance(ontology.get_object("truck"))
    truck.set_for_frames(RotatableBoundingBoxCoordinates(0.4, 0.4, 0.1, 0.1, 30.0), 2)
    row.add_object_instance(truck)
    saved = row.to_json()
    assert entry in saved  # the car was never built: its entry is copied as read
    assert json.loads(saved)["objects"][1] == json.loads(json.dumps(truck_entry(row)))
    assert row.get_object_instances("car")[0].get_annotation(1).confidence == 0.5
    assert entry not in row.to_json()  # once read, it is written as annotask writes it
    assert json.loads(row.to_json()) == json.loads(saved)


def truck_entry(row: LabelRow) -> dict[str, Any]:
    return next(o for o in row.to_dict()["objects"] if o["name"] == "truck")


def test_stored_text_that_is_not_json_is_refused(ontology: Ontology, video_row: LabelRow) -> None:
    row = LabelRow(replace(video_row._meta, document='{"schema": '), ontology)
    with pytest.raises(LabelError, match="the stored labels are not JSON"):
        row.initialise_labels()


def test_unknown_feature_hashes_are_all_named(ontology: Ontology, document: dict[str, Any]) -> None:
    def change(d: dict[str, Any]) -> None:
        d["objects"][0]["answers"]["feedbeef"] = "x"
        d["objects"].append({**d["objects"][0], "feature_hash": "deadbeef", "object_hash": "z"})
        weather_hash = d["classifications"][0]["feature_hash"]
        d["classifications"][0]["answers"][weather_hash] = "c0ffee00"

    with pytest.raises(LabelError, match="absent from the ontology: c0ffee00, deadbeef, feedbeef"):
        _parse(ontology, _edit(document, change))


def test_duplicate_object_hash_is_refused(ontology: Ontology, document: dict[str, Any]) -> None:
    edited = _edit(document, lambda d: d["objects"].append(copy.deepcopy(d["objects"][0])))
    with pytest.raises(LabelError, match="duplicate object_hash 'car1'"):
        _parse(ontology, edited)


def test_overlapping_classifications_are_refused(
    ontology: Ontology, document: dict[str, Any]
) -> None:
    def change(d: dict[str, Any]) -> None:
        d["classifications"].append({**d["classifications"][0], "classification_hash": "w2"})

    with pytest.raises(LabelError, match="has two instances \\(w1, w2\\) on frame 0"):
        _parse(ontology, _edit(document, change))


def test_static_answer_written_per_frame_is_refused(
    ontology: Ontology, document: dict[str, Any]
) -> None:
    occluded = ontology.get_object("car").get_attribute("occluded").feature_hash

    def change(d: dict[str, Any]) -> None:
        d["objects"][0]["frames"]["0"]["answers"] = {occluded: d["objects"][0]["answers"][occluded]}

    with pytest.raises(LabelError, match="attribute 'occluded' answered per frame"):
        _parse(ontology, _edit(document, change))


def test_nested_answer_without_its_option_is_refused(
    ontology: Ontology, document: dict[str, Any]
) -> None:
    weather = ontology.get_classification("weather")

    def change(d: dict[str, Any]) -> None:
        d["classifications"][0]["answers"][weather.feature_hash] = weather.get_option(
            "rain"
        ).feature_hash

    with pytest.raises(LabelError, match="asked only when 'weather' has option 'snow'"):
        _parse(ontology, _edit(document, change))


def test_refused_reload_leaves_the_row_as_it_was(
    ontology: Ontology, backend: MemoryLabelBackend, video_row: LabelRow, document: dict[str, Any]
) -> None:
    video_row.save()
    broken = _edit(document, lambda d: d["objects"][0].update(feature_hash="deadbeef"))
    backend.save(video_row.label_hash, broken, 1, None, False)
    before = video_row.to_dict()
    with pytest.raises(LabelError, match="deadbeef"):
        video_row.initialise_labels(overwrite=True)
    assert video_row.to_dict() == before
    assert video_row.version == 1


def test_entries_are_encoded_as_json_dumps_writes_them() -> None:
    """The encoder made once for object entries writes what ``json.dumps`` writes: spaced
    separators, ASCII escapes, Python's float spellings (NaN and infinities included)."""
    import json  # noqa: PLC0415 - this test's own

    from annotask.labels.document import _dumps  # noqa: PLC0415

    values = [
        {"a": 1.0, "b": [1e16, 1e-7, float("nan"), float("inf"), -0.0, 0.1 + 0.2]},
        {"text": 'é\u2028\x00"\\', "none": None, "flags": [True, False], "nested": {"x": [{}]}},
        "plain",
        3,
    ]
    for value in values:
        assert _dumps(value) == json.dumps(value)


def test_hostile_answers_and_angles_are_refused_naming_the_value(
    ontology: Ontology, document: dict[str, Any]
) -> None:
    colour = ontology.get_object("car").get_attribute("colour").feature_hash
    depth = ontology.get_classification("weather").get_attribute("depth").feature_hash
    cases = [
        (
            lambda d: d["objects"][0]["frames"]["1"]["answers"].update({colour: "re\x00d"}),
            "a text answer cannot hold a NUL character",
        ),
        (
            lambda d: d["classifications"][0]["answers"].update({depth: 10**400}),
            "expects a finite number, got a number of about 400 digits",
        ),
    ]
    for change, message in cases:
        with pytest.raises(LabelError, match=message):
            _parse(ontology, _edit(document, change))
        with pytest.raises(LabelError, match=message):
            parsed = parse_text(json.dumps(_edit(document, change)), ontology, number_of_frames=10)
            for pending in parsed.pending_objects.values():
                build_object(pending, ontology, number_of_frames=10)
    with pytest.raises(
        LabelError,
        match="theta must be a finite number of degrees, got a number of about 400 digits",
    ):
        RotatableBoundingBoxCoordinates(0.1, 0.1, 0.1, 0.1, 10**400)


def test_a_priority_too_large_for_a_float_is_refused(video_row: LabelRow) -> None:
    with pytest.raises(LabelError, match=r"priority must be in 0\.\.1, got a number of about"):
        video_row.set_priority(10**400)
