"""Prometheus metrics read from the scrape output, and the agent recorded on each event."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from annotask import AgentTask
from annotask.tasks import Runner
from annotask.tasks.hooks import RunnerHook
from annotask.tasks.metrics import PrometheusHook
from tests.tasks.conftest import MakeSqliteProject


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_every_metric_shows_in_the_scrape(make_sqlite_project: MakeSqliteProject) -> None:
    project, client = make_sqlite_project(10)
    registry = CollectorRegistry()
    runner = Runner(project.project_hash, client=client)
    runner.add_hook(PrometheusHook(registry))
    tries: dict[str, int] = {}
    in_flight_seen: list[float] = []

    @runner.stage("Pre-label")
    async def pre_label(task: AgentTask) -> str:
        title = task.data_title
        tries[title] = tries.get(title, 0) + 1
        in_flight_seen.append(
            _samples(generate_latest(registry).decode())[
                ("annotask_tasks_in_flight", (("stage", "Pre-label"),))
            ]
        )
        await asyncio.sleep(0.2)
        if title == "item-0001.txt" and tries[title] == 1:
            raise RuntimeError("flaky once")
        if title == "item-0002.txt":
            raise RuntimeError("always")
        return "empty" if title.endswith(("3.txt", "4.txt")) else "has objects"

    runner(num_retries=1, max_concurrency=4, task_batch_size=5)
    samples = _samples(generate_latest(registry).decode())
    stage = (("stage", "Pre-label"),)
    assert samples[("annotask_tasks_claimed_total", stage)] == 10
    assert samples[("annotask_tasks_done_total", (("pathway", "empty"), *stage))] == 2
    assert samples[("annotask_tasks_done_total", (("pathway", "has objects"), *stage))] == 7
    assert samples[("annotask_tasks_failed_total", stage)] == 1
    assert samples[("annotask_tasks_retried_total", stage)] == 2  # item 1 once, item 2 once
    assert samples[("annotask_agent_seconds_count", stage)] == 12
    assert samples[("annotask_agent_seconds_sum", stage)] >= 12 * 0.2
    assert samples[("annotask_commit_seconds_count", stage)] >= 2
    assert samples[("annotask_tasks_in_flight", stage)] == 0
    assert max(in_flight_seen) == 4
    assert samples[("annotask_tasks_waiting", stage)] == 0


def test_a_failing_hook_is_logged_and_the_run_goes_on(
    make_sqlite_project: MakeSqliteProject, caplog: pytest.LogCaptureFixture
) -> None:
    project, client = make_sqlite_project(3)

    class Broken(RunnerHook):
        def batch_committed(self, stage: str, outcomes: object, seconds: float) -> None:
            raise RuntimeError("hook bug")

    runner = Runner(project.project_hash, client=client)
    runner.add_hook(Broken())

    @runner.stage("Pre-label")
    def pre_label() -> str:
        return "empty"

    assert runner().moved == 3
    assert "runner hook" in caplog.text and "hook bug" in caplog.text


def test_events_record_the_agent_and_its_version(make_sqlite_project: MakeSqliteProject) -> None:
    project, client = make_sqlite_project(4)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label", version="detector-2")
    def pre_label(task: AgentTask) -> str:
        return "empty" if task.data_title < "item-0002" else "has objects"

    runner()
    events = project.events()
    assert {(e.agent, e.agent_version) for e in events} == {(pre_label.__qualname__, "detector-2")}
    assert len(project.events(agent_version="detector-2")) == 4
    assert project.events(agent_version="detector-1") == []
    assert len(project.events(agent=pre_label.__qualname__)) == 4


def test_the_default_version_is_a_hash_of_the_agent_source(
    make_sqlite_project: MakeSqliteProject,
) -> None:
    project, client = make_sqlite_project(2)
    first = Runner(project.project_hash, client=client)
    second = Runner(project.project_hash, client=client)

    @first.stage("Pre-label")
    def agent_a() -> None:
        return None

    @second.stage("Pre-label")
    def agent_b() -> None:
        return None  # a different source

    a, b = first.agent_for("Pre-label").version, second.agent_for("Pre-label").version
    assert len(a) == 12 and a != b


REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTASK_")}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env["TERM"] = "dumb"
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


AGENT = """\
import time
from annotask.tasks import Runner

runner = Runner()

@runner.stage("Pre-label")
def pre_label() -> str:
    time.sleep(0.05)
    return "empty"
"""


def test_annotask_run_serves_metrics_on_the_port_given(
    make_sqlite_project: MakeSqliteProject, tmp_path: Path
) -> None:
    project, client = make_sqlite_project(30)
    agent = tmp_path / "agent.py"
    agent.write_text(textwrap.dedent(AGENT), encoding="utf-8")
    port = _free_port()
    command = [
        sys.executable, "-m", "annotask", "--db", client.url, "--user", "alice", "run",
        str(agent), "--project-hash", project.project_hash, "--metrics-port", str(port),
        "--refresh-every", "1",
    ]  # fmt: skip
    proc = subprocess.Popen(
        command, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        done = 0.0
        while time.monotonic() < deadline and done < 30:
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.HTTPError:
                time.sleep(0.2)
                continue
            key = ("annotask_tasks_done_total", (("pathway", "empty"), ("stage", "Pre-label")))
            done = _samples(text).get(key, 0.0)
            time.sleep(0.2)
        assert done == 30
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
