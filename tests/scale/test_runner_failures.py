"""Runner processes on one PostgreSQL store: a SIGKILL mid-batch and a server restart lose
nothing and move every task exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import annotask
from annotask.store.schema import label_row_versions
from tests.definitions import ONTOLOGY, WORKFLOW
from tests.scale.servers import PrivateServer, private_server, private_server_reason

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
AGENT = Path(__file__).with_name("polling_agent.py")


def _project(client: annotask.Client, folder: Path, count: int) -> annotask.Project:
    folder.mkdir()
    paths = []
    for i in range(count):
        path = folder / f"item-{i:05d}.txt"
        path.write_text(f"item {i}\n")
        paths.append(path)
    dataset = client.create_dataset("items")
    dataset.add_items(paths, probe=False)
    project = client.create_project(
        "scale", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
    )
    project.add_member("worker", "worker")
    return project


def _start(url: str, project: annotask.Project, log: Path, **env: str) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
        "ANNOTASK_DATABASE_URL": url,
        "AGENT_PROJECT": project.project_hash,
        **env,
    }
    return subprocess.Popen(
        [sys.executable, str(AGENT)],
        env=environment,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.2)


def _moved(project: annotask.Project) -> int:
    return sum(project.task_counts()["Review"].values())


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def _assert_exactly_once(client: annotask.Client, project: annotask.Project, count: int) -> None:
    assert project.task_counts()["Review"] == {"new": count}
    events = project.events()
    proceeds = Counter(e.task_uuid for e in events if e.action == "proceed")
    assert len(proceeds) == count and set(proceeds.values()) == {1}
    assert len(events) == count
    rows = project.list_label_rows()
    assert {r.version for r in rows} == {1}
    with client.store.read() as conn:
        versions = conn.execute(label_row_versions.select()).all()
    assert Counter(v.label_hash for v in versions) == Counter({r.label_hash: 1 for r in rows})
    for row in rows:
        row.initialise_labels()
        assert len(row.get_object_instances()) == 1
    assert all(t.lease_owner is None and t.priority == 0.2 for t in project.list_tasks())


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    _stop(started)


def test_a_runner_killed_mid_batch_loses_nothing(
    postgres_url: str, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    count = 2000
    with annotask.Client(postgres_url, user="owner") as client:
        project = _project(client, tmp_path / "items", count)
        logs = [tmp_path / f"runner-{i}.log" for i in range(4)]
        env = {"AGENT_LEASE_SECONDS": "3", "AGENT_SLEEP_SECONDS": "0.003", "AGENT_BATCH": "40"}
        processes.extend(_start(postgres_url, project, log, **env) for log in logs)
        victim = processes[0]
        _wait(lambda: _moved(project) >= 300, 60, "first tasks moved")
        mark = f":{victim.pid}:"
        _wait(  # kill it while it holds a batch
            lambda: any(mark in (t.lease_owner or "") for t in project.list_tasks()),
            30,
            "the victim holds a batch",
        )
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        assert victim.returncode == -signal.SIGKILL
        _wait(lambda: _moved(project) == count, 90, "all tasks moved by the survivors")
        _stop(processes)
        _assert_exactly_once(client, project, count)
        for log in logs[1:]:
            assert "Traceback" not in log.read_text()


@pytest.mark.skipif(private_server_reason() is not None, reason=str(private_server_reason()))
def test_runners_survive_a_postgresql_restart(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    count = 600
    server: PrivateServer
    with private_server() as server, annotask.Client(server.url, user="owner") as client:
        project = _project(client, tmp_path / "items", count)
        logs = [tmp_path / f"runner-{i}.log" for i in range(2)]
        env = {"AGENT_LEASE_SECONDS": "4", "AGENT_SLEEP_SECONDS": "0.005", "AGENT_BATCH": "30"}
        processes.extend(_start(server.url, project, log, **env) for log in logs)
        _wait(lambda: _moved(project) >= 100, 60, "first tasks moved")
        server.stop()
        time.sleep(2)
        server.start()
        client.store.engine.dispose()
        _wait(lambda: _moved(project) == count, 90, "all tasks moved after the restart")
        _stop(processes)
        _assert_exactly_once(client, project, count)
        text = "".join(log.read_text() for log in logs)
        assert "the store is unreachable" in text and "retrying" in text
        assert "Traceback" not in text
