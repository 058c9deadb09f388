"""The demo workspace: made once, opened after, started over with fresh; others' files kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotask import AgentStage, AnnotationStage, CompleteStage, ReviewStage
from annotask.demo import (
    Detection,
    objects_per_class,
    open_workspace,
    remove_workspace,
    tasks_per_stage,
)
from annotask.demo.workspace import MARKER_FILE, STORE_FILE
from annotask.errors import ValidationError
from annotask.labels import ObjectInstance


def test_first_open_makes_the_store_media_and_project(tmp_path: Path) -> None:
    with open_workspace(tmp_path / "ws", user="alice") as ws:
        assert ws.created
        assert ws.store_url == f"sqlite:///{tmp_path / 'ws' / STORE_FILE}"
        assert ws.dataset.item_count() == len(ws.manifest) == 9
        assert ws.tasks_per_stage() == {"Pre-label": 9, "Annotate": 0, "Review": 0, "Complete": 0}
        assert objects_per_class(ws.project) == {
            "face": 0,
            "circle": 0,
            "rectangle": 0,
            "triangle": 0,
        }
        item = ws.dataset.list_items(name_contains="empty")[0]
        assert item.client_metadata == {"demo": {"kind": "scene", "source": "rendered"}}
        assert ws.media_named(item.name).expects_objects is False


def test_workflow_is_pre_label_then_review_or_annotate(tmp_path: Path) -> None:
    with open_workspace(tmp_path, user="alice") as ws:
        stages = {s.name: s for s in ws.project.workflow.stages}
        assert ws.project.start_stage.name == "Pre-label"
        kinds = {name: type(stage) for name, stage in stages.items()}
        assert kinds == {
            "Pre-label": AgentStage,
            "Annotate": AnnotationStage,
            "Review": ReviewStage,
            "Complete": CompleteStage,
        }
        routes = {name: {p.name: p.destination for p in s.pathways} for name, s in stages.items()}
        assert routes == {
            "Pre-label": {"has objects": "Review", "empty": "Annotate"},
            "Annotate": {"submit": "Review"},
            "Review": {"approve": "Complete", "reject": "Annotate"},
            "Complete": {},
        }
        assert [o.name for o in ws.project.ontology.objects] == [
            "face",
            "circle",
            "rectangle",
            "triangle",
        ]


def test_second_open_finds_the_same_workspace_as_its_maker(tmp_path: Path) -> None:
    with open_workspace(tmp_path, user="alice") as first:
        project_hash = first.project.project_hash
    with open_workspace(tmp_path) as again:
        assert not again.created
        assert again.client.user == "alice"
        assert again.project.project_hash == project_hash
        assert again.manifest.by_name("astronaut.jpg").width == 512
        assert len(again.client.list_projects()) == 1


def test_a_label_saved_before_reopening_is_counted_after(tmp_path: Path) -> None:
    with open_workspace(tmp_path, user="alice") as ws:
        row = ws.project.list_label_rows(data_title_contains="basic")[0]
        row.initialise_labels()
        truth = ws.media_named(row.data_title).truth
        assert truth is not None
        found = Detection(truth[0][0].label, truth[0][0].box, 0.9)
        circle = ObjectInstance(ws.project.ontology.get_object(found.label))
        circle.set_for_frames(found.bounding_box(), confidence=found.confidence)
        row.add_object_instance(circle)
        row.save()
    with open_workspace(tmp_path) as ws:
        assert objects_per_class(ws.project)["circle"] == 1


def test_fresh_starts_over_and_keeps_files_the_demo_did_not_make(tmp_path: Path) -> None:
    mine = tmp_path / "notes.txt"
    mine.write_text("keep me")
    (tmp_path / "media").mkdir()
    my_photo = tmp_path / "media" / "holiday.jpg"
    my_photo.write_bytes(b"not the demo's")
    with open_workspace(tmp_path, user="alice") as first:
        old = first.project.project_hash
        first.previews_dir.mkdir()
        (first.previews_dir / "astronaut.png").write_bytes(b"a preview")
    with open_workspace(tmp_path, fresh=True) as ws:
        assert ws.created
        assert ws.project.project_hash != old
        assert tasks_per_stage(ws.project)["Pre-label"] == 9
        assert not (ws.previews_dir / "astronaut.png").exists()
    assert mine.read_text() == "keep me"
    assert my_photo.read_bytes() == b"not the demo's"


def test_remove_workspace_deletes_only_the_demos_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    open_workspace(tmp_path, user="alice").close()
    removed = remove_workspace(tmp_path)
    assert tmp_path / STORE_FILE in removed and tmp_path / MARKER_FILE in removed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_leftovers_of_an_unfinished_run_are_refused_until_fresh(tmp_path: Path) -> None:
    (tmp_path / STORE_FILE).write_bytes(b"")
    with pytest.raises(ValidationError, match=r"unfinished demo workspace.*fresh=True"):
        open_workspace(tmp_path, user="alice")
    with open_workspace(tmp_path, fresh=True, user="alice") as ws:
        assert ws.created


def test_a_damaged_record_is_refused_with_the_way_out(tmp_path: Path) -> None:
    open_workspace(tmp_path, user="alice").close()
    (tmp_path / MARKER_FILE).write_text("{not json")
    with pytest.raises(ValidationError, match="fresh=True"):
        open_workspace(tmp_path)
