"""The SDK names agents use, as real features: bundles batch and are all-or-none, ontology
lookups by hash and title with kinds, the SDK's data-type names, batch_iterator."""

from __future__ import annotations

from pathlib import Path

import pytest

import annotask
from annotask import ConflictError, DataType, StorageItemType, ValidationError
from annotask.labels import (
    Attribute,
    BoundingBoxCoordinates,
    ChecklistAttribute,
    Classification,
    FlatOption,
    NestableOption,
    Object,
    ObjectClass,
    Option,
    RadioAttribute,
    TextAttribute,
)
from annotask.tasks import batch_iterator
from annotask.testing import trial_project
from tests.compat.conftest import AGENT_STAGE_NAME, ONTOLOGY, WORKFLOW


def _boxed(row: annotask.LabelRow) -> None:
    instance = row.ontology_structure.get_child_by_title("Bird", type_=Object).create_instance()
    instance.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.2, 0.2))
    row.add_object_instance(instance)


def test_a_bundle_saves_its_rows_together_at_the_end(tmp_path: Path) -> None:
    trial = trial_project(tmp_path, images=3, workflow=WORKFLOW, ontology=ONTOLOGY)
    rows = trial.project.list_label_rows_v2()
    with trial.project.create_bundle() as bundle:
        for row in rows:
            row.initialise_labels(bundle=bundle)
        assert len(bundle) == 3
    with trial.project.create_bundle() as bundle:
        for row in rows:
            _boxed(row)
            row.save(bundle=bundle)
        assert [r.version for r in trial.project.list_label_rows_v2()] == [0, 0, 0]
    assert [r.version for r in trial.project.list_label_rows_v2()] == [1, 1, 1]
    assert [r.version for r in rows] == [1, 1, 1] and not any(r.has_unsaved_changes for r in rows)


def test_a_bundle_with_a_stale_row_saves_none_of_them(tmp_path: Path) -> None:
    trial = trial_project(tmp_path, images=2, workflow=WORKFLOW, ontology=ONTOLOGY)
    rows = trial.project.list_label_rows_v2()
    for row in rows:
        row.initialise_labels()
    meanwhile = trial.project.list_label_rows_v2()[1]
    meanwhile.initialise_labels()
    _boxed(meanwhile)
    meanwhile.save()  # someone else saves the second row first
    with pytest.raises(ConflictError), trial.project.create_bundle() as bundle:
        for row in rows:
            _boxed(row)
            row.save(bundle=bundle)
    assert [r.version for r in trial.project.list_label_rows_v2()] == [0, 1]


def test_a_bundle_whose_block_raises_does_nothing(tmp_path: Path) -> None:
    trial = trial_project(tmp_path, images=2, workflow=WORKFLOW, ontology=ONTOLOGY)
    stage = trial.project.workflow.get_stage(name=AGENT_STAGE_NAME)
    with pytest.raises(RuntimeError), trial.project.create_bundle() as bundle:
        for task in stage.get_tasks():
            task.proceed(pathway_name="complete", bundle=bundle)  # type: ignore[attr-defined]
        raise RuntimeError("the agent crashed")
    trial.assert_all_in(AGENT_STAGE_NAME)
    with pytest.raises(ValidationError, match="has ended"):
        bundle.add("proceed", object(), lambda items: None)


def test_bundled_moves_happen_in_one_transaction_at_the_end(tmp_path: Path) -> None:
    trial = trial_project(tmp_path, images=3, workflow=WORKFLOW, ontology=ONTOLOGY)
    stage = trial.project.workflow.get_stage(name=AGENT_STAGE_NAME)
    tasks = list(stage.get_tasks())
    moved_meanwhile = next(iter(stage.get_tasks()))  # another copy of tasks[0]
    assert moved_meanwhile.uuid == tasks[0].uuid
    moved_meanwhile.proceed(pathway_name="complete")  # type: ignore[attr-defined]
    with (
        pytest.raises(ConflictError, match="no longer in stage"),
        trial.project.create_bundle() as bundle,
    ):
        for task in tasks:
            task.proceed(pathway_name="complete", bundle=bundle)  # type: ignore[attr-defined]
        assert len(trial.titles_in("Complete")) == 1
    assert len(trial.titles_in("Complete")) == 1  # all or none: the stale one undid the others
    with trial.project.create_bundle() as bundle:
        for task in tasks[1:]:
            task.proceed(pathway_name="complete", bundle=bundle)  # type: ignore[attr-defined]
    trial.assert_all_in("Complete")


