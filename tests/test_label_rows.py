"""Label rows in the store: bulk loading, versioned saves, conflicts, priority, history."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event

import annotask
from annotask import ConflictError
from annotask.labels import BoundingBoxCoordinates, ObjectInstance
from tests.definitions import ONTOLOGY, WORKFLOW


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


def test_many_rows_save_in_one_transaction_each_as_a_new_version(
    client: annotask.Client, project: annotask.Project
) -> None:
    rows = project.list_label_rows()
    for i, row in enumerate(rows):
        row.initialise_labels()
        _add_box(row, 0.1 * i)
    rows[0].set_priority(0.25)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(client.store.engine, "before_cursor_execute", count)
    try:
        versions = project.save_label_rows(rows)
    finally:
        event.remove(client.store.engine, "before_cursor_execute", count)
    assert versions == {row.label_hash: 1 for row in rows}
    assert all(row.version == 1 and not row.has_unsaved_changes for row in rows)
    assert not rows[0].priority_changed
    assert len([s for s in statements if s.lstrip().upper().startswith("INSERT")]) == 1
    again = project.list_label_rows()
    assert [len(r.get_object_instances()) for r in _initialised(again)] == [1] * len(rows)
    assert again[0].priority == 0.25


def test_a_batch_with_one_stale_row_is_a_conflict_and_saves_none(
    project: annotask.Project,
) -> None:
    rows = project.list_label_rows()
    for row in _initialised(rows):
        _add_box(row, 0.2)
    meanwhile = project.get_label_row(rows[2].data_hash)
    meanwhile.initialise_labels()
    _add_box(meanwhile, 0.6)
    meanwhile.save()
    with pytest.raises(ConflictError, match=rows[2].label_hash):
        project.save_label_rows(rows)
    assert [r.version for r in project.list_label_rows()] == [0, 0, 1, 0, 0]
    assert all(row.has_unsaved_changes and row.version == 0 for row in rows)


def test_a_batch_save_refuses_rows_of_another_project_and_rows_given_twice(
    client: annotask.Client, project: annotask.Project
) -> None:
    other = client.create_project(
        "other", datasets=project.datasets, ontology=ONTOLOGY, workflow=WORKFLOW
    )
    mine, theirs = _initialised([project.list_label_rows()[0], other.list_label_rows()[0]])
    with pytest.raises(annotask.NotFoundError, match=f"has no label row.*{theirs.label_hash}"):
        project.save_label_rows([mine, theirs])
    with pytest.raises(annotask.ValidationError, match="given twice"):
        project.save_label_rows([mine, mine])
    assert [r.version for r in project.list_label_rows() + other.list_label_rows()] == [0] * 10


def test_a_label_row_is_found_by_data_title_and_an_unknown_one_names_some(
    project: annotask.Project,
) -> None:
    assert project.get_label_row("img3.png").data_title == "img3.png"
    with pytest.raises(annotask.NotFoundError, match=r"'nope.png'.*e.g. 'img0.png'"):
        project.get_label_row("nope.png")


def test_a_data_title_two_items_share_must_be_given_by_hash(
    client: annotask.Client, images: list[Path]
) -> None:
    first, second = client.create_dataset("first"), client.create_dataset("second")
    first.add_items(images[:1])
    second.add_items(images[:1])
    both = client.create_project(
        "both", datasets=[first, second], ontology=ONTOLOGY, workflow=WORKFLOW
    )
    with pytest.raises(annotask.ValidationError, match=r"2 data items titled 'img0\.png'"):
        both.get_label_row("img0.png")


def test_a_revert_to_a_version_that_does_not_exist_names_the_versions(
    project: annotask.Project,
) -> None:
    row = _initialised(project.list_label_rows())[0]
    with pytest.raises(annotask.NotFoundError, match="no version 1; it was never saved"):
        project.revert_label_row(row.data_title, 1)
    _add_box(row, 0.3)
    row.save()
    with pytest.raises(annotask.NotFoundError, match=r"no version 4; its versions are 1\.\.1"):
        project.revert_label_row(row.data_title, 4)


def _initialised(rows: list[annotask.labels.LabelRow]) -> list[annotask.labels.LabelRow]:
    for row in rows:
        row.initialise_labels()
    return rows


def test_sqlite_names_label_rows_of_a_batch_through_their_keys(tmp_path: Path) -> None:
    """A batch's label rows, bound as one JSON array, are looked up by key, not scanned."""
    from annotask.store import labels as label_store  # noqa: PLC0415 - this test's own

    with annotask.Client(f"sqlite:///{tmp_path / 'plans.db'}", user="alice") as client:
        engine = client.store.engine
        statements = {
            "versions": label_store._versions_query("sqlite"),
            "copy": label_store._copy_versions("sqlite"),
            "by data hash": label_store._rows_query(True, "data_hash", "sqlite", True),
            "unordered": label_store._rows_query(True, "data_hash", "sqlite", False),
            "by label hash": label_store._rows_query(True, "label_hash", "sqlite", True),
        }
        with engine.connect() as conn:
            for name, statement in statements.items():
                sql = str(statement.compile(dialect=engine.dialect))
                plan = [
                    str(r[-1])
                    for r in conn.exec_driver_sql(
                        f"EXPLAIN QUERY PLAN {sql}", ("x",) * sql.count("?")
                    )
                ]
                assert plan[0].startswith("SEARCH label_rows USING INDEX"), (name, plan)
                assert not any(step.startswith("SCAN label_rows") for step in plan), (name, plan)
