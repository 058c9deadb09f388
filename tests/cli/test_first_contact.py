"""What a new user meets first: no stray stores, short ids, whole errors, readable help,
the inspection commands (tasks show, events, labels show, dataset items) and --version."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import annotask
from annotask.cli import app
from annotask.labels import BoundingBoxCoordinates, ObjectInstance
from tests.cli.helpers import Invoke, row_of, task_uuids
from tests.cli.test_failures import ERROR, _fail

ANNOTASK = Path(sys.executable).with_name("annotask")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def test_read_only_commands_in_an_empty_folder_create_no_store_and_say_where_they_looked(
    tmp_path: Path,
) -> None:
    for args in (["tasks", "list", "shapes"], ["project", "list"], ["dataset", "items", "x"]):
        done = _run(str(ANNOTASK), *args, cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith("error: no annotask store at sqlite:///annotask.db")
        assert str(tmp_path / "annotask.db") in done.stderr and "annotask init" in done.stderr
        assert list(tmp_path.iterdir()) == []


def test_dataset_create_makes_the_store_and_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = CliRunner().invoke(app, ["--db", url, "dataset", "create", "images"])
    assert result.exit_code == 0, result.output
    assert "created a new annotask store at" in result.stderr
    assert str(tmp_path / "new.db") in result.stderr
    again = CliRunner().invoke(app, ["--db", url, "dataset", "list"])
    assert "created a new" not in again.stderr and "images" in again.stdout


def test_version_prints_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"annotask {annotask.__version__}\n"


def test_help_shows_flags_without_values_usage_lines_plainly_and_lists_choices() -> None:
    runner = CliRunner()
    listing = runner.invoke(app, ["tasks", "list", "--help"], env={"COLUMNS": "200"}).stdout
    assert "<bool>" not in listing
    assert "new|assigned|failed|completed" in listing
    assert "Usage: annotask tasks list [OPTIONS] PROJECT" in listing
    retry = runner.invoke(app, ["tasks", "retry", "--help"], env={"COLUMNS": "200"}).stdout
    assert "Usage: annotask tasks retry [OPTIONS] PROJECT [TASK...]" in retry
    member = runner.invoke(app, ["project", "add-member", "--help"], env={"COLUMNS": "200"})
    assert "owner|admin|annotator|reviewer|worker" in member.stdout
    run = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).stdout
    assert "Usage: annotask run [OPTIONS] [AGENT_FILE]" in run and "{" not in run


def test_a_unique_start_of_a_task_id_names_it_and_an_ambiguous_or_unknown_one_is_an_error(
    cli: Invoke, demo_project: str
) -> None:
    first, *_ = task_uuids(cli("tasks", "list", demo_project))
    shown = cli("tasks", "show", first[:6]).stdout
    assert first in shown and "Pre-label" in shown
    assert (
        "error: no task with UUID or prefix 'ffff0000'"
        in cli("tasks", "show", "ffff0000", code=1).stderr
    )
    assert cli("tasks", "show", "zzzz", code=1).stderr.startswith("error: no task")
    # a project by the start of its hash, as for tasks
    assert "Workflow" in cli("project", "show", demo_project[:8]).stdout


def test_tasks_show_gives_the_whole_last_error_and_the_events(
    cli: Invoke, demo_project: str, db_url: str
) -> None:
    first, *_ = task_uuids(cli("tasks", "list", demo_project))
    _fail(db_url, demo_project, first)
    shown = cli("tasks", "show", first).stdout
    assert ERROR.strip() in shown  # whole, not cut to one line
    assert "Traceback: ..." in shown
    assert re.search(r"attempts\s+3", shown)
    cli("tasks", "proceed", first, "empty", "--project", demo_project)
    after = cli("tasks", "show", first).stdout
    assert "Pre-label → Annotate" in after and "empty" in after


def test_retry_of_an_unknown_task_is_an_error_and_clears_nothing(
    cli: Invoke, demo_project: str, db_url: str
) -> None:
    first, *_ = task_uuids(cli("tasks", "list", demo_project))
    _fail(db_url, demo_project, first)
    unknown = "00000000-0000-0000-0000-000000000000"
    error = cli("tasks", "retry", demo_project, first, unknown, code=1).stderr
    assert error.startswith("error: ") and unknown in error
    assert task_uuids(cli("tasks", "list", demo_project, "--failed")) == [first]
    assert "of 1 task(s)" in cli("tasks", "retry", demo_project, first[:8]).stdout


def test_events_lists_moves_and_follows_a_task(cli: Invoke, demo_project: str) -> None:
    first, second, *_ = task_uuids(cli("tasks", "list", demo_project))
    assert "no events recorded" in cli("events", demo_project).stderr
    cli("tasks", "proceed", first, "empty")
    cli("tasks", "proceed", second, "has objects")
    lines = cli("events", demo_project).stdout.splitlines()
    assert len(lines) == 2
    assert first in lines[0] and "Pre-label → Annotate" in lines[0] and "by alice" in lines[0]
    only = cli("events", demo_project, "--task", second[:8]).stdout.splitlines()
    assert len(only) == 1 and "'has objects'" in only[0]


def test_labels_show_lists_instances_per_frame_with_class_confidence_and_author(
    cli: Invoke, demo_project: str, db_url: str
) -> None:
    with annotask.Client(db_url, user="alice") as client:
        row = client.get_project(demo_project).get_label_row("img1.png")
        row.initialise_labels()
        box = BoundingBoxCoordinates(0.1, 0.2, 0.3, 0.4)
        for confidence, manual, by in ((0.625, False, "detector"), (1.0, True, "alice")):
            car = ObjectInstance(row.ontology.get_object("car"))
            car.set_for_frames(box, confidence=confidence, manual_annotation=manual, created_by=by)
            row.add_object_instance(car)
        row.save()
    shown = cli("labels", "show", demo_project, "img1.png").stdout
    assert "car x2" in shown and "2 label(s)" in shown
    lines = [line.split() for line in shown.splitlines() if " object " in line]
    assert sorted(line[4:] for line in lines) == [
        ["0.62", "auto", "detector"],
        ["1.00", "manual", "alice"],
    ]
    assert all(line[:3] == ["0", "object", "car"] for line in lines)


def test_dataset_items_lists_each_item_and_adding_items_names_the_new_tasks(
    cli: Invoke, demo_project: str, image_files: list[Path], tmp_path: Path
) -> None:
    listed = cli("dataset", "items", "images").stdout
    assert "4 item(s)" in listed and "img0.png" in listed and "32x24" in listed
    extra = tmp_path / "extra.png"
    extra.write_bytes(image_files[0].read_bytes())
    added = cli("dataset", "add", "images", str(extra)).stdout
    assert "added 1 item(s)" in added
    assert f"1 new task(s) in project 'demo' ({demo_project}), stage 'Pre-label'" in added
    assert len(task_uuids(cli("tasks", "list", demo_project))) == 5


@pytest.mark.parametrize("kind", ["dataset", "project"])
def test_a_second_dataset_or_project_with_a_taken_title_is_refused(
    kind: str, cli: Invoke, demo_project: str, definition_files: tuple[Path, Path]
) -> None:
    ontology, workflow = definition_files
    if kind == "dataset":
        error = cli("dataset", "create", "images", code=1).stderr
    else:
        error = cli(
            "project", "create", "--title", "demo", "--dataset", "images",
            "--ontology", str(ontology), "--workflow", str(workflow), code=1,
        ).stderr  # fmt: skip
    assert error.startswith(f"error: a {kind} titled ")
    assert "exists already" in error
    listed = cli(kind, "list").stdout
    assert listed.count(" images " if kind == "dataset" else " demo ") == 1


def test_errors_name_commands_not_python_functions(cli: Invoke, demo_project: str) -> None:
    outsider = cli("tasks", "list", demo_project, user="bob", code=1).stderr
    assert "`annotask project add-member`" in outsider
    missing = cli("project", "show", "nope", code=1).stderr
    assert "`annotask project list`" in missing


def test_task_table_in_a_terminal_uses_short_ids_and_keeps_rows_on_one_line(
    cli: Invoke, demo_project: str, db_url: str
) -> None:
    from rich.console import Console  # noqa: PLC0415

    from annotask.cli.render import tasks_table  # noqa: PLC0415

    first, *_ = task_uuids(cli("tasks", "list", demo_project))
    _fail(db_url, demo_project, first)
    with annotask.Client(db_url, user="alice") as client:
        tasks = client.get_project(demo_project).list_tasks()
    console = Console(width=100, force_terminal=True, record=True)
    console.print(tasks_table("demo", tasks, width=100))
    text = console.export_text()
    assert first[:8] in text and first not in text
    rows = [line for line in text.splitlines() if "img" in line]
    assert len(rows) == 4 and all(len(line.rstrip()) <= 100 for line in rows)  # no wrapping
    assert "img1.png" in text and "Pre-label" in text and "ValueError: the mode" in text
    piped = cli("tasks", "list", demo_project, "--failed")
    assert ERROR.split(" from ")[0] in row_of(piped, first)


def test_log_lines_in_a_file_have_timestamps_and_no_padding(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    done = _run(str(ANNOTASK), "--db", url, "--verbose", "init", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    logged = [line for line in done.stderr.splitlines() if " INFO " in line]
    assert logged, done.stderr
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO ", line) for line in logged)
    assert all(line == line.rstrip() for line in done.stderr.splitlines())


def _modules_after(code: str, cwd: Path) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    done = _run(sys.executable, "-c", probe, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


HEAVY = {"sqlalchemy", "alembic", "av", "numpy", "pydicom", "PIL", "celery", "annotask.client"}


def test_help_and_version_load_no_store_media_or_numpy(tmp_path: Path) -> None:
    run_help = (
        "from annotask.cli import main\nsys.argv = ['annotask', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert _modules_after(run_help, tmp_path) & HEAVY == set()
    assert _modules_after("import annotask", tmp_path) & HEAVY == set()


def test_opening_an_up_to_date_store_needs_no_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with annotask.Client(url, user="alice"):
        pass  # created and migrated
    loaded = _modules_after(f"import annotask\nannotask.Client({url!r}, user='alice')", tmp_path)
    assert "alembic" not in loaded and "annotask.client" in loaded


UNREACHABLE_BROKER_AGENT = """\
from celery import Celery

