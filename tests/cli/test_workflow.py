"""The CLI drives a project from creation through every stage to Complete."""

from __future__ import annotations

from pathlib import Path

import annotask
from annotask.store import head_revision
from tests.cli.helpers import UUID_RE, Invoke, row_of, task_uuids


def _stage_line(show: str, stage: str) -> str:
    return next(line for line in show.splitlines() if f" {stage}  " in line)


def test_cli_drives_a_project_from_creation_through_every_stage_to_complete(
    cli: Invoke, image_files: list[Path], definition_files: tuple[Path, Path], tmp_path: Path
) -> None:
    ontology, workflow = definition_files
    assert str(tmp_path / "annotask.db") in cli("init").stdout

    dataset = cli("dataset", "create", "images", "--description", "street scenes").stdout.strip()
    assert UUID_RE.fullmatch(dataset)
    added = cli("dataset", "add", dataset, *map(str, image_files), "--metadata", '{"site": 3}')
    assert "added 4 item(s)" in added.stdout
    listed = cli("dataset", "list").stdout
    assert dataset in listed and "images" in listed and " 4 " in listed

    created = cli(
        "project", "create", "--title", "demo", "--dataset", "images",
        "--ontology", str(ontology), "--workflow", str(workflow),
    )  # fmt: skip
    project = created.stdout.strip()
    assert UUID_RE.fullmatch(project)
    assert "4 task(s) in stage 'Pre-label'" in created.stderr
    assert project in cli("project", "list").stdout
    cli("project", "add-member", "demo", "bob", "--role", "annotator")

    t0, t1, t2, t3 = task_uuids(cli("tasks", "list", project, "--stage", "Pre-label"))
    for task in (t0, t1):
        moved = cli("tasks", "proceed", task, "has objects").stdout
        assert "Pre-label → Review (has objects)" in moved
    for task in (t2, t3):
        cli("tasks", "proceed", task, "empty", "--project", "demo")
    assert sorted(task_uuids(cli("tasks", "list", "demo", "--stage", "Annotate"))) == sorted(
        [t2, t3]
    )

    cli("tasks", "assign", t2, "alice")
    assert "alice" in row_of(cli("tasks", "list", "demo", "--status", "assigned"), t2)
    cli("tasks", "assign", t3, "bob")
    assert "Annotate → Review (submit)" in cli("tasks", "submit", t2).stdout
    cli("tasks", "submit", t3, user="bob")

    cli("tasks", "approve", t0)
    cli("tasks", "approve", t1)
    rejected = cli("tasks", "reject", t2, "--comment", "the box misses the mirror").stdout
    assert "Review → Annotate (reject)" in rejected
    assert "the box misses the mirror" in cli("events", "demo", "--task", t2).stdout
    assert task_uuids(cli("tasks", "list", "demo", "--stage", "Annotate")) == [t2]
    cli("tasks", "submit", t2)
    cli("tasks", "approve", t2)
    cli("tasks", "approve", t3)

    show = cli("project", "show", "demo").stdout
    assert "4 completed" in _stage_line(show, "Complete")
    for stage in ("Pre-label", "Annotate", "Review"):
        assert "no tasks" in _stage_line(show, stage)
    assert "has objects → Review" in show and "reject → Annotate" in show
    assert "(start)" in _stage_line(show, "Pre-label")
    assert "images" in show and "bob" in show and "annotator" in show
    done = cli("tasks", "list", "demo", "--status", "completed")
    assert sorted(task_uuids(done)) == sorted([t0, t1, t2, t3])


def test_project_show_counts_tasks_by_status_in_each_stage(cli: Invoke, demo_project: str) -> None:
    first, second, *_ = task_uuids(cli("tasks", "list", demo_project))
    cli("tasks", "proceed", first, "empty")
    cli("tasks", "proceed", second, "empty")
    cli("tasks", "assign", second, "alice")
    show = cli("project", "show", demo_project).stdout
    assert "2 new" in _stage_line(show, "Pre-label")
    assert "1 new · 1 assigned" in _stage_line(show, "Annotate")
    assert "no tasks" in _stage_line(show, "Complete")


def test_proceed_takes_a_pathway_uuid(cli: Invoke, demo_project: str, db_url: str) -> None:
    with annotask.Client(db_url, user="alice") as client:
        stage = client.get_project(demo_project).workflow.get_stage(name="Pre-label")
        empty = stage.get_pathway(name="empty").uuid
    task = task_uuids(cli("tasks", "list", demo_project))[0]
    assert "Pre-label → Annotate (empty)" in cli("tasks", "proceed", task, str(empty)).stdout


def test_move_sends_a_task_to_any_stage(cli: Invoke, demo_project: str) -> None:
    task = task_uuids(cli("tasks", "list", demo_project))[0]
    assert "Pre-label → Complete" in cli("tasks", "move", task, "Complete").stdout
    assert task_uuids(cli("tasks", "list", demo_project, "--stage", "Complete")) == [task]


def test_db_upgrade_prints_the_schema_revision(cli: Invoke) -> None:
    assert f"schema revision {head_revision()}" in cli("db", "upgrade").stdout
    assert f"schema revision {head_revision()}" in cli("db", "upgrade").stdout


def test_verbose_logs_progress_and_quiet_does_not(
    cli: Invoke, image_files: list[Path], definition_files: tuple[Path, Path]
) -> None:
    ontology, workflow = definition_files
    cli("dataset", "create", "images")
    cli("dataset", "add", "images", str(image_files[0]))
    args = ["--ontology", str(ontology), "--workflow", str(workflow), "--dataset", "images"]
    quiet = cli("project", "create", "--title", "quiet", *args)
    assert "created project 'quiet' with 1 tasks" not in quiet.stderr
    loud = cli("--verbose", "project", "create", "--title", "loud", *args)
    assert "created project 'loud' with 1 tasks" in loud.stderr
