"""Hypothesis round trips: generated ontologies and generated labels survive their dict forms."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, timedelta, timezone
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from annotask.datatypes import DataType
from annotask.labels import (
    AttributeType,
    BitmaskCoordinates,
    BoundingBoxCoordinates,
    ClassificationInstance,
    Coordinates,
    LabelRow,
    LabelRowMeta,
    ObjectClass,
    ObjectInstance,
    Ontology,
    PointCoordinate,
    PolygonCoordinates,
    PolylineCoordinates,
    RotatableBoundingBoxCoordinates,
    Shape,
    SkeletonCoordinates,
)
from annotask.labels.ontology_model import Attribute, Classification, Question

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WIDTH, HEIGHT = 6, 4

names = st.text(alphabet="abcdefgh xyz-", min_size=1, max_size=5).map(str.strip).filter(bool)
"""Names as the ontology keeps them: trimmed, non-empty."""


def _unique(strategy: st.SearchStrategy[dict[str, Any]], size: int) -> Any:
    return st.lists(strategy, max_size=size, unique_by=lambda d: d["name"])


@st.composite
def options(draw: st.DrawFn, depth: int) -> dict[str, Any]:
    option: dict[str, Any] = {"name": draw(names)}
    if depth > 0 and draw(st.booleans()):
        option["questions"] = draw(_unique(questions(depth - 1, None), 2))
    return option


@st.composite
def questions(draw: st.DrawFn, depth: int, dynamic: bool | None) -> dict[str, Any]:
    kind = draw(st.sampled_from([t.value for t in AttributeType]))
    question: dict[str, Any] = {"name": draw(names), "type": kind}
    if dynamic is not None:
        question["dynamic"] = dynamic
    if kind in ("radio", "checklist"):
        question["options"] = draw(
            st.lists(options(depth), min_size=1, max_size=3, unique_by=lambda d: d["name"])
        )
    return question


@st.composite
def object_classes(draw: st.DrawFn) -> dict[str, Any]:
    shape = draw(st.sampled_from([s.value for s in Shape]))
    definition: dict[str, Any] = {
        "name": draw(names),
        "shape": shape,
        "attributes": draw(_unique(questions(1, draw(st.booleans())), 3)),
    }
    if shape == "skeleton":
        keypoints = draw(st.lists(names, min_size=1, max_size=4, unique=True))
        definition["keypoints"] = keypoints
        pairs = st.tuples(st.sampled_from(keypoints), st.sampled_from(keypoints))
        definition["edges"] = [list(p) for p in draw(st.lists(pairs, max_size=3))]
    return definition


@st.composite
def classifications(draw: st.DrawFn) -> dict[str, Any]:
    question = draw(questions(1, None))
    return {k: v for k, v in question.items() if k != "dynamic"}


definitions = st.fixed_dictionaries(
    {
        "objects": _unique(object_classes(), 4),
        "classifications": _unique(classifications(), 3),
    }
)


@SETTINGS
@given(definitions)
def test_ontology_to_dict_round_trips_and_hashes_are_deterministic(
    definition: dict[str, Any],
) -> None:
    ontology = Ontology.from_dict(definition)
    written = ontology.to_dict()
    again = Ontology.from_dict(written)
    assert again == ontology
    assert again.to_dict() == written
    assert Ontology.from_dict(json.loads(json.dumps(definition))).to_dict() == written


# -- labels ----------------------------------------------------------------------------------

fractions = st.floats(0.0, 1.0)


@st.composite
def boxes(draw: st.DrawFn) -> tuple[float, float, float, float]:
    x, y = draw(fractions), draw(fractions)
    return x, y, draw(fractions) * (1.0 - x), draw(fractions) * (1.0 - y)


points = st.builds(PointCoordinate, fractions, fractions)


def coordinates(draw: st.DrawFn, ontology_object: ObjectClass) -> Coordinates:
    makers: dict[Shape, Any] = {
        Shape.BOUNDING_BOX: lambda: BoundingBoxCoordinates(*draw(boxes())),
        Shape.ROTATABLE_BOUNDING_BOX: lambda: RotatableBoundingBoxCoordinates(
            *draw(boxes()), draw(st.floats(-360, 360))
        ),
        Shape.POLYGON: lambda: PolygonCoordinates(draw(st.lists(points, min_size=3, max_size=5))),
        Shape.POLYLINE: lambda: PolylineCoordinates(draw(st.lists(points, min_size=2, max_size=4))),
        Shape.POINT: lambda: draw(points),
        Shape.BITMASK: lambda: BitmaskCoordinates.from_array(
            draw(arrays(np.bool_, (HEIGHT, WIDTH)))
        ),
        Shape.SKELETON: lambda: skeleton(draw, ontology_object),
    }
    made: Coordinates = makers[ontology_object.shape]()
    return made


def skeleton(draw: st.DrawFn, ontology_object: ObjectClass) -> SkeletonCoordinates:
    chosen = draw(st.lists(st.sampled_from(ontology_object.keypoints), unique=True))
    return SkeletonCoordinates(
        {k: draw(points) for k in chosen}, {k: draw(st.booleans()) for k in chosen}
    )


def answer_for(draw: st.DrawFn, question: Question) -> Any:
    kind = question.type
    if kind is AttributeType.RADIO:
        return draw(st.sampled_from(question.options))
    if kind is AttributeType.CHECKLIST:
        return draw(st.lists(st.sampled_from(question.options), unique=True))
    if kind is AttributeType.TEXT:
        return draw(
            st.text(
                st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8
            )
        )
    return draw(st.integers(-(10**6), 10**6) | st.floats(allow_nan=False, allow_infinity=False))


def answer_tree(draw: st.DrawFn, question: Question, answer: Any) -> None:
    """Answer ``question`` through ``answer(q, value)``, then maybe what its options ask."""
    value = answer_for(draw, question)
    answer(question, value)
    chosen = value if isinstance(value, list) else [value]
    for option in question.options:
        if option in chosen:
            for nested in option.questions:
                if draw(st.booleans()):
                    answer_tree(draw, nested, answer)


creation: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {},
    optional={
        "created_by": st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=6),
        "created_at": st.datetimes(
            timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))])
        ),
    },
)


def object_instance(draw: st.DrawFn, ontology_object: ObjectClass, frames: int) -> ObjectInstance:
    instance = ObjectInstance(ontology_object)
    chosen = draw(st.lists(st.integers(0, frames - 1), min_size=1, max_size=3, unique=True))
    for frame in chosen:
        instance.set_for_frames(
            coordinates(draw, ontology_object),
            frame,
            confidence=draw(fractions),
            manual_annotation=draw(st.booleans()),
            **draw(creation),
        )
    for attribute in ontology_object.attributes:
        if not draw(st.booleans()):
            continue
        targets: list[int | None] = list(chosen) if attribute.dynamic else [None]
        for target in targets:
            answer_tree(
                draw,
                attribute,
                lambda q, v, f=target: instance.set_answer(v, attribute=q, frames=f),
            )
    return instance


def classification_instance(
    draw: st.DrawFn, classification: Classification, free: list[int]
) -> ClassificationInstance:
    instance = ClassificationInstance(classification)
    chosen = draw(st.lists(st.sampled_from(free), min_size=1, unique=True))
    for frame in chosen:
        free.remove(frame)
    instance.set_for_frames(chosen, confidence=draw(fractions), **draw(creation))
    if draw(st.booleans()):
        answer_tree(
            draw,
            classification,
            lambda q, v: instance.set_answer(v, attribute=q),
        )
    return instance


def meta(frames: int) -> LabelRowMeta:
    return LabelRowMeta(
        label_hash="row",
        data_hash="data",
        data_title="item",
        data_type=DataType.VIDEO if frames > 1 else DataType.IMAGE,
        width=WIDTH,
        height=HEIGHT,
        number_of_frames=frames,
        fps=None,
        priority=None,
        client_metadata={},
        workflow_stage=None,
        version=0,
        document=None,
    )


@st.composite
def label_rows(draw: st.DrawFn) -> LabelRow:
    ontology = Ontology.from_dict(draw(definitions))
    frames = draw(st.integers(1, 4))
    row = LabelRow(meta(frames), ontology)
    row.initialise_labels()
    if ontology.objects:
        for _ in range(draw(st.integers(0, 4))):
            ontology_object = draw(st.sampled_from(ontology.objects))
            row.add_object_instance(object_instance(draw, ontology_object, frames))
    free = {c.feature_hash: list(range(frames)) for c in ontology.classifications}
    for classification in ontology.classifications:
        left = free[classification.feature_hash]
        while left and draw(st.booleans()) is True:
            row.add_classification_instance(classification_instance(draw, classification, left))
    return row


@SETTINGS
@given(label_rows())
def test_document_round_trips_exactly(row: LabelRow) -> None:
    document = row.to_dict()
    assert json.loads(json.dumps(document)) == document
    again = LabelRow.from_dict(
        json.loads(json.dumps(document)), meta(row.number_of_frames), row.ontology
    )
    assert again.to_dict() == document
    for original, copy in zip(
        row.get_object_instances(), again.get_object_instances(), strict=True
    ):
        assert copy.object_hash == original.object_hash
        assert copy.get_annotations() == original.get_annotations()
        for attribute in original.ontology_item.tree:
            assert isinstance(attribute, Attribute)
            if attribute.dynamic:
                assert copy.get_dynamic_answers(attribute) == original.get_dynamic_answers(
                    attribute
                )
            else:
                assert copy.get_answer(attribute) == original.get_answer(attribute)
    for original_c, copy_c in zip(
        row.get_classification_instances(), again.get_classification_instances(), strict=True
    ):
        assert copy_c.get_annotations() == original_c.get_annotations()
        for question in original_c.ontology_item.tree:
            assert copy_c.get_answer(question) == original_c.get_answer(question)


@SETTINGS
@given(label_rows(), st.data())
def test_a_stored_document_is_written_back_byte_for_byte(
    row: LabelRow, data: st.DataObject
) -> None:
    text = json.dumps(row.to_dict())  # what the store holds: every save wrote json.dumps
    stored = LabelRow(replace(meta(row.number_of_frames), document=text), row.ontology)
    stored.initialise_labels()
    assert stored.to_json() == text
    assert stored.to_dict() == row.to_dict()
    if row.ontology.objects:  # read the objects of one class: they are the originals
        wanted = data.draw(st.sampled_from(row.ontology.objects))
        originals = {o.object_hash: o for o in row.get_object_instances(wanted)}
        for instance in stored.get_object_instances(wanted):
            assert instance.get_annotations() == originals[instance.object_hash].get_annotations()
            assert instance._answers == originals[instance.object_hash]._answers
    assert stored.to_json() == text
    assert json.dumps(dict(stored.save_request().document)) == text
    if row.ontology.objects:  # add one: the text is today's encoding of the changed row
        added = object_instance(data.draw, data.draw(st.sampled_from(row.ontology.objects)), 1)
        row.add_object_instance(added)
        stored.add_object_instance(ObjectInstance._restore(
            added.ontology_item, added.object_hash, dict(added._annotations),
            dict(added._answers), {f: dict(a) for f, a in added._dynamic.items()},
        ))  # fmt: skip
        assert stored.to_json() == json.dumps(row.to_dict())
        assert stored.to_dict() == row.to_dict()
