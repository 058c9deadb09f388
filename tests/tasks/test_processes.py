"""Two runner processes on one project: each task moves exactly once.

Both processes run the same agent file through ``annotask run`` on the same store (one SQLite
file, or one PostgreSQL schema), start claiming at the same moment (a file barrier), and
compete for ~300 tasks in small batches. Afterwards every task is in its next stage, has
exactly one 'proceed' event and one saved label version, and each agent call is accounted
for by exactly one process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

import annotask
from tests.definitions import ONTOLOGY, WORKFLOW

TASKS = 300
REPO = Path(__file__).resolve().parents[2]

AGENT = """\
import os
import time
from pathlib import Path

from annotask import AgentTask
from annotask.labels import BoundingBoxCoordinates, LabelRow, ObjectInstance
from annotask.tasks import Runner, TaskAgentReturnStruct

WORK = Path({work!r})
(WORK / f"ready-{{os.getpid()}}").touch()
deadline = time.monotonic() + 60
while len(list(WORK.glob("ready-*"))) < 2 and time.monotonic() < deadline:
    time.sleep(0.01)
DONE = (WORK / f"done-{{os.getpid()}}").open("a", buffering=1)

runner = Runner()


@runner.stage("Pre-label")
def pre_label(task: AgentTask, label_row: LabelRow) -> TaskAgentReturnStruct:
    box = ObjectInstance(label_row.ontology.get_object("car"))
    box.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.2, 0.2), frames=0)
    label_row.add_object_instance(box)
    time.sleep(0.002)
    DONE.write(f"{{task.uuid}}\\n")
    pathway = "has objects" if task.data_title.endswith(("0.txt", "5.txt")) else "empty"
    return TaskAgentReturnStruct(pathway=pathway, label_row=label_row)
"""


def _project(client: annotask.Client, folder: Path) -> annotask.Project:
    folder.mkdir()
    paths = []
    for i in range(TASKS):
        path = folder / f"item-{i:04d}.txt"
        path.write_text(f"item {i}\n", encoding="utf-8")
        paths.append(path)
    dataset = client.create_dataset("items")
    dataset.add_items(paths)
    return client.create_project("race", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTASK_")}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env["TERM"] = "dumb"
    return env


def _race(url: str, tmp_path: Path) -> None:
    with annotask.Client(url, user="alice") as client:
        project = _project(client, tmp_path / "items")
        work = tmp_path / "work"
        work.mkdir()
        agent = tmp_path / "agent.py"
        agent.write_text(textwrap.dedent(AGENT).format(work=str(work)), encoding="utf-8")
        command = [
            sys.executable, "-m", "annotask", "--db", url, "--user", "alice",
            "run", str(agent), "--project-hash", project.project_hash,
            "--task-batch-size", "7", "--num-retries", "0",
        ]  # fmt: skip
        started = time.monotonic()
        procs = [
            subprocess.Popen(
                command,
                cwd=tmp_path,
                env=_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = []
        for proc in procs:
            try:
                out, err = proc.communicate(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
            outputs.append((proc.returncode, out, err))
        for code, out, err in outputs:
            assert code == 0, f"runner exited {code}\nstdout:\n{out}\nstderr:\n{err}"
        elapsed = time.monotonic() - started

        tasks = project.list_tasks()
        names = {str(s.uuid): s.name for s in project.workflow.stages}
        expected = {
            t.data_title: "Review" if t.data_title.endswith(("0.txt", "5.txt")) else "Annotate"
            for t in tasks
        }
        assert len(tasks) == TASKS
        assert {t.data_title: names[str(t.stage_uuid)] for t in tasks} == expected
        assert all(t.lease_owner is None and t.attempts == 0 for t in tasks)

        proceeds = Counter(str(e.task_uuid) for e in project.events() if e.action == "proceed")
        assert proceeds == Counter({str(t.uuid): 1 for t in tasks})

        per_process = [
            path.read_text(encoding="utf-8").split() for path in sorted(work.glob("done-*"))
        ]
        assert len(per_process) == 2
        assert all(per_process), f"one process did no task: {[len(p) for p in per_process]}"
        calls = Counter(uuid for done in per_process for uuid in done)
        assert calls == Counter({str(t.uuid): 1 for t in tasks}), "a task ran twice"

        rows = project.list_label_rows()
        for row in rows:
            row.initialise_labels()
        assert {len(row.get_object_instances()) for row in rows} == {1}
        assert {len(row.history()) for row in rows} == {1}
    assert elapsed < 30, f"the race took {elapsed:.1f} s"


def test_two_runner_processes_on_one_sqlite_file_move_each_task_once(tmp_path: Path) -> None:
    _race(f"sqlite:///{tmp_path / 'shared.db'}", tmp_path)


@pytest.mark.postgres
def test_two_runner_processes_on_one_postgres_schema_move_each_task_once(
    postgres_url: str, tmp_path: Path
) -> None:
    _race(postgres_url, tmp_path)
