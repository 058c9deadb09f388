"""``annotask run AGENT_FILE``: store and project options, dry runs, option errors before any
work, files without exactly one runner, and failed tasks seen and retried through the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import annotask
from annotask.cli import app
from tests.cli.helpers import Invoke, row_of, task_uuids
from tests.definitions import ONTOLOGY, WORKFLOW

REPO = Path(__file__).resolve().parents[2]

ROUTING_AGENT = """\
from pathlib import Path

from annotask import AgentTask
from annotask.labels import BoundingBoxCoordinates, LabelRow, ObjectInstance
from annotask.tasks import Runner, TaskAgentReturnStruct

CALLS = Path(__file__).with_name("calls.txt")
runner = Runner()


@runner.stage("Pre-label")
def pre_label(task: AgentTask, label_row: LabelRow) -> TaskAgentReturnStruct:
    with CALLS.open("a") as calls:
        calls.write(task.data_title + "\\n")
    if task.data_title == "img1.png":
        raise ValueError("the detector has no weights for " + task.data_title)
    box = ObjectInstance(label_row.ontology.get_object("car"))
    box.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.3, 0.3), frames=0)
    label_row.add_object_instance(box)
    pathway = "has objects" if task.data_title == "img0.png" else "empty"
    return TaskAgentReturnStruct(pathway=pathway, label_row=label_row, label_row_priority=0.0)
"""


def _agent(tmp_path: Path, source: str = ROUTING_AGENT, name: str = "agent.py") -> Path:
    folder = tmp_path / "agents"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def _subprocess_env() -> dict[str, str]:
    """This environment without ANNOTASK_ settings, importing annotask from this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTASK_")}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env["TERM"] = "dumb"
    return env


def _calls(agent: Path) -> list[str]:
    calls = agent.with_name("calls.txt")
    return calls.read_text(encoding="utf-8").split() if calls.exists() else []


def _state(db_url: str, project: str) -> dict[str, tuple[str, str, float, int, str | None]]:
    """Per data title: stage, status, priority, label version, lease owner."""
    with annotask.Client(db_url, user="alice") as client:
        found = client.get_project(project)
        versions = {r.data_title: r.version for r in found.list_label_rows()}
        return {
            t.data_title: (
                t.stage.name,
                t.status.value,
                t.priority,
                versions[t.data_title],
                t.lease_owner,
            )
            for t in found.list_tasks()
        }


def test_run_with_db_and_project_hash_after_the_file_moves_tasks(
    tmp_path: Path, demo_project: str, db_url: str
) -> None:
    agent = _agent(tmp_path)
    result = CliRunner().invoke(
        app,
        ["run", str(agent), "--db", db_url, "--project-hash", demo_project, "--num-retries", "0"],
        env={"ANNOTASK_USER": "alice", "ANNOTASK_DATABASE_URL": "sqlite:///nowhere.db"},
    )
    assert result.exit_code == 0, result.output
    state = _state(db_url, demo_project)
    assert {title: s[0] for title, s in state.items()} == {
        "img0.png": "Review",
        "img1.png": "Pre-label",
        "img2.png": "Annotate",
        "img3.png": "Annotate",
    }
    assert state["img0.png"][2] == 0.0  # a priority of 0.0 is committed
    assert state["img0.png"][3] == state["img2.png"][3] == 1
    assert sorted(_calls(agent)) == ["img0.png", "img1.png", "img2.png", "img3.png"]
    assert "run summary" in result.stdout
    assert not Path("nowhere.db").exists()


def test_run_takes_the_store_from_the_global_db_option(
    cli: Invoke, tmp_path: Path, demo_project: str, db_url: str
) -> None:
    agent = _agent(tmp_path)
    cli(
        "run", str(agent), "--project-hash", demo_project,
        "--max-tasks-per-stage", "2", "--num-retries", "0",
    )  # fmt: skip
    calls = _calls(agent)
    assert len(calls) == len(set(calls)) == 2
    state = _state(db_url, demo_project)
    untouched = [title for title, s in state.items() if s[1] == "new" and s[0] == "Pre-label"]
    assert sorted(untouched) == sorted(set(state) - set(calls))


def test_dry_run_commits_nothing_and_leaves_no_lease(
    cli: Invoke, tmp_path: Path, demo_project: str, db_url: str
) -> None:
    agent = _agent(tmp_path)
    before = _state(db_url, demo_project)
    result = cli(
        "run", str(agent), "--project-hash", demo_project, "--dry-run", "--num-retries", "0"
    )
    assert _state(db_url, demo_project) == before
    assert all(owner is None for *_, owner in before.values())
    assert sorted(_calls(agent)) == ["img0.png", "img1.png", "img2.png", "img3.png"]
    out = result.stdout
    assert "nothing was committed" in out
    assert "has objects" in row_of(result, "img0.png") and "Review" in row_of(result, "img0.png")
    assert "empty" in row_of(result, "img2.png") and "Annotate" in row_of(result, "img2.png")
    assert "ValueError" in row_of(result, "img1.png")
    with annotask.Client(db_url, user="alice") as client:
        found = client.get_project(demo_project)
        assert [e for e in found.events() if e.action == "proceed"] == []
        assert found.list_tasks(failed=True) == []


