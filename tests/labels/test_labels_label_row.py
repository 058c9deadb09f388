"""Label rows: loading, adding and removing, priority, saving, conflicts and history."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from annotask.datatypes import DataType
from annotask.errors import ConflictError, LabelError, NotFoundError, ValidationError
from annotask.labels import (
    BoundingBoxCoordinates,
    ClassificationInstance,
    LabelRow,
    LabelRowMeta,
    MemoryLabelBackend,
    ObjectInstance,
    Ontology,
    PointCoordinate,
)

BOX = BoundingBoxCoordinates(0.1, 0.2, 0.3, 0.4)


def _car(ontology: Ontology, frames: Any = 0) -> ObjectInstance:
    car = ObjectInstance(ontology.get_object("car"))
    car.set_for_frames(BOX, frames)
    return car


def _load(backend: MemoryLabelBackend, ontology: Ontology, label_hash: str) -> LabelRow:
    row = LabelRow(backend.meta(label_hash), ontology, backend)
    row.initialise_labels()
    return row


def test_fields_come_from_the_meta(ontology: Ontology, backend: MemoryLabelBackend) -> None:
    meta = backend.create_row(
        data_title="drive.mp4",
        data_type=DataType.VIDEO,
        width=1280,
        height=720,
        number_of_frames=250,
        fps=25.0,
        priority=0.25,
        client_metadata={"camera": "front"},
        workflow_stage="Pre-label",
    )
    row = LabelRow(meta, ontology, backend)
    assert (row.label_hash, row.data_hash, row.data_title) == (
        meta.label_hash,
        meta.data_hash,
        "drive.mp4",
    )
    assert row.data_type is DataType.VIDEO
    assert (row.width, row.height, row.number_of_frames, row.fps) == (1280, 720, 250, 25.0)
    assert (row.priority, row.workflow_stage, row.version) == (0.25, "Pre-label", 0)
    assert row.client_metadata == {"camera": "front"}
    assert row.ontology is ontology
    assert not row.is_labelling_initialised


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.get_object_instances(),
        lambda r: r.get_classification_instances(),
        lambda r: r.to_dict(),
        lambda r: r.save(),
        lambda r: r.add_object_instance(None),
    ],
)
def test_using_labels_before_initialising_says_what_to_call(
    ontology: Ontology, backend: MemoryLabelBackend, call: Any
) -> None:
    row = LabelRow(backend.create_row(data_title="a.jpg"), ontology, backend)
    with pytest.raises(LabelError, match=r"call initialise_labels\(\) first"):
        call(row)


def test_initialising_twice_needs_overwrite(image_row: LabelRow) -> None:
    with pytest.raises(LabelError, match="already initialised; pass overwrite=True"):
        image_row.initialise_labels()
    image_row.initialise_labels(overwrite=True)
    assert image_row.is_labelling_initialised


def test_initialise_accepts_the_encord_options_and_refuses_others(image_row: LabelRow) -> None:
    image_row.initialise_labels(
        overwrite=True,
        include_object_feature_hashes=None,
        include_classification_feature_hashes=None,
        include_reviews=True,
    )
    image_row.initialise_labels(overwrite=True, include_signed_url=True, bundle=None)
    with pytest.raises(
        ValidationError, match="does not take include_everything; it takes overwrite, bundle"
    ):
        image_row.initialise_labels(overwrite=True, include_everything=True)


def test_filtered_load_keeps_the_other_objects_when_saving(
    ontology: Ontology, backend: MemoryLabelBackend, image_row: LabelRow
) -> None:
    image_row.add_object_instance(_car(ontology))
    sign = ObjectInstance(ontology.get_object("sign"))
    sign.set_for_frames(PointCoordinate(0.5, 0.5))
    image_row.add_object_instance(sign)
    image_row.save()
    car_hash = ontology.get_object("car").feature_hash
    filtered = LabelRow(backend.meta(image_row.label_hash), ontology, backend)
    filtered.initialise_labels(include_object_feature_hashes={car_hash})
    assert [i.object_name for i in filtered.get_object_instances()] == ["car"]
    filtered.save()
    again = _load(backend, ontology, image_row.label_hash)
    assert sorted(i.object_name for i in again.get_object_instances()) == ["car", "sign"]


def test_add_get_and_remove_objects(ontology: Ontology, video_row: LabelRow) -> None:
    car = _car(ontology, range(0, 3))
    sign = ObjectInstance(ontology.get_object("sign"))
    sign.set_for_frames(PointCoordinate(0.5, 0.5), 5)
    video_row.add_object_instance(car)
    video_row.add_object_instance(sign)
    assert video_row.get_object_instances() == [car, sign]
    assert video_row.get_object_instances(filter_ontology_object="car") == [car]
    assert video_row.get_object_instances(ontology.get_object("sign")) == [sign]
    assert video_row.get_object_instances(filter_frames=range(4, 6)) == [sign]
    assert video_row.get_object_instances(filter_frames=9) == []
    video_row.remove_object_instance(car)
    assert video_row.get_object_instances() == [sign]
    assert not car.is_assigned_to_label_row()
    with pytest.raises(LabelError, match="not in label row"):
        video_row.remove_object_instance(car)


def test_adding_validates_every_frame_and_changes_nothing_when_refused(
    ontology: Ontology, video_row: LabelRow
) -> None:
    car = _car(ontology, [0, 4, 12])
    with pytest.raises(LabelError, match=r"car \(object_hash \w+\), frame 12: beyond"):
        video_row.add_object_instance(car)
    assert video_row.get_object_instances() == []
    assert not video_row.has_unsaved_changes
    assert not car.is_assigned_to_label_row()


def test_object_of_another_ontology_is_refused(image_row: LabelRow) -> None:
    other = Ontology.from_dict({"objects": [{"name": "boat", "shape": "bounding_box"}]})
    boat = ObjectInstance(other.get_object("boat"))
    with pytest.raises(LabelError, match="'boat' is not in this row's ontology; its object"):
        image_row.add_object_instance(boat)


def test_object_of_an_identical_twin_ontology_is_accepted(
    ontology_path: Any, image_row: LabelRow
) -> None:
    twin = Ontology.from_file(ontology_path)
    car = ObjectInstance(twin.get_object("car"))
    car.set_for_frames(BOX)
    image_row.add_object_instance(car)
    assert image_row.get_object_instances() == [car]


def test_an_instance_belongs_to_one_row(
    ontology: Ontology, image_row: LabelRow, make_row: Any
) -> None:
    car = _car(ontology)
    image_row.add_object_instance(car)
    other = make_row(data_title="other.jpg")
    with pytest.raises(LabelError, match=r"already in another label row; add instance.copy\(\)"):
        other.add_object_instance(car)
    other.add_object_instance(car.copy())
    assert len(other.get_object_instances()) == 1


def test_same_object_hash_replaces_unless_not_forced(
    ontology: Ontology, image_row: LabelRow
) -> None:
    first = ObjectInstance(ontology.get_object("car"), object_hash="abc")
    second = ObjectInstance(ontology.get_object("car"), object_hash="abc")
    image_row.add_object_instance(first)
    with pytest.raises(LabelError, match="pass force=True to replace it"):
        image_row.add_object_instance(second, force=False)
    image_row.add_object_instance(second)
    assert image_row.get_object_instances() == [second]


def test_unsaved_changes_follow_edits_to_attached_instances(
    ontology: Ontology, image_row: LabelRow
) -> None:
    assert not image_row.has_unsaved_changes
    car = _car(ontology)
    image_row.add_object_instance(car)
    assert image_row.has_unsaved_changes
    image_row.save()
    assert not image_row.has_unsaved_changes
    car.set_answer("yes", attribute="occluded")
    assert image_row.has_unsaved_changes


@pytest.mark.parametrize("priority", [0.0, 0, 1.0, 0.5])
def test_priority_in_range_is_saved_as_given(
    ontology: Ontology, backend: MemoryLabelBackend, image_row: LabelRow, priority: float
) -> None:
    image_row.set_priority(priority)
    assert image_row.priority_changed
    assert not image_row.has_unsaved_changes
    image_row.save()
    assert not image_row.priority_changed
    stored = backend.meta(image_row.label_hash).priority
    assert stored == priority
    assert stored is not None


@pytest.mark.parametrize("priority", [-0.1, 1.01, float("nan"), True, "0.5", None])
def test_priority_outside_0_1_is_refused(image_row: LabelRow, priority: Any) -> None:
    with pytest.raises(LabelError, match=r"priority must be in 0\.\.1"):
        image_row.set_priority(priority)
    assert not image_row.priority_changed
    assert image_row.priority is None


def test_priority_left_alone_is_not_written(
    ontology: Ontology, backend: MemoryLabelBackend, make_row: Any
) -> None:
    row = make_row(priority=0.7)
    row.add_object_instance(_car(ontology))
    row.save()
    assert backend.meta(row.label_hash).priority == 0.7


def test_two_saves_in_a_row_make_two_versions(
    ontology: Ontology, backend: MemoryLabelBackend, image_row: LabelRow
) -> None:
    image_row.add_object_instance(_car(ontology))
    image_row.save()
    image_row.add_object_instance(_car(ontology))
    image_row.save()
    assert image_row.version == 2
    history = image_row.history()
    assert [(v.version, v.saved_by) for v in history] == [(1, "tester"), (2, "tester")]
    assert history[0].saved_at <= history[1].saved_at


def test_stale_save_conflicts_and_a_reload_and_retry_works(
    ontology: Ontology, backend: MemoryLabelBackend, image_row: LabelRow
) -> None:
    image_row.add_object_instance(_car(ontology))
    image_row.save()
    first = _load(backend, ontology, image_row.label_hash)
    second = _load(backend, ontology, image_row.label_hash)
    assert first.version == second.version == 1
    first.add_object_instance(_car(ontology))
    first.save()
    late = _car(ontology)
    second.add_object_instance(late)
    second.set_priority(0.0)
    with pytest.raises(ConflictError, match="at version 2, but this save is based on version 1"):
        second.save()
    assert second.version == 1
    assert second.has_unsaved_changes and second.priority_changed
    second.initialise_labels(overwrite=True)
    assert second.version == 2
    assert len(second.get_object_instances()) == 2
    second.add_object_instance(late.copy())
    second.save()
    assert second.version == 3
    assert len(_load(backend, ontology, image_row.label_hash).get_object_instances()) == 3
    assert backend.meta(image_row.label_hash).priority == 0.0


def test_prefetched_document_is_used_without_fetching(
    ontology: Ontology, backend: MemoryLabelBackend, image_row: LabelRow
) -> None:
    image_row.add_object_instance(_car(ontology))
    image_row.save()
    meta = backend.meta(image_row.label_hash, prefetch=True)
    row = LabelRow(meta, ontology, backend=None)
    row.initialise_labels()
    assert len(row.get_object_instances()) == 1
    assert row.version == 1
    with pytest.raises(LabelError, match="cannot save without a backend"):
        row.save()
    with pytest.raises(LabelError, match="cannot read history without a backend"):
        row.history()


def test_from_dict_and_to_dict_round_trip(ontology: Ontology, video_row: LabelRow) -> None:
    video_row.add_object_instance(_car(ontology, range(3)))
    weather = ClassificationInstance(ontology.get_classification("weather"))
    weather.set_for_frames(range(10))
    weather.set_answer("sunny")
    video_row.add_classification_instance(weather)
    document = video_row.to_dict()
    meta = LabelRowMeta(
        label_hash="x",
        data_hash="y",
        data_title="drive.mp4",
        data_type=DataType.VIDEO,
        width=None,
        height=None,
        number_of_frames=10,
        fps=None,
        priority=None,
        client_metadata={},
        workflow_stage=None,
        version=0,
        document=None,
    )
    again = LabelRow.from_dict(document, meta, ontology)
    assert again.is_labelling_initialised
    assert again.to_dict() == document


def test_document_of_a_newer_annotask_is_refused(ontology: Ontology, image_row: LabelRow) -> None:
    document = image_row.to_dict()
    meta = replace(_meta(image_row), document={**document, "schema_version": 99})
    row = LabelRow(meta, ontology)
    with pytest.raises(LabelError, match="written by a newer annotask"):
        row.initialise_labels()
    assert not row.is_labelling_initialised


def test_a_document_prefetched_as_json_text_is_parsed_on_initialise(
    ontology: Ontology, image_row: LabelRow
) -> None:
    image_row.add_object_instance(_car(ontology, 0))
    document = image_row.to_dict()
    row = LabelRow(replace(_meta(image_row), document=json.dumps(document)), ontology)
    row.initialise_labels()
    assert row.to_dict() == document
    broken = LabelRow(replace(_meta(image_row), document='{"schema": '), ontology)
    with pytest.raises(LabelError, match="the stored labels are not JSON"):
        broken.initialise_labels()
    assert not broken.is_labelling_initialised


def test_backend_refuses_unknown_rows(backend: MemoryLabelBackend) -> None:
    with pytest.raises(NotFoundError):
        backend.fetch_document("nope")
    with pytest.raises(NotFoundError):
        backend.history("nope")


def _meta(row: LabelRow) -> LabelRowMeta:
    return LabelRowMeta(
        label_hash=row.label_hash,
        data_hash=row.data_hash,
        data_title=row.data_title,
        data_type=row.data_type,
        width=row.width,
        height=row.height,
        number_of_frames=row.number_of_frames,
        fps=row.fps,
        priority=row.priority,
        client_metadata=row.client_metadata,
        workflow_stage=row.workflow_stage,
        version=row.version,
        document=None,
    )


def test_classification_filter_by_name_and_filtered_load(
    ontology: Ontology, backend: MemoryLabelBackend, video_row: LabelRow
) -> None:
    weather = ClassificationInstance(ontology.get_classification("weather"))
    weather.set_for_frames(range(2))
    tags = ClassificationInstance(ontology.get_classification("tags"))
    tags.set_for_frames(5)
    video_row.add_classification_instance(weather)
    video_row.add_classification_instance(tags)
    assert video_row.get_classification_instances("weather") == [weather]
    assert video_row.get_classification_instances(filter_frames=[5, 6]) == [tags]
    video_row.save()
    filtered = LabelRow(backend.meta(video_row.label_hash), ontology, backend)
    filtered.initialise_labels(
        include_classification_feature_hashes=[ontology.get_classification("tags").feature_hash]
    )
    assert [c.classification_name for c in filtered.get_classification_instances()] == ["tags"]
    assert filtered.to_dict()["classifications"][1]["name"] == "weather"
