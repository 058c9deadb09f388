"""User errors: one red line on stderr and exit 1; a traceback too with --verbose."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from annotask.cli import app
from tests.cli.helpers import Invoke, task_uuids

BAD_WORKFLOW = """\
stages:
  - {name: Label, type: annotation, pathways: {submit: Nowhere, skip: Nowhere}}
  - {name: Check, type: reviewing}
"""


def _bad_workflow(cli: Invoke, tmp_path: Path, verbose: bool) -> Result:
    cli("dataset", "create", "images")
    (tmp_path / "wf.yaml").write_text(BAD_WORKFLOW, encoding="utf-8")
    (tmp_path / "onto.yaml").write_text("objects: []\n", encoding="utf-8")
    return cli(
        *(["--verbose"] if verbose else []), "project", "create", "--title", "x",
        "--dataset", "images", "--ontology", str(tmp_path / "onto.yaml"),
        "--workflow", str(tmp_path / "wf.yaml"), code=1,
    )  # fmt: skip


def _missing_paths(cli: Invoke, tmp_path: Path, verbose: bool) -> Result:
    cli("dataset", "create", "images")
    good = tmp_path / "good.txt"
    good.write_text("hello", encoding="utf-8")
    flags = ["--verbose"] if verbose else []
    return cli(
        *flags, "dataset", "add", "images", str(good), str(tmp_path / "gone1.png"),
        str(tmp_path / "gone2.png"), code=1,
    )  # fmt: skip


def _unreadable_media(cli: Invoke, tmp_path: Path, verbose: bool) -> Result:
    cli("dataset", "create", "images")
    empty = tmp_path / "empty.png"
    empty.touch()
    page = tmp_path / "page.jpg"
    page.write_text("<html>404</html>", encoding="utf-8")
    flags = ["--verbose"] if verbose else []
    return cli(*flags, "dataset", "add", "images", str(empty), str(page), code=1)


def _unknown_project(cli: Invoke, tmp_path: Path, verbose: bool) -> Result:
    cli("init")
    return cli(*(["--verbose"] if verbose else []), "project", "show", "no-such-project", code=1)


def _bad_database(cli: Invoke, tmp_path: Path, verbose: bool) -> Result:
    args = ["--db", "sqlite:////nonexistent-dir/x.db", "dataset", "create", "x"]
    result = CliRunner().invoke(app, [*(["--verbose"] if verbose else []), *args])
    assert result.exit_code == 1, result.output
    return result


# Each case: how to provoke the error, and what the error line must say.
CASES: dict[str, tuple[Callable[[Invoke, Path, bool], Result], list[str]]] = {
    "invalid workflow file": (
        _bad_workflow,
        ["error: invalid workflow:", "unknown type 'reviewing'", "annotation stage 'Label'"],
    ),
    "missing paths in dataset add": (_missing_paths, ["2 path(s) do not exist", "gone1.png"]),
    "unreadable media in dataset add": (
        _unreadable_media,
        ["2 item(s) cannot be read as media, nothing was added", "empty.png: the file is empty"],
    ),
    "unknown project": (_unknown_project, ["error: no project", "'no-such-project'"]),
    "database that cannot be opened": (
        _bad_database,
        ["error: cannot open database sqlite:////nonexistent-dir/x.db"],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_user_error_is_one_red_line_with_exit_1_and_no_traceback(
    case: str, cli: Invoke, tmp_path: Path
) -> None:
    provoke, expected = CASES[case]
    result = provoke(cli, tmp_path, False)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    first, *rest = result.stderr.rstrip("\n").split("\n")
    assert first.startswith("error: ")
    assert all(line.startswith("  - ") for line in rest), result.stderr  # validation bullets only
    for text in expected:
        assert text in result.stderr


@pytest.mark.parametrize("case", CASES)
def test_user_error_with_verbose_shows_the_traceback_too(
    case: str, cli: Invoke, tmp_path: Path
) -> None:
    provoke, expected = CASES[case]
    result = provoke(cli, tmp_path, True)
    assert "Traceback" in result.stderr
    assert expected[0] in result.stderr


def test_invalid_workflow_lists_every_problem_on_its_own_line(cli: Invoke, tmp_path: Path) -> None:
    lines = _bad_workflow(cli, tmp_path, False).stderr.splitlines()
    assert lines[0] == "error: invalid workflow:"
    assert len(lines) == 3
    assert "Nowhere" not in lines[1] + lines[2]  # graph checks wait for well-formed stages


def test_missing_paths_name_every_bad_path_and_add_nothing(cli: Invoke, tmp_path: Path) -> None:
    error = _missing_paths(cli, tmp_path, False).stderr
    assert str(tmp_path / "gone1.png") in error and str(tmp_path / "gone2.png") in error
    assert "good.txt" not in error
    listed = cli("dataset", "list").stdout
    row = next(line for line in listed.splitlines() if "images" in line)
    assert row.rstrip(" │").endswith(" 0")


def test_error_line_is_red(cli: Invoke) -> None:
    result = CliRunner().invoke(
        app, ["project", "show", "nope"], env={"FORCE_COLOR": "1", "TERM": "xterm-256color"}
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("\x1b[31merror: ")


def test_acting_on_a_task_that_has_moved_says_where_it_is_now(
    cli: Invoke, demo_project: str
) -> None:
    task = task_uuids(cli("tasks", "list", demo_project))[0]
    cli("tasks", "proceed", task, "empty")
    cli("tasks", "submit", task)
    error = cli("tasks", "submit", task, code=1).stderr
    assert error.count("\n") == 1
    assert "now in review stage 'Review'" in error
    assert f"annotask tasks approve {task}" in error


@pytest.mark.parametrize(
    ("command", "where", "hint"),
    [
        (["submit"], "agent stage 'Pre-label'", "annotask tasks proceed"),
        (["approve"], "agent stage 'Pre-label'", "'has objects', 'empty'"),
        (["assign", "alice"], "agent stage 'Pre-label'", "annotask tasks proceed"),
    ],
)
def test_wrong_stage_action_names_the_stage_type_and_the_right_command(
    cli: Invoke, demo_project: str, command: list[str], where: str, hint: str
) -> None:
    task = task_uuids(cli("tasks", "list", demo_project))[0]
    error = cli("tasks", command[0], task, *command[1:], code=1).stderr
    assert error.count("\n") == 1
    assert where in error and hint in error


def test_proceed_on_a_review_task_points_to_approve_and_reject(
    cli: Invoke, demo_project: str
) -> None:
    task = task_uuids(cli("tasks", "list", demo_project))[0]
    cli("tasks", "proceed", task, "has objects")
    error = cli("tasks", "proceed", task, "empty", code=1).stderr
    assert "review stage 'Review'" in error and "annotask tasks reject" in error


def test_unknown_pathway_lists_the_stage_pathways(cli: Invoke, demo_project: str) -> None:
    task = task_uuids(cli("tasks", "list", demo_project))[0]
    error = cli("tasks", "proceed", task, "sideways", code=1).stderr
    assert "no pathway with name 'sideways'" in error and "'has objects'" in error


def test_unknown_task_is_an_error(cli: Invoke, demo_project: str) -> None:
    error = cli("tasks", "submit", "00000000-0000-0000-0000-000000000000", code=1).stderr
    assert error == "error: no task with UUID or prefix '00000000-0000-0000-0000-000000000000'\n"


def test_non_member_cannot_see_a_project(cli: Invoke, demo_project: str) -> None:
    error = cli("project", "show", demo_project, user="mallory", code=1).stderr
    assert "'mallory' is not a member" in error


def test_assigning_to_a_non_member_is_refused(cli: Invoke, demo_project: str) -> None:
    task = task_uuids(cli("tasks", "list", demo_project))[0]
    cli("tasks", "proceed", task, "empty")
    assert "not a member" in cli("tasks", "assign", task, "zed", code=1).stderr


@pytest.mark.parametrize(
    "args",
    [
        ["tasks", "list"],
        ["tasks", "list", "demo", "--status", "bogus"],
        ["dataset", "add", "images", "x.png", "--metadata", "{not json"],
        ["dataset", "add", "images", "x.png", "--metadata", "[1, 2]"],
        ["no-such-command"],
    ],
)
def test_bad_usage_exits_2(cli: Invoke, args: list[str]) -> None:
    result = cli(*args, code=2)
    assert "Traceback" not in result.output