def test_ontology_parts_by_hash_and_title_with_kinds(tmp_path: Path) -> None:
    trial = trial_project(tmp_path, images=1, workflow=WORKFLOW, ontology=ONTOLOGY)
    ontology = trial.project.ontology_structure
    assert ontology is trial.project.ontology
    bird = ontology.get_child_by_title("Bird", type_=Object)
    assert isinstance(bird, ObjectClass) and bird.title == "Bird"
    assert ontology.get_child_by_hash(bird.feature_node_hash) is bird
    bird_type = bird.get_child_by_title("Type")
    assert isinstance(bird_type, Attribute) and isinstance(bird_type, RadioAttribute)
    assert not isinstance(bird_type, ChecklistAttribute | TextAttribute)
    bluejay = ontology.get_child_by_title("Bluejay")
    assert isinstance(bluejay, Option) and isinstance(bluejay, NestableOption)
    assert isinstance(bluejay, FlatOption) and bluejay.label == bluejay.title == "Bluejay"
    assert bird.get_child_by_hash(bluejay.feature_node_hash) is bluejay

    checks = ontology.get_child_by_title("Checks", type_=Classification)
    assert isinstance(checks.attributes[0], ChecklistAttribute)
    assert [o.title for o in checks.attributes[0].options] == ["sharp", "sunny"]
    # "sharp" is both an option of Checks and a classification: type_ picks
    assert isinstance(ontology.get_child_by_title("sharp"), Option)
    assert isinstance(ontology.get_child_by_title("sharp", type_=Classification), Classification)
    assert len(ontology.get_children_by_title("sharp")) == 2
    with pytest.raises(annotask.NotFoundError, match="no part of kind ObjectClass"):
        ontology.get_child_by_hash(checks.feature_node_hash, type_=Object)
    with pytest.raises(annotask.NotFoundError, match="'Bird'"):
        ontology.get_child_by_title("Cat")
    with pytest.raises(TypeError, match="isinstance"):
        RadioAttribute()
    instance = checks.create_instance()
    instance.set_answer([checks.attributes[0].options[1]])
    assert [o.title for o in instance.get_answer(attribute=checks.attributes[0])] == ["sunny"]  # type: ignore[union-attr]


def test_the_sdks_data_type_names_are_the_same_members() -> None:
    assert DataType.PLAIN_TEXT is DataType.TEXT
    assert StorageItemType.IMAGE_GROUP is DataType.IMG_GROUP is DataType.IMAGE_SEQUENCE
    assert StorageItemType.DICOM_FILE is DataType.DICOM_SERIES is DataType.DICOM
    assert [t.name for t in DataType] == [
        "IMAGE",
        "VIDEO",
        "AUDIO",
        "DICOM",
        "PDF",
        "TEXT",
        "IMAGE_SEQUENCE",
    ]


def test_batch_iterator_is_lazy_and_checks_its_size() -> None:
    def endless() -> object:
        n = 0
        while True:
            yield n
            n += 1

    batches = batch_iterator(endless(), 4)  # type: ignore[arg-type]
    assert next(batches) == [0, 1, 2, 3] and next(batches) == [4, 5, 6, 7]
    assert list(batch_iterator([], 3)) == []
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValidationError, match="batch_size"):
            list(batch_iterator([1], bad))  # type: ignore[arg-type]
