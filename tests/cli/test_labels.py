"""``annotask labels history`` and ``labels revert``: versions listed, reverts as new versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import annotask
from annotask.labels import BoundingBoxCoordinates, ObjectInstance
from tests.cli.helpers import Invoke, add_boxes, boxes, data_hash, versions


def _history_rows(stdout: str) -> list[list[str]]:
    """The (version, saved by, date, time, zone, stage) cells of a history table."""
    return [line.split() for line in stdout.splitlines() if line.strip()[:1].isdigit()]


def test_history_lists_each_saved_version_with_who_when_and_stage(
    cli: Invoke, demo_project: str, db_url: str
) -> None:
    add_boxes(db_url, demo_project, "img1.png", 0.1, 0.3)
    result = cli("labels", "history", "demo", "img1.png")
    rows = _history_rows(result.stdout)
    assert [(r[0], r[1], r[-1]) for r in rows] == [
        ("1", "alice", "Pre-label"),
        ("2", "alice", "Pre-label"),
    ]
    assert "img1.png: 2 version(s)" in result.stdout
    by_hash = cli("labels", "history", demo_project, data_hash(db_url, demo_project, "img1.png"))
    assert _history_rows(by_hash.stdout) == rows


def test_history_of_a_row_never_saved_says_so(cli: Invoke, demo_project: str) -> None:
    result = cli("labels", "history", "demo", "img0.png")
    assert result.stdout.strip() == "the labels of 'img0.png' were never saved"


def test_revert_writes_the_old_labels_as_a_new_version_and_keeps_the_rest(
    cli: Invoke, demo_project: str, db_url: str
) -> None:
    add_boxes(db_url, demo_project, "img2.png", 0.1, 0.3, 0.5)
    result = cli("labels", "revert", "demo", "img2.png", "--to", "1")
    assert result.stdout.strip() == "labels of 'img2.png': version 1 restored as version 4"
    assert boxes(db_url, demo_project)["img2.png"] == [(0.1, 0.25, 0.25, 0.5, 0.75)]
    history = _history_rows(cli("labels", "history", "demo", "img2.png").stdout)
    assert [r[0] for r in history] == ["1", "2", "3", "4"]
    cli("labels", "revert", "demo", "img2.png", "--to", "3")
    assert len(boxes(db_url, demo_project)["img2.png"]) == 3


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("labels", "history", "nope", "img0.png"),
            "error: no project with hash or title 'nope'",
        ),
        (
            ("labels", "history", "demo", "cat.png"),
            "error: project 'demo' (",
        ),
        (
            ("labels", "revert", "demo", "cat.png", "--to", "1"),
            "has no data item with hash or title 'cat.png'; name one by its data hash or exact "
            "title, e.g. 'img0.png', 'img1.png', 'img2.png', 'img3.png'",
        ),
        (
            ("labels", "revert", "demo", "img3.png", "--to", "7"),
            "error: label row of 'img3.png' in project 'demo' (",
        ),
        (
            ("labels", "revert", "demo", "img3.png", "--to", "7"),
            "has no version 7; its versions are 1..1",
        ),
    ],
)
def test_an_unknown_project_item_or_version_is_one_error_line_and_changes_nothing(
    cli: Invoke, demo_project: str, db_url: str, args: tuple[str, ...], expected: str
) -> None:
    add_boxes(db_url, demo_project, "img3.png", 0.2)
    before = boxes(db_url, demo_project), versions(db_url, demo_project)
    result = cli(*args, code=1)
    assert result.stdout == ""
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (boxes(db_url, demo_project), versions(db_url, demo_project)) == before


def test_revert_needs_a_version_of_one_or_more(cli: Invoke, demo_project: str) -> None:
    result = cli("labels", "revert", "demo", "img0.png", "--to", "0", code=2)
    assert "--to" in result.stderr


def test_labels_and_export_take_a_label_branch(
    cli: Invoke, demo_project: str, db_url: str, tmp_path: Path
) -> None:
    with annotask.Client(db_url, user="alice") as client:
        row = client.get_project(demo_project).get_label_row("img1.png", branch_name="exp")
        row.initialise_labels()
        car = ObjectInstance(row.ontology.get_object("car"))
        car.set_for_frames(BoundingBoxCoordinates(0.1, 0.25, 0.25, 0.5), confidence=0.75)
        row.add_object_instance(car)
        row.save()
    history = cli("labels", "history", "demo", "img1.png", "--branch", "exp")
    assert [r[0] for r in _history_rows(history.stdout)] == ["1"]
    assert cli("labels", "history", "demo", "img1.png").stdout.strip() == (
        "the labels of 'img1.png' were never saved"
    )
    assert "car" in cli("labels", "show", "demo", "img1.png", "--branch", "exp").stdout
    assert boxes(db_url, demo_project)["img1.png"] == []
    for branch, objects in (("exp", 1), ("main", 0)):
        out = tmp_path / f"{branch}.json"
        cli("export", "demo", "--format", "json", str(out), "--branch", branch)
        rows = {r["data_title"]: r for r in json.loads(out.read_text())["label_rows"]}
        assert len(rows["img1.png"]["labels"]["objects"]) == objects
