"""Label rows in the store: bulk loading, versioned saves, conflicts, priority, history."""

from __future__ import annotations

import pytest
from sqlalchemy import event

import annotask
from annotask import ConflictError
from annotask.labels import BoundingBoxCoordinates, ObjectInstance


def _add_box(row: annotask.labels.LabelRow, x: float) -> None:
    car = row.ontology.get_object("car")
    instance = ObjectInstance(car)
    instance.set_for_frames(BoundingBoxCoordinates(x, 0.1, 0.2, 0.3), frames=0, confidence=0.8)
    row.add_object_instance(instance)


def test_label_rows_load_in_one_query_and_initialise_without_more(
    client: annotask.Client, project: annotask.Project
) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(client.store.engine, "before_cursor_execute", count)
    try:
        rows = project.list_label_rows()
        for row in rows:
            row.initialise_labels()
    finally:
        event.remove(client.store.engine, "before_cursor_execute", count)
    assert len(rows) == 5
    assert len([s for s in statements if "label_rows" in s]) == 1
    assert all(row.get_object_instances() == [] for row in rows)


def test_a_saved_row_comes_back_with_its_labels_and_a_new_version(
    project: annotask.Project,
) -> None:
    row = project.list_label_rows()[0]
    row.initialise_labels()
    _add_box(row, 0.1)
    row.set_priority(0.0)
    row.save()
    again = project.get_label_row(row.data_hash)
    again.initialise_labels()
    boxes = again.get_object_instances(filter_ontology_object=again.ontology.get_object("car"))
    assert len(boxes) == 1
    assert again.version == 1
    assert again.priority == 0.0
    assert again.workflow_stage == "Pre-label"


def test_a_save_based_on_a_stale_version_is_a_conflict_not_an_overwrite(
    project: annotask.Project,
) -> None:
    data_hash = project.list_label_rows()[0].data_hash
    first, second = project.get_label_row(data_hash), project.get_label_row(data_hash)
    first.initialise_labels()
    second.initialise_labels()
    _add_box(first, 0.1)
    first.save()
    _add_box(second, 0.5)
    with pytest.raises(ConflictError, match="changed since"):
        second.save()
    second.initialise_labels(overwrite=True)
    _add_box(second, 0.5)
    second.save()
    final = project.get_label_row(data_hash)
    final.initialise_labels()
    assert final.version == 2
    assert len(final.get_object_instances()) == 2


def test_history_lists_every_version_and_revert_restores_one(project: annotask.Project) -> None:
    row = project.list_label_rows()[0]
    row.initialise_labels()
    _add_box(row, 0.1)
    row.save()
    _add_box(row, 0.4)
    row.save()
    assert [(v.version, v.saved_by, v.workflow_stage) for v in row.history()] == [
        (1, "alice", "Pre-label"),
        (2, "alice", "Pre-label"),
    ]
    assert project.revert_label_row(row.data_hash, 1) == 3
    reverted = project.get_label_row(row.data_hash)
    reverted.initialise_labels()
    assert len(reverted.get_object_instances()) == 1
    assert [v.version for v in reverted.history()] == [1, 2, 3]


def test_the_project_ontology_has_stable_feature_hashes(
    client: annotask.Client, project: annotask.Project
) -> None:
    again = client.get_project(project.project_hash)
    assert (
        again.ontology.get_object("car").feature_hash
        == project.ontology.get_object("car").feature_hash
    )
