"""Object instances: frames, coordinates, static/dynamic/nested answers, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from annotask.errors import LabelError
from annotask.labels import (
    BitmaskCoordinates,
    BoundingBoxCoordinates,
    LabelRow,
    ObjectInstance,
    Ontology,
    PointCoordinate,
    PolygonCoordinates,
    SkeletonCoordinates,
)

BOX = BoundingBoxCoordinates(0.1, 0.2, 0.3, 0.4)


def _state(instance: ObjectInstance) -> Any:
    """Everything observable about an instance, to check a refused call changed nothing."""
    return (
        instance.get_annotations(),
        dict(instance._answers),
        {f: dict(a) for f, a in instance._dynamic.items()},
    )


@pytest.fixture
def car(ontology: Ontology) -> ObjectInstance:
    return ObjectInstance(ontology.get_object("car"))


@pytest.mark.parametrize(
    ("frames", "expected"),
    [
        (3, [3]),
        ([4, 1, 1], [1, 4]),
        ({2, 0}, [0, 2]),
        (range(5, 8), [5, 6, 7]),
        ((9,), [9]),
        (np.arange(2), [0, 1]),
    ],
)
def test_set_for_frames_accepts_int_list_set_and_range(
    car: ObjectInstance, frames: Any, expected: list[int]
) -> None:
    car.set_for_frames(BOX, frames, confidence=0.5, manual_annotation=False)
    assert [a.frame for a in car.get_annotations()] == expected
    assert car.get_annotation_frames() == set(expected)
    first = car.get_annotation(expected[0])
    assert (first.coordinates, first.confidence, first.manual_annotation) == (BOX, 0.5, False)


def test_default_frame_is_zero_with_full_confidence(car: ObjectInstance) -> None:
    car.set_for_frames(BOX)
    annotation = car.get_annotation(0)
    assert (annotation.frame, annotation.confidence, annotation.manual_annotation) == (0, 1.0, True)
    assert annotation.created_by is None and annotation.created_at is None


def test_created_by_and_at_are_kept(car: ObjectInstance) -> None:
    moment = datetime(2024, 5, 1, 12, tzinfo=UTC)
    car.set_for_frames(BOX, created_by="ann@example.com", created_at=moment)
    assert car.get_annotation().created_by == "ann@example.com"
    assert car.get_annotation().created_at == moment


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda i: i.set_for_frames(PointCoordinate(0.1, 0.1)),
            "takes BoundingBoxCoordinates, got PointCoordinate",
        ),
        (lambda i: i.set_for_frames(BOX, -1), "cannot be negative"),
        (lambda i: i.set_for_frames(BOX, []), "no frames given"),
        (lambda i: i.set_for_frames(BOX, "0"), "must be an int, a list"),
        (lambda i: i.set_for_frames(BOX, [0, 1.5]), "non-negative ints"),
        (lambda i: i.set_for_frames(BOX, 0, confidence=1.5), "confidence must be a number in 0..1"),
        (lambda i: i.set_for_frames(BOX, 0, manual_annotation=1), "manual_annotation must be"),
        (lambda i: i.set_for_frames(BOX, 0, created_at=datetime(2024, 1, 1)), "timezone-aware"),
        (
            lambda i: i.set_answer("maybe", attribute="occluded"),
            "expects one of the options 'yes', 'no'",
        ),
        (lambda i: i.set_answer(["yes", "no"], attribute="occluded"), "takes one answer, got 2"),
        (lambda i: i.set_answer(3, attribute="colour", frames=0), "expects a str"),
        (lambda i: i.set_answer("yes", attribute="speed"), "no attribute 'speed'"),
        (lambda i: i.set_answer("yes", attribute="occluded", frames=0), "is static"),
        (lambda i: i.set_answer("red", attribute="colour", frames=7), "frame 7: not annotated"),
        (
            lambda i: i.set_answer(2, attribute="dents"),
            "asked only when 'damage' has option 'dented'",
        ),
        (lambda i: i.get_answer("colour"), "is dynamic; pass frame="),
        (lambda i: i.get_dynamic_answers("occluded"), "is static; use get_answer"),
        (lambda i: i.get_annotation(5), "frame 5: not annotated"),
    ],
)
def test_refused_call_names_the_object_and_changes_nothing(
    car: ObjectInstance, call: Any, message: str
) -> None:
    car.set_for_frames(BOX, [0, 1])
    car.set_answer("no", attribute="occluded")
    car.set_answer("blue", attribute="colour", frames=1)
    before = _state(car)
    with pytest.raises(LabelError, match=message) as info:
        call(car)
    assert f"car (object_hash {car.object_hash})" in str(info.value)
    assert _state(car) == before


def test_answer_from_an_option_object_or_name(ontology: Ontology, car: ObjectInstance) -> None:
    occluded = ontology.get_object("car").get_attribute("occluded")
    car.set_answer(occluded.get_option("yes"), attribute=occluded)
    assert car.get_answer(occluded) == occluded.get_option("yes")
    car.set_answer("no", attribute="occluded", overwrite=True)
    assert car.get_answer("occluded") == occluded.get_option("no")


def test_option_of_another_attribute_is_refused(ontology: Ontology, car: ObjectInstance) -> None:
    sunny = ontology.get_classification("weather").get_option("sunny")
    with pytest.raises(LabelError, match="expects one of the options"):
        car.set_answer(sunny, attribute="occluded")


def test_attribute_of_another_class_is_refused(ontology: Ontology, car: ObjectInstance) -> None:
    depth = ontology.get_object("puddle").get_attribute("depth")
    with pytest.raises(LabelError, match="'depth' is not an attribute of 'car'"):
        car.set_answer(1.0, attribute=depth)


def test_static_answer_holds_on_every_frame(car: ObjectInstance) -> None:
    car.set_for_frames(BOX, range(3))
    car.set_answer("yes", attribute="occluded")
    assert car.get_answer("occluded", frame=2) == car.get_answer("occluded")
    assert car.get_answer("occluded").name == "yes"  # type: ignore[union-attr]


def test_dynamic_answers_vary_per_frame(car: ObjectInstance) -> None:
    car.set_for_frames(BOX, range(4))
    car.set_answer("red", attribute="colour")
    car.set_answer("blue", attribute="colour", frames=[2, 3])
    assert car.get_answer("colour", frame=0) == "red"
    assert car.get_answer("colour", frame=3) == "blue"
    assert car.get_dynamic_answers("colour") == {0: "red", 1: "red", 2: "blue", 3: "blue"}


def test_removing_frames_drops_their_dynamic_answers(car: ObjectInstance) -> None:
    car.set_for_frames(BOX, range(3))
    car.set_answer("red", attribute="colour")
    car.remove_from_frames({1, 7})
    assert car.get_annotation_frames() == {0, 2}
    assert car.get_dynamic_answers("colour") == {0: "red", 2: "red"}


def test_dynamic_answer_needs_an_annotated_frame(car: ObjectInstance) -> None:
    with pytest.raises(LabelError, match="on no frame yet; call set_for_frames first"):
        car.set_answer("red", attribute="colour")


def test_nested_answer_needs_its_option_and_goes_when_it_changes(car: ObjectInstance) -> None:
    car.set_answer("dented", attribute="damage")
    car.set_answer(3, attribute="dents")
    assert car.get_answer("dents") == 3
    car.set_answer("none", attribute="damage", overwrite=True)
    assert car.get_answer("dents") is None


def test_deleting_an_answer_deletes_the_answers_under_it(car: ObjectInstance) -> None:
    car.set_answer("dented", attribute="damage")
    car.set_answer(2.5, attribute="dents")
    car.delete_answer("damage")
    assert car.get_answer("damage") is None
    assert car.get_answer("dents") is None


def test_checklist_answers_come_back_in_ontology_order(ontology: Ontology) -> None:
    puddle = ObjectInstance(ontology.get_object("puddle"))
    puddle.set_for_frames(BitmaskCoordinates.from_array(np.ones((4, 4), bool)), 0)
    puddle.set_answer(["muddy", "frozen", "muddy"], attribute="state", frames=0)
    assert [o.name for o in puddle.get_answer("state", frame=0)] == ["frozen", "muddy"]  # type: ignore[union-attr]
    puddle.set_answer([], attribute="state", frames=0)
    assert puddle.get_answer("state", frame=0) == []


@pytest.mark.parametrize("bad", [True, float("nan"), "3"])
def test_numeric_answers_must_be_finite_numbers(ontology: Ontology, bad: Any) -> None:
    puddle = ObjectInstance(ontology.get_object("puddle"))
    puddle.set_for_frames(BitmaskCoordinates.from_array(np.ones((4, 4), bool)), 0)
    with pytest.raises(LabelError, match="expects a finite number"):
        puddle.set_answer(bad, attribute="depth", frames=0)


def test_skeleton_refuses_unknown_keypoints(ontology: Ontology) -> None:
    person = ObjectInstance(ontology.get_object("person"))
    person.set_for_frames(SkeletonCoordinates({"head": (0.5, 0.1)}))
    with pytest.raises(LabelError, match="unknown keypoint\\(s\\) 'tail'"):
        person.set_for_frames(SkeletonCoordinates({"tail": (0.5, 0.9)}))
    assert list(person.get_annotation().coordinates.keypoints) == ["head"]  # type: ignore[union-attr]


def test_frames_past_the_row_are_refused_once_in_a_row(
    ontology: Ontology, video_row: LabelRow
) -> None:
    road = ObjectInstance(ontology.get_object("road"))
    polygon = PolygonCoordinates([(0.1, 0.1), (0.5, 0.1), (0.5, 0.5)])
    road.set_for_frames(polygon, range(8))
    video_row.add_object_instance(road)
    with pytest.raises(
        LabelError, match=r"road \(object_hash .*\), frame 10: beyond the data item"
    ):
        road.set_for_frames(polygon, range(8, 12))
    assert road.get_annotation_frames() == set(range(8))


def test_bitmask_must_match_the_row_size(ontology: Ontology, image_row: LabelRow) -> None:
    puddle = ObjectInstance(ontology.get_object("puddle"))
    image_row.add_object_instance(puddle)
    with pytest.raises(LabelError, match=r"bitmask is 4x4 .* the data item is 48x64"):
        puddle.set_for_frames(BitmaskCoordinates.from_array(np.ones((4, 4), bool)))
    puddle.set_for_frames(BitmaskCoordinates.from_array(np.ones((48, 64), bool)))
    assert puddle.get_annotation().coordinates.area == 48 * 64  # type: ignore[union-attr]


def test_copy_has_a_new_hash_and_the_same_labels(car: ObjectInstance) -> None:
    car.set_for_frames(BOX, [0, 1])
    car.set_answer("yes", attribute="occluded")
    car.set_answer("red", attribute="colour")
    twin = car.copy()
    assert twin.object_hash != car.object_hash
    assert twin.get_annotations() == car.get_annotations()
    assert twin.get_answer("occluded") == car.get_answer("occluded")
    twin.set_answer("blue", attribute="colour", frames=0)
    assert car.get_answer("colour", frame=0) == "red"


def test_constructor_refuses_wrong_arguments(ontology: Ontology) -> None:
    with pytest.raises(LabelError, match="needs an ObjectClass"):
        ObjectInstance(ontology.get_classification("weather"))  # type: ignore[arg-type]
    with pytest.raises(LabelError, match="object_hash must be"):
        ObjectInstance(ontology.get_object("car"), object_hash="")


def test_names_with_control_characters_and_nul_in_text_are_refused(ontology: Ontology) -> None:
    car = ontology.get_object("car")
    with pytest.raises(LabelError, match="object_hash must be a string without control"):
        ObjectInstance(car, object_hash="car\x00")
    with pytest.raises(LabelError, match=r"object_hash must be a string of 1\.\.200 characters"):
        ObjectInstance(car, object_hash="c" * 201)
    instance = ObjectInstance(car)
    box = BoundingBoxCoordinates(0.1, 0.1, 0.1, 0.1)
    with pytest.raises(LabelError, match="created_by must be a string without control"):
        instance.set_for_frames(box, frames=0, created_by="ann\x1b[31m")
    instance.set_for_frames(box, frames=0, created_by="Zoë Ng")
    with pytest.raises(LabelError, match="a text answer cannot hold a NUL character"):
        instance.set_answer("re\x00d", attribute="colour", frames=0)
    assert instance.get_annotation(0).created_by == "Zoë Ng"


def test_a_text_answer_with_an_unpaired_surrogate_is_refused(ontology: Ontology) -> None:
    instance = ObjectInstance(ontology.get_object("car"))
    instance.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.1, 0.1), frames=0)
    with pytest.raises(LabelError, match="cannot hold a NUL character or an unpaired surrogate"):
        instance.set_answer("red \ud800", attribute="colour", frames=0)
    instance.set_answer("red \U0001f697", attribute="colour", frames=0)  # a pair is fine
    with pytest.raises(LabelError, match="without control characters or unpaired surrogates"):
        ObjectInstance(ontology.get_object("car"), object_hash="car\udc00")
