"""Datasets, projects and human stages through the client, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

import annotask
from annotask import (
    AuthorizationError,
    ConflictError,
    NotFoundError,
    PathwayError,
    ValidationError,
)
from tests.definitions import ONTOLOGY, WORKFLOW


def test_a_project_gets_one_task_per_item_at_the_start_stage(project: annotask.Project) -> None:
    assert project.task_counts() == {
        "Pre-label": {"new": 5},
        "Annotate": {},
        "Review": {},
        "Complete": {},
    }
    tasks = list(project.workflow.get_stage(name="Pre-label").get_tasks())
    assert sorted(t.data_title for t in tasks) == [f"img{i}.png" for i in range(5)]
    assert all(isinstance(t, annotask.AgentTask) for t in tasks)


def test_items_added_after_the_project_exists_get_tasks(
    client: annotask.Client, project: annotask.Project, tmp_path: Path
) -> None:
    extra = tmp_path / "late.txt"
    extra.write_text("hello")
    project.datasets[0].add_items([extra])
    stage = project.workflow.get_stage(name="Pre-label")
    assert [t.data_title for t in stage.get_tasks(data_title_contains="late")] == ["late.txt"]


def test_stages_are_typed_and_pathways_name_their_destination(project: annotask.Project) -> None:
    workflow = project.workflow
    assert [type(s).__name__ for s in workflow.stages] == [
        "AgentStage",
        "AnnotationStage",
        "ReviewStage",
        "CompleteStage",
    ]
    prelabel = workflow.get_stage(name="Pre-label")
    assert {p.name: p.destination for p in prelabel.pathways} == {
        "has objects": "Review",
        "empty": "Annotate",
    }
    assert workflow.get_stage(uuid=prelabel.uuid) is prelabel
    with pytest.raises(NotFoundError, match="stages are 'Pre-label'"):
        workflow.get_stage(name="Nope")


def test_stage_uuids_never_change(client: annotask.Client, project: annotask.Project) -> None:
    again = client.get_project(project.project_hash)
    assert [s.uuid for s in again.workflow.stages] == [s.uuid for s in project.workflow.stages]
    assert [p.uuid for s in again.workflow.stages for p in s.pathways] == [
        p.uuid for s in project.workflow.stages for p in s.pathways
    ]


def test_a_task_goes_through_every_human_stage_to_complete(
    client: annotask.Client, project: annotask.Project
) -> None:
    workflow = project.workflow
    task = next(workflow.get_stage(name="Pre-label").get_tasks())
    assert isinstance(task, annotask.AgentTask)
    task.proceed(pathway_name="empty")
    annotate = next(workflow.get_stage(name="Annotate").get_tasks())
    assert isinstance(annotate, annotask.AnnotationTask)
    annotate.assign("alice")
    assert (
        next(workflow.get_stage(name="Annotate").get_tasks(assignee="alice")).status == "assigned"
    )
    annotate.submit()
    review = next(workflow.get_stage(name="Review").get_tasks())
    assert isinstance(review, annotask.ReviewTask)
    review.reject()
    again = next(workflow.get_stage(name="Annotate").get_tasks())
    assert isinstance(again, annotask.AnnotationTask)
    again.submit()
    review = next(workflow.get_stage(name="Review").get_tasks())
    assert isinstance(review, annotask.ReviewTask)
    review.approve()
    done = next(workflow.get_stage(name="Complete").get_tasks())
    assert done.status == "completed"
    actions = [(e.action, e.from_stage, e.to_stage) for e in project.events(task.uuid)]
    assert actions == [
        ("proceed", "Pre-label", "Annotate"),
        ("submit", "Annotate", "Review"),
        ("reject", "Review", "Annotate"),
        ("submit", "Annotate", "Review"),
        ("approve", "Review", "Complete"),
    ]
    assert {e.actor for e in project.events(task.uuid)} == {"alice"}


def test_proceed_by_pathway_uuid(project: annotask.Project) -> None:
    stage = project.workflow.get_stage(name="Pre-label")
    pathway = stage.get_pathway(name="has objects")
    task = next(stage.get_tasks())
    assert isinstance(task, annotask.AgentTask)
    task.proceed(pathway_uuid=pathway.uuid)
    assert project.get_task(task.uuid).stage.name == "Review"


def test_an_unknown_pathway_lists_the_valid_ones_and_moves_nothing(
    project: annotask.Project,
) -> None:
    task = next(project.workflow.get_stage(name="Pre-label").get_tasks())
    assert isinstance(task, annotask.AgentTask)
    with pytest.raises(PathwayError, match=r"'has objects'.*'empty'"):
        task.proceed(pathway_name="maybe")
    assert project.get_task(task.uuid).stage.name == "Pre-label"


def test_acting_on_a_task_that_moved_says_where_it_is_and_changes_nothing(
    project: annotask.Project,
) -> None:
    stage = project.workflow.get_stage(name="Pre-label")
    first = next(stage.get_tasks())
    stale = project.get_task(first.uuid)
    assert isinstance(first, annotask.AgentTask) and isinstance(stale, annotask.AgentTask)
    first.proceed(pathway_name="empty")
    events_before = len(project.events())
    with pytest.raises(ConflictError, match="it is now in 'Annotate'"):
        stale.proceed(pathway_name="has objects")
    assert project.get_task(first.uuid).stage.name == "Annotate"
    assert len(project.events()) == events_before


def test_admins_move_tasks_to_any_stage(project: annotask.Project) -> None:
    task = next(project.workflow.get_stage(name="Pre-label").get_tasks())
    task.move("Complete")
    assert project.get_task(task.uuid).status == "completed"


def test_non_members_cannot_read_or_change_a_project(
    client: annotask.Client, project: annotask.Project
) -> None:
    bob = client.as_user("bob")
    with pytest.raises(AuthorizationError, match="'bob' is not a member"):
        bob.get_project(project.project_hash)
    assert bob.list_projects() == []


def test_roles_limit_what_members_do(client: annotask.Client, project: annotask.Project) -> None:
    project.add_member("rita", "reviewer")
    rita_project = client.as_user("rita").get_project(project.project_hash)
    task = next(rita_project.workflow.get_stage(name="Pre-label").get_tasks())
    assert isinstance(task, annotask.AgentTask)
    with pytest.raises(AuthorizationError, match=r"reviewer .* does not allow agent"):
        task.proceed(pathway_name="empty")
    assert project.members() == {"alice": annotask.Role.OWNER, "rita": annotask.Role.REVIEWER}


def test_assigning_to_a_non_member_is_refused(project: annotask.Project) -> None:
    task = next(project.workflow.get_stage(name="Pre-label").get_tasks())
    assert isinstance(task, annotask.AgentTask)
    task.proceed(pathway_name="empty")
    annotate = next(project.workflow.get_stage(name="Annotate").get_tasks())
    assert isinstance(annotate, annotask.AnnotationTask)
    with pytest.raises(ValidationError, match="not a member"):
        annotate.assign("mallory")


def test_a_project_over_a_dataset_the_user_cannot_read_is_refused(
    client: annotask.Client, images: list[Path]
) -> None:
    bob = client.as_user("bob")
    private = bob.create_dataset("bob's")
    private.add_items(images[:1])
    with pytest.raises(AuthorizationError, match="not a member of dataset"):
        client.create_project(
            "p", datasets=[private.dataset_hash], ontology=ONTOLOGY, workflow=WORKFLOW
        )
    assert client.list_projects() == []


def test_an_invalid_workflow_creates_nothing(client: annotask.Client, images: list[Path]) -> None:
    dataset = client.create_dataset("d")
    dataset.add_items(images)
    broken = {"stages": [{"name": "A", "type": "agent", "pathways": {"go": "Missing"}}]}
    with pytest.raises(ValidationError, match="unknown stage 'Missing'"):
        client.create_project("p", datasets=[dataset], ontology=ONTOLOGY, workflow=broken)
    assert client.list_projects() == []


def test_adding_missing_paths_refuses_the_whole_bulk_and_names_each(
    client: annotask.Client, images: list[Path], tmp_path: Path
) -> None:
    dataset = client.create_dataset("d")
    bad = [tmp_path / "nope1.png", tmp_path / "nope2.png"]
    with pytest.raises(ValidationError, match=r"nope1\.png.*nope2\.png"):
        dataset.add_items([images[0], *bad])
    assert dataset.list_items() == []


def test_storage_items_keep_metadata_and_can_be_updated(
    client: annotask.Client, images: list[Path]
) -> None:
    dataset = client.create_dataset("d")
    items = dataset.add_items({images[0]: {"camera": "front"}, images[1]: {"camera": "rear"}})
    assert [i.client_metadata for i in items] == [{"camera": "front"}, {"camera": "rear"}]
    assert items[0].item_type is annotask.DataType.IMAGE
    assert items[0].mime_type == "image/png"
    assert items[0].file_size == images[0].stat().st_size
    items[0].update(name="front.png", client_metadata={"camera": "front", "checked": True})
    again = client.get_storage_item(items[0].uuid)
    assert again.name == "front.png"
    assert again.client_metadata == {"camera": "front", "checked": True}


def test_datasets_are_found_by_hash_or_title(client: annotask.Client) -> None:
    dataset = client.create_dataset("cars", description="street scenes")
    assert client.get_dataset("cars").dataset_hash == dataset.dataset_hash
    assert client.get_dataset(dataset.uuid).title == "cars"
    with pytest.raises(NotFoundError, match="no dataset"):
        client.get_dataset("bikes")


def test_an_ontology_with_unknown_keys_is_refused(client: annotask.Client) -> None:
    with pytest.raises(ValidationError, match=r"unknown key.*things"):
        client.create_ontology("bad", {"things": []})


def test_failed_tasks_are_listed_and_retried(project: annotask.Project) -> None:
    assert project.list_tasks(failed=True) == []
    assert project.retry_failed() == 0