def test_max_tasks_per_stage_zero_is_an_error_before_any_work(
    cli: Invoke, tmp_path: Path, demo_project: str, db_url: str
) -> None:
    agent = _agent(tmp_path)
    before = _state(db_url, demo_project)
    result = cli(
        "run", str(agent), "--project-hash", demo_project, "--max-tasks-per-stage", "0", code=1
    )
    assert "max_tasks_per_stage must be at least 1" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert _calls(agent) == []
    assert _state(db_url, demo_project) == before


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("from annotask.tasks import Runner\n\nX = 1\n", "found none"),
        (
            "from annotask.tasks import Runner\n\nfirst = Runner()\nsecond = Runner()\n",
            "found first, second",
        ),
    ],
    ids=["no-runner", "two-runners"],
)
def test_a_file_without_exactly_one_runner_is_a_one_line_error(
    tmp_path: Path, demo_project: str, db_url: str, source: str, needle: str
) -> None:
    agent = _agent(tmp_path, source)
    done = subprocess.run(
        [sys.executable, "-m", "annotask", "--db", db_url, "--user", "alice", "run", str(agent)],
        cwd=tmp_path,
        env=_subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: ")
    assert done.stderr.count("\n") == 1, done.stderr
    assert "exactly one Runner" in done.stderr and needle in done.stderr
    assert done.stdout == ""


def test_running_a_queue_runner_file_points_at_dispatch_and_workers(
    tmp_path: Path, cli: Invoke, demo_project: str
) -> None:
    source = "from annotask.tasks import QueueRunner\n\nqueue = QueueRunner('demo')\n"
    agent = _agent(tmp_path, source, name="celery_agent.py")
    error = cli("run", str(agent), code=1).stderr
    assert error.startswith("error: ") and error.count("\n") == 1
    assert "defines a QueueRunner (queue)" in error
    assert f"`annotask dispatch {agent}`" in error and "`celery -A celery_agent worker`" in error


def test_failed_task_is_listed_with_its_error_and_retry_lets_a_run_pick_it_up(
    cli: Invoke, tmp_path: Path, demo_project: str, db_url: str
) -> None:
    agent = _agent(tmp_path)
    cli("run", str(agent), "--project-hash", demo_project, "--num-retries", "1")
    assert sorted(_calls(agent)) == ["img0.png", "img1.png", "img1.png", "img2.png", "img3.png"]

    failed = cli("tasks", "list", demo_project, "--failed")
    (task,) = task_uuids(failed)
    row = row_of(failed, task)
    assert "img1.png" in row and "Pre-label" in row and "failed" in row
    assert " 2 " in row  # attempts: the first try and one retry
    assert "ValueError: the detector has no weights for img1.png" in row

    # A new run does not pick the failed task up while its backoff lasts.
    cli("run", str(agent), "--project-hash", demo_project)
    assert _calls(agent).count("img1.png") == 2

    assert "of 1 task(s)" in cli("tasks", "retry", demo_project).stdout
    assert "no tasks" in cli("tasks", "list", demo_project, "--failed").stdout
    cleared = row_of(cli("tasks", "list", demo_project), task)
    assert cleared.endswith(" 0") and "ValueError" not in cleared  # attempts 0, no error

    fixed = _agent(
        tmp_path,
        "from annotask.tasks import Runner\n\nrunner = Runner()\n\n\n"
        '@runner.stage("Pre-label")\ndef fine() -> str:\n    return "empty"\n',
        name="fixed.py",
    )
    cli("run", str(fixed), "--project-hash", demo_project)
    assert _state(db_url, demo_project)["img1.png"][:2] == ("Annotate", "new")


def test_run_file_help_lists_the_runner_options_and_runs_nothing(
    cli: Invoke, tmp_path: Path, demo_project: str
) -> None:
    agent = _agent(tmp_path)
    result = cli("run", str(agent), "--help")
    for option in ("--refresh-every", "--num-retries", "--task-batch-size", "--project-hash"):
        assert option in result.stdout
    assert "--max-tasks-per-stage" in result.stdout and "--dry-run" in result.stdout
    assert _calls(agent) == []


def test_runner_option_picks_one_of_several_and_a_main_guard_does_not_run_twice(
    cli: Invoke, tmp_path: Path, demo_project: str, db_url: str
) -> None:
    agent = _agent(
        tmp_path,
        """\
        from pathlib import Path

        from annotask import AgentTask
        from annotask.tasks import Runner

        CALLS = Path(__file__).with_name("calls.txt")
        first = Runner()
        second = Runner()


        @first.stage("Pre-label")
        def to_review(task: AgentTask) -> str:
            CALLS.open("a").write("first\\n")
            return "has objects"


        @second.stage("Pre-label")
        def to_annotate(task: AgentTask) -> str:
            CALLS.open("a").write("second\\n")
            return "empty"


        if __name__ == "__main__":
            second.run()
        """,
    )
    cli("run", str(agent), "--runner", "second", "--project-hash", demo_project)
    assert _calls(agent) == ["second"] * 4
    assert {s[0] for s in _state(db_url, demo_project).values()} == {"Annotate"}
    missing = cli("run", str(agent), "--runner", "third", code=1)
    assert "no runner named 'third'" in missing.stderr and "first" in missing.stderr


def test_a_missing_agent_file_is_a_one_line_error(cli: Invoke, tmp_path: Path) -> None:
    result = cli("run", str(tmp_path / "nope.py"), code=1)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "does not exist" in result.stderr


def test_ctrl_c_commits_finished_tasks_releases_the_rest_and_exits_130(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'store.db'}"
    with annotask.Client(db_url, user="alice") as client:
        folder = tmp_path / "items"
        folder.mkdir()
        paths = [folder / f"item-{i:02d}.txt" for i in range(60)]
        for path in paths:
            path.write_text(path.name, encoding="utf-8")
        dataset = client.create_dataset("items")
        dataset.add_items(paths)
        project = client.create_project(
            "slow", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
        )
    agent = _agent(
        tmp_path,
        """\
        import time
        from pathlib import Path

        from annotask import AgentTask
        from annotask.tasks import Runner

        CALLS = Path(__file__).with_name("calls.txt")
        runner = Runner()


        @runner.stage("Pre-label")
        def slow(task: AgentTask) -> str:
            with CALLS.open("a") as calls:
                calls.write(task.data_title + "\\n")
            time.sleep(0.05)
            return "empty"
        """,
    )
    command = [
        sys.executable, "-m", "annotask", "--db", db_url, "--user", "alice",
        "run", str(agent), "--project-hash", project.project_hash, "--task-batch-size", "100",
    ]  # fmt: skip
    proc = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=_subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while len(_calls(agent)) < 5 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    calls = _calls(agent)
    with annotask.Client(db_url, user="alice") as client:
        found = client.get_project(project.project_hash)
        tasks = found.list_tasks()
        moved = {t.data_title for t in tasks if t.stage.name == "Annotate"}
        proceeds = [e for e in found.events() if e.action == "proceed"]
    assert 5 <= len(calls) < 60
    assert moved <= set(calls) and len(moved) in (len(calls) - 1, len(calls))
    assert len(proceeds) == len(moved)
    assert all(t.lease_owner is None for t in tasks)
    stayed = [t for t in tasks if t.stage.name == "Pre-label"]
    assert len(stayed) == 60 - len(moved)
    assert all(t.status.value == "new" and t.attempts == 0 for t in stayed)


MODULE_LEVEL_AGENT = """\
from annotask.tasks import Runner

runner = Runner(project_hash={project!r})
CAR = runner.project.ontology.get_object("car")  # read while the file is imported


@runner.stage("Pre-label")
def pre_label() -> str:
    return "empty" if CAR.name == "car" else "has objects"


if __name__ == "__main__":
    runner.run()
"""


def test_a_runner_used_at_module_level_opens_the_store_the_db_option_names(
    tmp_path: Path, demo_project: str, db_url: str
) -> None:
    agent = _agent(tmp_path, MODULE_LEVEL_AGENT.format(project=demo_project))
    elsewhere = tmp_path / "elsewhere"  # no store here: one made here would be a stray
    elsewhere.mkdir()
    command = [
        sys.executable, "-m", "annotask", "--db", db_url, "--user", "alice", "run", str(agent),
        "--max-tasks-per-stage", "1",
    ]  # fmt: skip
    ran = subprocess.run(
        command, cwd=elsewhere, env=_subprocess_env(), capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
    stages = [s[0] for s in _state(db_url, demo_project).values()]
    assert sorted(stages) == ["Annotate", "Pre-label", "Pre-label", "Pre-label"]
    assert list(elsewhere.iterdir()) == []


def test_a_runner_used_at_module_level_without_a_store_says_how_to_name_one(
    tmp_path: Path, demo_project: str, db_url: str
) -> None:
    agent = _agent(tmp_path, MODULE_LEVEL_AGENT.format(project=demo_project))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ran = subprocess.run(
        [sys.executable, str(agent), "--db", db_url],
        cwd=elsewhere,
        env=_subprocess_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 1
    last = ran.stderr.strip().splitlines()[-1]
    assert "no annotask store at sqlite:///annotask.db" in last
    assert "`annotask --db URL run FILE`" in last and "$ANNOTASK_DATABASE_URL" in last
    assert list(elsewhere.iterdir()) == []
    assert {s[0] for s in _state(db_url, demo_project).values()} == {"Pre-label"}