from annotask import AgentTask
from annotask.integrations.celery import register
from annotask.tasks import QueueRunner

app = Celery("agent", broker="redis://127.0.0.1:9/0")
runner = QueueRunner({project!r})


@runner.stage("Pre-label")
def pre_label(task: AgentTask) -> str:
    return "empty"


tasks = register(app, runner)
"""


def test_dispatch_to_a_broker_that_does_not_answer_fails_fast_in_one_line(
    tmp_path: Path, cli: Invoke, demo_project: str
) -> None:
    pytest.importorskip("celery", reason="dispatch needs the celery extra")
    agent = tmp_path / "agent.py"
    agent.write_text(UNREACHABLE_BROKER_AGENT.format(project=demo_project), encoding="utf-8")
    started = time.monotonic()
    error = cli("dispatch", str(agent), code=1).stderr
    assert time.monotonic() - started < 15
    assert error.startswith("error: cannot reach the Celery broker redis://127.0.0.1:9/0")
    assert error.count("\n") == 1


def test_project_delete_says_what_would_go_refuses_labels_and_deletes_with_yes(
    cli: Invoke, demo_project: str, db_url: str
) -> None:
    would = cli("project", "delete", "demo").stdout
    assert "would delete project 'demo'" in would and "4 tasks" in would
    assert "nothing was deleted" in cli("project", "delete", "demo").stderr
    with annotask.Client(db_url, user="alice") as client:
        row = client.get_project(demo_project).get_label_row("img0.png")
        row.initialise_labels()
        car = ObjectInstance(row.ontology.get_object("car"))
        car.set_for_frames(BoundingBoxCoordinates(0.1, 0.2, 0.3, 0.4))
        row.add_object_instance(car)
        row.save()
    refused = cli("project", "delete", "demo", "--yes", code=1).stderr
    assert "saved labels on 1 data item(s)" in refused and "--drop-labels" in refused
    assert demo_project in cli("project", "list").stdout
    assert "is used by project(s) 'demo'" in cli("dataset", "delete", "images").stdout
    cli("dataset", "delete", "images", "--yes", code=1)
    gone = cli("project", "delete", "demo", "--yes", "--drop-labels").stdout
    assert "deleted project 'demo'" in gone and "1 label versions" in gone
    assert demo_project not in cli("project", "list").stdout
    assert "deleted dataset 'images'" in cli("dataset", "delete", "images", "--yes").stdout
    assert "images" not in cli("dataset", "list").stdout


def test_the_demo_hint_names_a_command_the_shell_finds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from annotask.cli.demo import command_name  # noqa: PLC0415

    script = Path(sys.executable).with_name("annotask")
    monkeypatch.setenv("PATH", str(tmp_path))  # the environment is not activated
    monkeypatch.chdir(tmp_path)
    assert command_name() in (str(script), os.path.relpath(script))
    monkeypatch.setenv("PATH", str(script.parent))  # activated
    assert command_name() == "annotask"


def test_a_dataset_member_added_from_the_cli_can_list_its_items(
    cli: Invoke, demo_project: str
) -> None:
    denied = cli("dataset", "items", "images", user="bob", code=1).stderr
    assert "`annotask dataset add-member`" in denied
    cli("dataset", "add-member", "images", "bob", "--role", "reviewer")
    assert "4 item(s)" in cli("dataset", "items", "images", user="bob").stdout


def test_an_agent_file_run_with_python_shows_its_flags_without_values(tmp_path: Path) -> None:
    agent = tmp_path / "agent.py"
    agent.write_text(
        "from annotask.tasks import Runner\n\nrunner = Runner('x')\n\n\n"
        "@runner.stage('A')\ndef a() -> None:\n    return None\n\n\n"
        "if __name__ == '__main__':\n    runner.run()\n",
        encoding="utf-8",
    )
    done = _run(sys.executable, str(agent), "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "--dry-run" in done.stdout and "<bool>" not in done.stdout


def test_events_follow_prints_events_as_they_happen_until_interrupted(
    cli: Invoke, demo_project: str, db_url: str, tmp_path: Path
) -> None:
    first, *_ = task_uuids(cli("tasks", "list", demo_project))
    follower = subprocess.Popen(
        [
            str(ANNOTASK),
            "--db",
            db_url,
            "--user",
            "alice",
            "events",
            "demo",
            "--follow",
            "--interval",
            "0.2",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        cli("tasks", "proceed", first, "empty")
        assert follower.stdout is not None
        line = follower.stdout.readline()  # blocks until the event is printed
        assert first in line and "Pre-label → Annotate" in line
    finally:
        follower.send_signal(signal.SIGINT)
        try:
            follower.wait(30)
        finally:
            if follower.poll() is None:
                follower.kill()
                follower.wait()
    assert follower.returncode == 0


def test_on_postgresql_read_only_commands_need_an_initialised_schema(postgres_url: str) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["--db", postgres_url, "project", "list"])
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: no annotask store at postgresql+psycopg://")
    assert runner.invoke(app, ["--db", postgres_url, "init"]).exit_code == 0
    listed = runner.invoke(app, ["--db", postgres_url, "project", "list"])
    assert listed.exit_code == 0, listed.output
    with annotask.Client(postgres_url, user="alice") as client:  # up to date: no migration
        assert client.list_projects() == []


def test_run_on_a_store_that_is_not_there_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    agent = tmp_path / "agent.py"
    agent.write_text(
        "from annotask.tasks import Runner\n"
        "runner = Runner()\n"
        "@runner.stage('Pre-label')\n"
        "def label() -> str:\n"
        "    return 'done'\n"
        "if __name__ == '__main__':\n"
        "    runner.run()\n"
    )
    for argv in ([str(ANNOTASK), "run", "agent.py"], [sys.executable, "agent.py"]):
        done = _run(*argv, "--project-hash", "shapes", cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        assert "error: no annotask store at sqlite:///annotask.db" in done.stderr
        assert "annotask init" in done.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["agent.py"]


def test_piped_task_list_is_whole_aligned_and_has_no_trailing_blanks(
    cli: Invoke, demo_project: str, db_url: str
) -> None:
    first, *_ = task_uuids(cli("tasks", "list", demo_project))
    _fail(db_url, demo_project, first)
    lines = cli("tasks", "list", demo_project).stdout.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("task "))
    rows = [line for line in lines if task_uuids_in(line)]
    assert len(rows) == 4 and all(line == line.rstrip() for line in lines)
    assert ERROR.strip() in row_of(cli("tasks", "list", demo_project), first)  # whole
    for column in ("data", "stage", "status"):
        start = header.index(column)
        assert {row[start - 1] for row in rows} == {" "} and all(row[start] != " " for row in rows)
    priority_end = header.index("priority") + len("priority")
    assert all(row[priority_end - 4 : priority_end] == "0.50" for row in rows)  # right-aligned


def task_uuids_in(line: str) -> bool:
    return bool(re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", line))


def test_listing_tasks_loads_no_numpy_media_or_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with annotask.Client(url, user="alice"):
        pass
    run_list = (
        "from annotask.cli import main\n"
        f"sys.argv = ['annotask', '--db', {url!r}, '--user', 'alice', 'project', 'list']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    loaded = _modules_after(run_list, tmp_path)
    assert "annotask.client" in loaded
    assert loaded & {"numpy", "av", "PIL", "alembic", "celery", "pydicom"} == set()
    assert "annotask.cli.projects" in loaded
    assert loaded & {"annotask.cli.demo", "annotask.cli.serve", "annotask.cli.tasks"} == set()


def test_help_still_lists_every_command_and_a_typo_gets_a_suggestion(tmp_path: Path) -> None:
    listing = _run(str(ANNOTASK), "--help", cwd=tmp_path).stdout
    for command in ("init", "dataset", "project", "tasks", "run", "labels", "export", "serve"):
        assert re.search(rf"│ {command}\s", listing), command
    typo = _run(str(ANNOTASK), "--db", "sqlite:///x.db", "taks", "list", cwd=tmp_path)
    assert typo.returncode == 2 and "Did you mean 'tasks'?" in typo.stderr
