"""`annotask demo FOLDER`: pre-labels the demo project, routes every task, draws previews;
a second run changes nothing and says so; --fresh starts over."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from annotask import Client
from annotask.cli import app
from annotask.demo.agent import priority_from
from annotask.demo.workspace import PROJECT_TITLE, STORE_FILE

EXPECTED_STAGES = {"Pre-label": 0, "Annotate": 4, "Review": 5, "Complete": 0}
HAS_OBJECTS = {
    "astronaut.jpg",
    "scene_01_basic.png",
    "scene_02_turned.png",
    "scene_03_crowded.png",
    "shapes_video.mp4",
}


def demo(folder: Path, *args: str) -> Result:
    result = CliRunner().invoke(app, ["demo", str(folder), *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def stages_and_objects(folder: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    with Client(f"sqlite:///{folder / STORE_FILE}") as client:
        project = client.get_project(PROJECT_TITLE)
        names = {str(s.uuid): s.name for s in project.workflow.stages}
        stages = {t.data_title: names[str(t.stage_uuid)] for t in project.list_tasks()}
        objects = {}
        for row in project.list_label_rows():
            row.initialise_labels()
            objects[row.data_title] = sorted(i.object_name for i in row.get_object_instances())
    return stages, objects


def test_demo_pre_labels_routes_every_task_and_draws_previews(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    out = demo(folder).stdout

    assert "made project demo pre-labeling" in out
    assert "pre-labeled 9 task(s)" in out and "0 failed" in out
    stages, objects = stages_and_objects(folder)
    assert {name for name, stage in stages.items() if stage == "Review"} == HAS_OBJECTS
    assert {name for name, stage in stages.items() if stage == "Annotate"} == {
        "chelsea.png",
        "coffee.jpg",
        "rocket.jpg",
        "scene_04_empty.png",
    }
    assert objects["astronaut.jpg"] == ["face"]
    assert objects["scene_01_basic.png"] == ["circle", "rectangle", "triangle"]
    assert objects["shapes_video.mp4"] == ["circle", "rectangle", "triangle"]
    assert objects["scene_04_empty.png"] == []

    previews = folder / "previews"
    assert (previews / "contact_sheet.png").stat().st_size > 10_000
    assert (previews / "astronaut.png").exists()
    assert sorted(p.name for p in previews.glob("shapes_video_frame*.png")) == [
        f"shapes_video_frame{n:03d}.png" for n in range(0, 60, 10)
    ]
    assert str(previews / "contact_sheet.png") in out.replace("\n", "")
    assert "serve" in out and "users passwd" in out  # the workspace can be served at once


def test_demo_labels_carry_confidences_priority_and_metadata(tmp_path: Path) -> None:
    demo(tmp_path)
    with Client(f"sqlite:///{tmp_path / STORE_FILE}") as client:
        project = client.get_project(PROJECT_TITLE)
        video = project.list_label_rows(data_title_contains="video")[0]
        video.initialise_labels()
        confidences = []
        for instance in video.get_object_instances():
            assert instance.get_annotation_frames() <= set(range(0, 60, 10))
            for annotation in instance.get_annotations():
                assert not annotation.manual_annotation
                confidences.append(annotation.confidence)
        assert video.priority == priority_from(confidences)
        assert 0.0 < video.priority < 0.5  # every box fairly sure: low priority for review
        empty = project.list_label_rows(data_title_contains="empty")[0]
        assert empty.priority == 0.0
        item = client.get_storage_item(video.data_hash)
        assert item.client_metadata["pre_label"] == {"objects": 3, "frames_scanned": 6}
        assert item.client_metadata["demo"] == {"kind": "video", "source": "rendered"}


def test_second_run_shows_the_state_and_fresh_starts_over(tmp_path: Path) -> None:
    demo(tmp_path)
    first = stages_and_objects(tmp_path)
    sheet = tmp_path / "previews" / "contact_sheet.png"
    drawn_at = sheet.stat().st_mtime_ns

    again = demo(tmp_path).stdout
    assert "exists" in again and "nothing to do" in again
    assert "kept from the earlier run" in again
    assert stages_and_objects(tmp_path) == first
    assert sheet.stat().st_mtime_ns == drawn_at

    fresh = demo(tmp_path, "--fresh").stdout
    assert "made project" in fresh and "pre-labeled 9 task(s)" in fresh
    assert stages_and_objects(tmp_path) == first
    with Client(f"sqlite:///{tmp_path / STORE_FILE}") as client:
        assert len(client.list_projects()) == 1
        counts = client.get_project(PROJECT_TITLE).task_counts()
        assert {stage: sum(c.values()) for stage, c in counts.items()} == EXPECTED_STAGES


def test_priority_is_one_minus_the_least_confidence_or_zero() -> None:
    assert priority_from([0.9, 0.6, 0.95]) == 0.4
    assert priority_from([]) == 0.0
