"""Concurrent execution: async agents and dependencies, threads, timeouts, flushes."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated

import pytest

import annotask
from annotask import AgentTask, ValidationError
from annotask.labels import BoundingBoxCoordinates, LabelRow, ObjectInstance
from annotask.store import tasks as task_store
from annotask.tasks import Depends, Runner, TaskAgentReturnStruct
from tests.tasks.conftest import MakeProject, MakeSqliteProject


def _stages(project: annotask.Project) -> Counter[str]:
    return Counter({k: sum(v.values()) for k, v in project.task_counts().items() if v})


class _Peak:
    """Counts calls in flight and remembers the most at once."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1


def test_an_async_agent_runs_max_concurrency_tasks_at_once_and_each_moves_once(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(40)
    peak = _Peak()
    seen: Counter[str] = Counter()
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    async def pre_label(task: AgentTask, label_row: LabelRow) -> TaskAgentReturnStruct:
        peak.enter()
        seen[str(task.uuid)] += 1
        await asyncio.sleep(0.2)
        peak.leave()
        box = ObjectInstance(label_row.ontology.get_object("car"))
        box.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.2, 0.2), frames=0, confidence=0.5)
        label_row.add_object_instance(box)
        return TaskAgentReturnStruct(pathway="has objects", label_row=label_row)

    started = time.monotonic()
    report = runner(task_batch_size=20, max_concurrency=8)
    elapsed = time.monotonic() - started
    assert peak.most == 8
    assert report.moved == 40 and set(seen.values()) == {1} and len(seen) == 40
    assert _stages(project) == Counter({"Review": 40})
    assert elapsed < 40 * 0.2 / 2  # one at a time it would take 8 s
    rows = project.list_label_rows()
    assert all(len(r.initialise_labels() or r.get_object_instances()) == 1 for r in rows)
    assert len(project.events()) == 40


def test_the_next_batch_starts_while_the_last_tasks_of_a_batch_are_in_flight(
    client: annotask.Client, make_project: MakeProject
) -> None:
    """Slots do not empty out at a batch boundary: with batches of 8 and 16 slots, the
    first batch's tasks wait for a task of the second batch to start (a runner that
    claimed only after a whole batch finished would leave them waiting until timed out)."""
    project = make_project(24)
    started: list[str] = []
    second_batch_started = asyncio.Event()
    seen: Counter[str] = Counter()
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    async def pre_label(task: AgentTask) -> str:
        seen[str(task.uuid)] += 1
        started.append(str(task.uuid))
        if len(started) > 8:
            second_batch_started.set()
        try:
            await asyncio.wait_for(second_batch_started.wait(), timeout=5)
        except TimeoutError:
            return "empty"
        return "has objects"

    report = runner(task_batch_size=8, max_concurrency=16)
    assert report.moved == 24 and set(seen.values()) == {1} and len(seen) == 24
    assert _stages(project) == Counter({"Review": 24})
    assert len(project.events()) == 24


def test_a_task_cap_holds_when_batches_are_claimed_early(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(30)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    async def pre_label() -> str:
        await asyncio.sleep(0.05)
        return "has objects"

    report = runner(task_batch_size=4, max_concurrency=8, max_tasks_per_stage=10)
    assert report.moved == 10
    assert _stages(project) == Counter({"Review": 10, "Pre-label": 20})


def test_async_and_async_generator_dependencies_are_awaited_and_cleaned_up(
    tmp_path: Path, make_sqlite_project: MakeSqliteProject
) -> None:
    project, client = make_sqlite_project(6)
    cleaned: list[str] = []

    async def title(task: AgentTask) -> str:
        await asyncio.sleep(0)
        return task.data_title

    async def session(task: AgentTask) -> AsyncIterator[str]:
        yield f"session-{task.data_title}"
        cleaned.append(task.data_title)

    def blocking(task: AgentTask) -> Iterator[int]:
        yield len(task.data_title)
        cleaned.append("sync " + task.data_title)

    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    async def pre_label(
        name: Annotated[str, Depends(title)],
        opened: Annotated[str, Depends(session)],
        size: Annotated[int, Depends(blocking)],
    ) -> str:
        assert opened == f"session-{name}" and size == len(name)
        return "empty"

    assert runner().moved == 6
    assert len(cleaned) == 12


def test_threads_run_blocking_agents_side_by_side(make_sqlite_project: MakeSqliteProject) -> None:
    project, client = make_sqlite_project(12)
    peak = _Peak()
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def pre_label() -> str:
        peak.enter()
        time.sleep(0.2)
        peak.leave()
        return "empty"

    report = runner(threads=4)
    assert report.moved == 12 and peak.most == 4


def test_a_hung_async_agent_times_out_fails_alone_and_its_lease_is_released(
    make_sqlite_project: MakeSqliteProject,
) -> None:
    project, client = make_sqlite_project(5)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label", timeout_s=0.3)
    async def pre_label(task: AgentTask) -> str:
        if task.data_title == "item-0002.txt":
            await asyncio.Event().wait()  # never returns
        return "empty"

    started = time.monotonic()
    report = runner(num_retries=1)
    assert time.monotonic() - started < 5
    assert report.moved == 4 and report.failed == 1
    (failed,) = project.list_tasks(failed=True)
    assert failed.data_title == "item-0002.txt" and failed.attempts == 2
    assert "did not finish" in (failed.last_error or "") and "timeout_s=0.3" in (
        failed.last_error or ""
    )
    with client.store.read() as conn:
        (record,) = task_store.list_tasks(
            conn, project.project_hash, task_store.TaskFilter(uuids=[str(failed.uuid)])
        )
    assert record.lease_owner is None


def test_a_hung_blocking_agent_times_out_and_the_runner_goes_on(
    make_sqlite_project: MakeSqliteProject,
) -> None:
    project, client = make_sqlite_project(4)
    release = threading.Event()
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label", timeout_s=0.3)
    def pre_label(task: AgentTask) -> str:
        if task.data_title == "item-0000.txt":
            release.wait(10)
        return "empty"

    try:
        report = runner(num_retries=0)
    finally:
        release.set()
    assert report.moved == 3 and report.failed == 1


def test_a_slow_task_does_not_hold_finished_ones_uncommitted(
    make_sqlite_project: MakeSqliteProject,
) -> None:
    project, client = make_sqlite_project(10)
    runner = Runner(project.project_hash, client=client)
    runner.flush_every_s = 0.3
    seen_moved: list[int] = []

    @runner.stage("Pre-label")
    async def pre_label(task: AgentTask) -> str:
        if task.data_title == "item-0000.txt":  # waits (up to 30 s) to see the others commit
            for _ in range(150):
                await asyncio.sleep(0.2)
                if _stages(project)["Annotate"] == 9:
                    break
            seen_moved.append(_stages(project)["Annotate"])
        return "empty"

    runner(max_concurrency=10)
    assert seen_moved == [9]


def test_bad_concurrency_options_are_refused_before_any_work(
    make_sqlite_project: MakeSqliteProject,
) -> None:
    project, client = make_sqlite_project(2)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    async def pre_label() -> str:
        return "empty"

    with pytest.raises(ValidationError, match="max_concurrency must be at least 1"):
        runner(max_concurrency=0)
    with pytest.raises(ValidationError, match="timeout_s must be a positive"):

        @runner.stage("Pre-label", timeout_s=0, overwrite=True)
        def other() -> str:
            return "empty"

    assert _stages(project) == Counter({"Pre-label": 2})
