"""The SDK's filters and row facts over the store, on SQLite and PostgreSQL:
``list_label_rows_v2(data_title_eq=, data_title_like=)``, ``get_tasks(data_hash=, data_title=)``,
``workflow_graph_node`` and ``label_status``."""

from __future__ import annotations

import pytest

import annotask
from annotask.errors import ValidationError
from annotask.labels.row_status import LabelStatus, WorkflowGraphNode


def _titles(rows: list[annotask.LabelRow]) -> list[str]:
    return sorted(r.data_title for r in rows)


def test_label_rows_by_exact_title_and_like_pattern(project: annotask.Project) -> None:
    assert _titles(project.list_label_rows_v2(data_title_eq="img3.png")) == ["img3.png"]
    assert project.list_label_rows_v2(data_title_eq="img3") == []
    assert _titles(project.list_label_rows_v2(data_title_like="img_.png")) == [
        f"img{i}.png" for i in range(5)
    ]
    assert _titles(project.list_label_rows_v2(data_title_like="%[24].png")) == []
    assert _titles(project.list_label_rows_v2(data_title_like="%4%")) == ["img4.png"]
    assert project.list_label_rows_v2(data_title_like="img_") == []


def test_title_filters_combine_with_the_others(project: annotask.Project) -> None:
    rows = project.list_label_rows_v2()
    first = next(r for r in rows if r.data_title == "img1.png")
    assert _titles(
        project.list_label_rows_v2(data_hashes=[first.data_hash], data_title_eq="img1.png")
    ) == ["img1.png"]
    assert project.list_label_rows_v2(data_hashes=[first.data_hash], data_title_eq="img2.png") == []
    assert _titles(project.list_label_rows_v2(data_title_like="img%", data_title_contains="3")) == [
        "img3.png"
    ]


def test_get_tasks_by_data_hashes_and_title(project: annotask.Project) -> None:
    stage = project.workflow.get_stage(name="Pre-label")
    tasks = {t.data_title: t for t in stage.get_tasks()}
    wanted = [tasks["img0.png"].data_hash, tasks["img2.png"].data_hash]
    assert sorted(t.data_title for t in stage.get_tasks(data_hash=wanted)) == [
        "img0.png",
        "img2.png",
    ]
    one = tasks["img4.png"].data_hash
    assert [t.data_title for t in stage.get_tasks(data_hash=one)] == ["img4.png"]
    assert [t.data_title for t in stage.get_tasks(data_title="img1")] == ["img1.png"]
    with pytest.raises(ValidationError, match="not both"):
        list(stage.get_tasks(data_title="img1", data_title_contains="img"))


def test_rows_know_their_stage_node_and_status(project: annotask.Project) -> None:
    workflow = project.workflow
    prelabel = workflow.get_stage(name="Pre-label")
    (row,) = project.list_label_rows_v2(data_title_eq="img0.png")
    assert row.workflow_graph_node == WorkflowGraphNode(str(prelabel.uuid), "Pre-label")
    assert row.label_status is LabelStatus.NOT_LABELLED
    row.initialise_labels()
    row.save()
    (row,) = project.list_label_rows_v2(data_title_eq="img0.png")
    assert row.label_status is LabelStatus.LABEL_IN_PROGRESS

    task = next(prelabel.get_tasks(data_title="img0"))
    assert isinstance(task, annotask.AgentTask)
    task.proceed(pathway_name="has objects")
    (row,) = project.list_label_rows_v2(data_title_eq="img0.png")
    review = workflow.get_stage(name="Review")
    assert row.workflow_graph_node == WorkflowGraphNode(str(review.uuid), "Review")
    assert row.label_status is LabelStatus.REVIEW_IN_PROGRESS
    next(review.get_tasks()).approve()  # type: ignore[attr-defined]
    (row,) = project.list_label_rows_v2(data_title_eq="img0.png")
    assert row.workflow_graph_node is not None and row.workflow_graph_node.title == "Complete"
    assert row.label_status is LabelStatus.LABELLED
