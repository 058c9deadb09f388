"""Label branches: a data item's rows on named branches besides main, each versioned alone."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import pytest
from sqlalchemy import inspect, text

import annotask
from annotask import AgentTask, ConflictError, ValidationError
from annotask.labels import BoundingBoxCoordinates, LabelRow, ObjectInstance
from annotask.store.versioning import _config
from annotask.tasks import (
    Depends,
    QueueRunner,
    Runner,
    TaskAgentReturnStruct,
    TaskCompletionResult,
)
from annotask.tasks.dependencies import Twin, dep_twin_label_row
from annotask.tasks.models import LabelRowMetadataIncludeArgs
from tests.definitions import ONTOLOGY, WORKFLOW


def _add_box(row: LabelRow, x: float) -> None:
    instance = ObjectInstance(row.ontology.get_object("car"))
    instance.set_for_frames(BoundingBoxCoordinates(x, 0.1, 0.2, 0.3), frames=0, confidence=0.8)
    row.add_object_instance(instance)


def _boxes(row: LabelRow) -> list[float]:
    row.initialise_labels(overwrite=True)
    return [
        i.get_annotation(0).coordinates.top_left_x  # type: ignore[union-attr]
        for i in row.get_object_instances()
    ]


def test_a_new_branch_row_starts_empty_beside_the_main_row(project: annotask.Project) -> None:
    main = project.list_label_rows_v2()[0]
    main.initialise_labels()
    _add_box(main, 0.1)
    main.save()
    rows = project.list_label_rows_v2(branch_name="model-v1")
    assert len(rows) == len(project.list_label_rows_v2()) == 5
    branch = next(r for r in rows if r.data_hash == main.data_hash)
    assert branch.branch_name == "model-v1" and main.branch_name == "main"
    assert branch.label_hash != main.label_hash
    assert branch.version == 0 and branch.history() == []
    assert _boxes(branch) == []
    again = project.list_label_rows_v2(branch_name="model-v1")
    assert sorted(r.label_hash for r in again) == sorted(r.label_hash for r in rows)


def test_two_branches_of_one_item_save_and_version_independently(
    project: annotask.Project,
) -> None:
    data_hash = project.list_label_rows_v2()[0].data_hash
    main = project.get_label_row(data_hash)
    branch = project.get_label_row(data_hash, branch_name="exp")
    for row, x in ((main, 0.1), (branch, 0.5), (branch, 0.6)):
        row.initialise_labels(overwrite=True)
        _add_box(row, x)
        row.save()
    assert project.get_label_row(data_hash).version == 1
    assert project.get_label_row(data_hash, branch_name="exp").version == 2
    assert _boxes(project.get_label_row(data_hash)) == [0.1]
    assert sorted(_boxes(project.get_label_row(data_hash, branch_name="exp"))) == [0.5, 0.6]
    assert [v.version for v in project.get_label_row(data_hash, "exp").history()] == [1, 2]
    # a label hash names a row on any branch
    (by_hash,) = project.list_label_rows_v2(label_hashes=[branch.label_hash])
    assert by_hash.branch_name == "exp" and by_hash.version == 2


def test_a_stale_save_is_a_conflict_only_on_its_branch(project: annotask.Project) -> None:
    data_hash = project.list_label_rows_v2()[0].data_hash
    stale = project.get_label_row(data_hash, branch_name="exp")
    fresh = project.get_label_row(data_hash, branch_name="exp")
    main = project.get_label_row(data_hash)
    fresh.initialise_labels()
    _add_box(fresh, 0.3)
    fresh.save()
    stale.initialise_labels()
    _add_box(stale, 0.4)
    with pytest.raises(ConflictError):
        stale.save()
    main.initialise_labels()
    _add_box(main, 0.2)
    main.save()
    assert main.version == 1
    assert _boxes(project.get_label_row(data_hash, branch_name="exp")) == [0.3]


def test_revert_works_on_the_branch_it_names(project: annotask.Project) -> None:
    data_hash = project.list_label_rows_v2()[0].data_hash
    row = project.get_label_row(data_hash, branch_name="exp")
    for x in (0.1, 0.2):
        row.initialise_labels(overwrite=True)
        _add_box(row, x)
        row.save()
    assert project.revert_label_row(data_hash, 1, branch_name="exp") == 3
    assert _boxes(project.get_label_row(data_hash, branch_name="exp")) == [0.1]
    assert project.get_label_row(data_hash).version == 0


@pytest.mark.parametrize("bad", ["", "   ", "a\nb", "x" * 201])
def test_a_branch_name_that_cannot_be_one_is_refused(
    client: annotask.Client, project: annotask.Project, bad: str
) -> None:
    with pytest.raises(ValidationError, match="branch name is 1 to 200"):
        project.list_label_rows_v2(branch_name=bad)
    runner = Runner(project.project_hash, client=client)
    with pytest.raises(ValidationError, match="branch name"):
        runner.stage(
            "Pre-label",
            label_row_metadata_include_args=LabelRowMetadataIncludeArgs(branch_name=bad),
        )(lambda label_row: None)


def test_a_stage_bound_to_a_branch_saves_labels_priority_and_move_together(
    client: annotask.Client, project: annotask.Project
) -> None:
    runner = Runner(project.project_hash, client=client)

    @runner.stage(
        "Pre-label",
        label_row_metadata_include_args=LabelRowMetadataIncludeArgs(branch_name="pre-labels"),
    )
    def pre_label(label_row: LabelRow, task: AgentTask) -> TaskAgentReturnStruct:
        assert label_row.branch_name == task.label_branch_name == "pre-labels"
        _add_box(label_row, 0.7)
        return TaskAgentReturnStruct(
            pathway="has objects", label_row=label_row, label_row_priority=0.0
        )

    assert runner().failed == 0
    assert Counter(t.stage.name for t in project.list_tasks()) == {"Review": 5}
    for row in project.list_label_rows_v2(branch_name="pre-labels"):
        assert row.version == 1 and _boxes(row) == [0.7]
        assert row.history()[0].workflow_stage == "Pre-label"
    for row in project.list_label_rows_v2():
        assert row.version == 0 and row.priority == 0.0


def test_a_branch_row_saved_while_the_agent_ran_is_a_conflict_for_that_task(
    client: annotask.Client, project: annotask.Project
) -> None:
    runner = Runner(project.project_hash, client=client)
    first = project.list_label_rows_v2()[0].data_hash

    @runner.stage(
        "Pre-label",
        label_row_metadata_include_args=LabelRowMetadataIncludeArgs(branch_name="exp"),
    )
    def pre_label(label_row: LabelRow) -> TaskAgentReturnStruct:
        if label_row.data_hash == first:  # someone saves the same branch row meanwhile
            other = project.get_label_row(first, branch_name="exp")
            other.initialise_labels()
            _add_box(other, 0.75)
            other.save()
        _add_box(label_row, 0.1)
        return TaskAgentReturnStruct(pathway="has objects", label_row=label_row)

    runner(task_batch_size=5)
    stages = {str(t.data_hash): t.stage.name for t in project.list_tasks()}
    assert stages.pop(first) == "Pre-label"
    assert set(stages.values()) == {"Review"}
    assert _boxes(project.get_label_row(first, branch_name="exp")) == [0.75]


def test_a_queue_spec_names_the_label_branch_its_agent_loads(
    client: annotask.Client, project: annotask.Project
) -> None:
    runner = QueueRunner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def pre_label(label_row: LabelRow) -> TaskAgentReturnStruct:
        _add_box(label_row, 0.4 if label_row.branch_name == "main" else 0.6)
        return TaskAgentReturnStruct(pathway="has objects", label_row=label_row)

    tasks = list(project.workflow.get_stage(name="Pre-label").get_tasks())
    on_branch = tasks[0].model_copy(update={"label_branch_name": "queue-branch"})
    result = TaskCompletionResult.model_validate_json(
        pre_label([on_branch.model_dump_json(), tasks[1].model_dump_json()])
    )
    assert result.results is not None and all(r.success for r in result.results)
    assert _boxes(project.get_label_row(tasks[0].data_hash, branch_name="queue-branch")) == [0.6]
    assert _boxes(project.get_label_row(tasks[0].data_hash)) == []
    assert _boxes(project.get_label_row(tasks[1].data_hash)) == [0.4]
    bad = tasks[2].model_copy(update={"label_branch_name": ""})
    refused = TaskCompletionResult.model_validate_json(pre_label(bad.model_dump_json()))
    assert not refused.success and refused.error and "branch name" in refused.error


def test_an_existing_store_migrates_with_every_row_on_main(
    client: annotask.Client, project: annotask.Project
) -> None:
    from alembic import command  # noqa: PLC0415 - only this test walks the migrations

    row = project.list_label_rows_v2()[0]
    row.initialise_labels()
    _add_box(row, 0.2)
    row.save()
    project.list_label_rows_v2(branch_name="dropped")  # rows the downgrade must remove
    cfg = _config()
    with client.store.write() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    with client.store.read() as conn:
        assert "branch_name" not in {c["name"] for c in inspect(conn).get_columns("label_rows")}
        assert conn.execute(text("SELECT count(*) FROM label_rows")).scalar() == 5
    url = client.url
    with annotask.Client(url, user="alice") as reopened:  # opening upgrades to head
        migrated = reopened.get_project(project.project_hash)
        rows = {r.data_hash: r for r in migrated.list_label_rows_v2()}
        assert rows[row.data_hash].label_hash == row.label_hash
        assert rows[row.data_hash].version == 1 and _boxes(rows[row.data_hash]) == [0.2]
        assert all(r.branch_name == "main" for r in rows.values())
        with reopened.store.read() as conn:
            names = conn.execute(text("SELECT DISTINCT branch_name FROM label_rows")).scalars()
            assert list(names) == ["main"]
        assert [r.version for r in migrated.list_label_rows_v2(branch_name="dropped")] == [0] * 5


def test_a_twin_row_comes_from_the_branch_named(
    client: annotask.Client, project: annotask.Project
) -> None:
    twin = client.create_project(
        "twin", datasets=project.datasets, ontology=ONTOLOGY, workflow=WORKFLOW
    )
    first = twin.list_label_rows_v2()[0]
    on_branch = twin.get_label_row(first.data_hash, branch_name="gt")
    on_branch.initialise_labels()
    _add_box(on_branch, 0.35)
    on_branch.save()
    runner = Runner(project.project_hash, client=client)
    seen: dict[str, list[float]] = {}

    @runner.stage("Pre-label")
    def copy(
        label_row: LabelRow,
        twin_row: Annotated[Twin | None, Depends(dep_twin_label_row(twin.project_hash))],
        gt: Annotated[
            Twin | None, Depends(dep_twin_label_row(twin.project_hash, branch_name="gt"))
        ],
    ) -> str:
        assert twin_row is not None and gt is not None
        assert gt.label_row.branch_name == "gt"
        seen[label_row.data_hash] = _boxes(gt.label_row) + _boxes(twin_row.label_row)
        return "empty"

    assert runner().failed == 0
    assert seen[first.data_hash] == [0.35]
    assert sum(len(v) for v in seen.values()) == 1


def test_copy_labels_to_branch_snapshots_main_and_overwrites_only_when_asked(
    project: annotask.Project,
) -> None:
    first, second = (r.data_hash for r in project.list_label_rows_v2()[:2])
    for data_hash, x in ((first, 0.1), (second, 0.2)):
        row = project.get_label_row(data_hash)
        row.initialise_labels()
        _add_box(row, x)
        row.save()
    copied = project.copy_labels_to_branch("snapshot")
    assert sorted(copied.values()) == [1, 1]  # rows never saved have nothing to copy
    assert _boxes(project.get_label_row(first, branch_name="snapshot")) == [0.1]
    later = project.get_label_row(first)
    later.initialise_labels()
    _add_box(later, 0.5)
    later.save()
    assert project.copy_labels_to_branch("snapshot") == {}  # saved there already: kept
    assert _boxes(project.get_label_row(first, branch_name="snapshot")) == [0.1]
    again = project.copy_labels_to_branch("snapshot", data_hashes=[first], overwrite=True)
    assert list(again.values()) == [2]
    assert sorted(_boxes(project.get_label_row(first, branch_name="snapshot"))) == [0.1, 0.5]
    with pytest.raises(ValidationError, match="name two branches"):
        project.copy_labels_to_branch("main")
