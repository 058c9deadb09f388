"""Celery workers over real Redis (broker and result backend) and a store shared between
processes (PostgreSQL when its server answers, else an SQLite file).

Each test starts its own ``celery -A celery_agent worker`` processes with a queue name and a
Redis key prefix of its own, and stops them at the end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import annotask
from annotask.cli import app as cli_app
from annotask.integrations.celery import (
    claimable_specs,
    enqueue,
    is_infrastructure_error,
    register,
    task_name,
)
from annotask.store import Store, is_transient
from annotask.tasks import QueueRunner, TaskCompletionResult
from tests.definitions import ONTOLOGY, WORKFLOW
from tests.integrations.celery_agent import ENV_PREFIX, build

HERE = Path(__file__).resolve().parent
AGENT_FILE = HERE / "celery_agent.py"
SRC = HERE.parents[1] / "src"
REDIS_URL = os.environ.get("ANNOTASK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TIMEOUT = 40.0


def _redis_reason() -> str | None:
    try:
        import redis  # noqa: PLC0415 - optional, with the celery extra
    except ImportError:
        return "redis is not installed (pip install 'annotask[celery]')"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL} does not answer: {exc}"
    return None


_REDIS_SKIP = _redis_reason()


@dataclass
class Worker:
    """A ``celery worker`` process group (main process and its pool child)."""

    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL the main process and its pool child at once."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class CelerySetup:
    """One test's project, queue, Celery app (test side) and worker processes."""

    url: str
    project: annotask.Project
    prefix: str
    markers: Path
    app: Any
    runner: QueueRunner
    env: dict[str, str]
    workers: list[Worker] = field(default_factory=list)

    def start_worker(self) -> Worker:
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(HERE)])
        log = self.markers / f"worker-{len(self.workers)}.log"
        command = [
            *(sys.executable, "-m", "celery", "-A", "celery_agent", "worker"),
            *("--pool=prefork", "--concurrency=1", "-l", "warning", "-Q", self.prefix),
            *("-n", f"{self.prefix}-{len(self.workers)}@%h"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                env=env,
                cwd=self.markers,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(process, log)
        self.workers.append(worker)
        return worker

    def calls(self) -> list[tuple[int, str]]:
        """(pid, item title) of every agent call so far."""
        path = self.markers / "calls"
        lines = path.read_text().splitlines() if path.exists() else []
        return [(int(pid), title) for pid, title in (line.split(" ", 1) for line in lines)]

    def task(self) -> Any:
        return self.app.tasks[task_name(self.runner, "Pre-label")]

    def logs(self) -> str:
        return "\n".join(f"--- {w.log.name}\n{w.log.read_text()}" for w in self.workers)


MakeSetup = Callable[..., CelerySetup]


@pytest.fixture
def shared_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store several processes can share: PostgreSQL if it answers, else an SQLite file."""
    try:
        return str(request.getfixturevalue("postgres_url"))
    except pytest.skip.Exception:
        return f"sqlite:///{tmp_path / 'shared.db'}"


@pytest.fixture
def celery_setup(shared_store_url: str, tmp_path: Path) -> Iterator[MakeSetup]:
    """Build a project of items with the given titles, and its Celery app; workers started
    from it are stopped, and the test's Redis keys deleted, at the end."""
    if _REDIS_SKIP:
        pytest.skip(f"skipping Celery tests: {_REDIS_SKIP}")
    import redis  # noqa: PLC0415 - optional, with the celery extra

    made: list[CelerySetup] = []
    client = annotask.Client(shared_store_url, user="alice")

    def make(titles: list[str], *, lease: float = 30.0, visibility: float = 60.0) -> CelerySetup:
        items = tmp_path / "items"
        items.mkdir()
        for title in titles:
            (items / title).write_text(f"{title}\n")
        dataset = client.create_dataset("items")
        dataset.add_items(sorted(items.iterdir()))
        project = client.create_project(
            "celery", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
        )
        prefix = f"annotask-test-{uuid.uuid4().hex[:10]}"
        markers = tmp_path / "markers"
        markers.mkdir()
        settings = {
            "store": shared_store_url,
            "project": project.project_hash,
            "broker": REDIS_URL,
            "prefix": prefix,
            "markers": str(markers),
            "lease": str(lease),
            "visibility": str(visibility),
        }
        app, runner = build(
            store_url=shared_store_url,
            project_hash=project.project_hash,
            broker_url=REDIS_URL,
            prefix=prefix,
            markers=markers,
            lease_seconds=lease,
            visibility_timeout=visibility,
        )
        env = {ENV_PREFIX + k.upper(): v for k, v in settings.items()}
        setup = CelerySetup(shared_store_url, project, prefix, markers, app, runner, env)
        made.append(setup)
        return setup

    yield make
    for setup in made:
        for worker in setup.workers:
            worker.stop()
        setup.runner.client.close()
        setup.app.close()
        keys = redis.Redis.from_url(REDIS_URL)
        for key in keys.scan_iter(match=f"{setup.prefix}*", count=500):
            keys.delete(key)
        keys.close()
    client.close()


def _results(async_result: Any) -> list[TaskCompletionResult]:
    value = async_result.get(timeout=TIMEOUT)
    values = value if isinstance(value, list) else [value]
    return [TaskCompletionResult.model_validate_json(v) for v in values]


def _wait_until(check: Callable[[], bool], setup: CelerySetup, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{setup.logs()}")
        time.sleep(0.1)


def _one_proceed_each(project: annotask.Project) -> None:
    events = project.events()
    assert Counter(e.action for e in events) == {"proceed": len(project.list_tasks())}
    assert len({e.task_uuid for e in events}) == len(events)


def test_dispatched_tasks_each_move_once(
    celery_setup: MakeSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = celery_setup([f"item-{i}.txt" for i in range(6)])
    for key, value in setup.env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(
        cli_app,
        [
            "--db",
            setup.url,
            "--user",
            "alice",
            "dispatch",
            str(AGENT_FILE),
            "--project-hash",
            setup.project.project_hash,
            "--chunk-size",
            "4",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "enqueued 6 task specs in 2 messages" in result.stdout
    setup.start_worker()
    _wait_until(lambda: not setup.project.list_tasks(stage="Pre-label"), setup, "all tasks to move")
    _one_proceed_each(setup.project)
    assert {t.stage.name for t in setup.project.list_tasks()} == {"Review"}
    assert len(setup.calls()) == 6
    assert enqueue(setup.app, setup.runner).specs == 0


def test_an_agent_exception_is_reported_and_recorded_not_retried(
    celery_setup: MakeSetup,
) -> None:
    setup = celery_setup(["boom.txt", "fine.txt"])
    sent = enqueue(setup.app, setup.runner, chunk_size=1)
    assert (sent.specs, sent.messages) == (2, 2)
    setup.start_worker()
    results = {r.task_uuid: r for message in sent.results for r in _results(message)}
    (left,) = setup.project.list_tasks(stage="Pre-label")
    assert left.data_title == "boom.txt"
    assert not results[left.uuid].success
    assert "RuntimeError: boom from the agent" in (results[left.uuid].error or "")
    assert left.attempts == 1 and "boom from the agent" in (left.last_error or "")
    assert left.lease_owner is None
    assert sorted(title for _, title in setup.calls()) == ["boom.txt", "fine.txt"]
    assert all(message.state == "SUCCESS" for message in sent.results)


def test_a_repeated_spec_or_one_for_a_task_a_person_moved_moves_nothing_more(
    celery_setup: MakeSetup,
) -> None:
    setup = celery_setup(["a.txt", "b.txt"])
    stage = setup.project.workflow.get_stage(name="Pre-label")
    specs = {json.loads(s)["data_title"]: s for s in claimable_specs(setup.runner, stage)}
    (moved,) = [t for t in setup.project.list_tasks() if t.data_title == "b.txt"]
    moved.move("Review")
    task = setup.task()
    first, second = task.delay(specs["a.txt"]), task.delay(specs["a.txt"])
    stale = task.delay(specs["b.txt"])
    setup.start_worker()
    (one,), (two,), (late,) = _results(first), _results(second), _results(stale)
    assert sorted([one.success, two.success]) == [False, True]
    again = two if one.success else one
    assert "no longer in stage 'Pre-label'; it is now in 'Review'" in (again.error or "")
    assert not late.success and "it is now in 'Review'" in (late.error or "")
    assert Counter(e.action for e in setup.project.events()) == {"proceed": 1, "move": 1}
    assert [title for _, title in setup.calls()] == ["a.txt"]


@pytest.mark.slow
def test_a_worker_killed_mid_task_has_the_task_redelivered_and_done_once(
    celery_setup: MakeSetup,
) -> None:
    setup = celery_setup(["slow.txt"], lease=2.0, visibility=3.0)
    sent = enqueue(setup.app, setup.runner)
    first = setup.start_worker()
    _wait_until(lambda: bool(setup.calls()), setup, "the agent to start")
    first.kill()
    (setup.markers / "fast").touch()
    setup.start_worker()
    (result,) = _results(sent.results[0])
    assert result.success and result.pathway_name == "has objects", setup.logs()
    _one_proceed_each(setup.project)
    assert len(setup.calls()) == 2


@pytest.mark.slow
def test_a_pool_process_killed_mid_task_has_the_task_retried_after_its_lease(
    celery_setup: MakeSetup,
) -> None:
    setup = celery_setup(["slow.txt"], lease=2.0)
    sent = enqueue(setup.app, setup.runner)
    setup.start_worker()
    _wait_until(lambda: bool(setup.calls()), setup, "the agent to start")
    ((child, _),) = setup.calls()
    os.kill(child, signal.SIGKILL)
    (setup.markers / "fast").touch()
    (result,) = _results(sent.results[0])
    assert result.success and result.pathway_name == "has objects", setup.logs()
    _one_proceed_each(setup.project)
    assert len(setup.calls()) == 2


@pytest.fixture
def eager(tmp_path: Path, images: list[Path]) -> Iterator[tuple[Any, QueueRunner, list[str]]]:
    """An in-process Celery app (tasks run eagerly) with a queue runner on an SQLite store."""
    from celery import Celery  # noqa: PLC0415 - optional, with the celery extra

    client = annotask.Client(f"sqlite:///{tmp_path / 'eager.db'}", user="alice")
    dataset = client.create_dataset("images")
    dataset.add_items(images[:2])
    project = client.create_project(
        "eager", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
    )
    app = Celery("eager", set_as_current=False)
    app.conf.update(task_always_eager=True)
    runner = QueueRunner(project.project_hash, client=client)
    specs = [t.model_dump_json() for t in project.workflow.get_stage(name="Pre-label").get_tasks()]
    yield app, runner, specs
    app.close()
    client.close()


def test_infrastructure_errors_are_retried_with_backoff_until_the_store_answers(
    eager: tuple[Any, QueueRunner, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, runner, specs = eager

    @runner.stage("Pre-label")
    def route() -> str:
        return "empty"

    (task,) = register(app, runner, retry_backoff=0.01, retry_backoff_max=0.02).values()
    real = runner.execute
    failures = [unreachable_store_error(), ConnectionResetError("reset")]

    def flaky(stage: str, batch: Any) -> list[TaskCompletionResult]:
        if failures:
            raise failures.pop(0)
        return real(stage, batch)

    monkeypatch.setattr(runner, "execute", flaky)
    results = [TaskCompletionResult.model_validate_json(r) for r in task.delay(specs).get()]
    assert [r.success for r in results] == [True, True] and not failures


def test_infrastructure_errors_give_up_after_max_retries(
    eager: tuple[Any, QueueRunner, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, runner, specs = eager

    @runner.stage("Pre-label")
    def route() -> str:
        return "empty"

    (task,) = register(app, runner, max_retries=2, retry_backoff=0.01).values()
    calls: list[int] = []

    def down(stage: str, batch: Any) -> list[TaskCompletionResult]:
        calls.append(1)
        raise unreachable_store_error()

    monkeypatch.setattr(runner, "execute", down)
    with pytest.raises(annotask.StoreError):
        task.delay(specs[0]).get()
    assert len(calls) == 3


def unreachable_store_error() -> annotask.StoreError:
    """What opening a store whose server refuses connections raises (a real refusal)."""
    store = Store("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(annotask.StoreError) as info, store.read():
        pass
    return info.value


def test_infrastructure_errors_are_the_stores_transient_errors() -> None:
    from sqlalchemy.exc import IntegrityError  # noqa: PLC0415

    transient = [unreachable_store_error(), ConnectionRefusedError(), TimeoutError()]
    permanent = [
        annotask.StoreError("a bare store error names no transient cause"),
        IntegrityError("INSERT", {}, Exception("dup")),
        annotask.ValidationError("bad option"),
        RuntimeError("agent bug"),
        FileNotFoundError("agent.py"),
    ]
    assert [is_infrastructure_error(e) for e in transient] == [True] * len(transient)
    assert [is_infrastructure_error(e) for e in permanent] == [False] * len(permanent)
    assert all(is_infrastructure_error(e) is is_transient(e) for e in transient + permanent)


def test_stage_tasks_are_named_by_project_and_stage_and_ack_late(
    eager: tuple[Any, QueueRunner, list[str]],
) -> None:
    app, runner, _ = eager

    @runner.stage("Pre-label")
    def route() -> str:
        return "empty"

    tasks = register(app, runner)
    assert list(tasks) == ["Pre-label"]
    task = tasks["Pre-label"]
    assert (
        task.name
        == f"annotask.{runner.project_hash[:8]}.Pre-label"
        == task_name(runner, "Pre-label")
    )
    assert task.acks_late and task.reject_on_worker_lost
    assert app.tasks[task.name].name == task.name


def test_each_pool_process_holds_leases_under_its_own_name(
    eager: tuple[Any, QueueRunner, list[str]],
) -> None:
    from celery.signals import worker_process_init  # noqa: PLC0415 - with the celery extra

    app, runner, specs = eager

    @runner.stage("Pre-label")
    def route() -> str:
        return "empty"

    register(app, runner)
    inherited = runner.owner
    worker_process_init.send(sender=None)  # what a forked pool process receives first
    assert runner.owner != inherited and f":{os.getpid()}:" in runner.owner
    assert TaskCompletionResult.model_validate_json(route(specs[0])).success


def test_the_celery_example_runs_as_its_docstring_says(
    shared_store_url: str, tmp_path: Path
) -> None:
    if _REDIS_SKIP:
        pytest.skip(f"skipping Celery tests: {_REDIS_SKIP}")
    examples = HERE.parents[1] / "examples"
    with annotask.Client(shared_store_url, user="alice") as client:
        dataset = client.create_dataset("kinds")
        files = {}
        for name, kind in (("a.txt", "scene"), ("b.txt", "photo"), ("c.txt", "scene")):
            (tmp_path / name).write_text(name)
            files[tmp_path / name] = {"kind": kind}
        dataset.add_items(files)
        project = client.create_project(
            "celery example", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
        )
        queue = f"example-{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(SRC), str(examples)]),
            "ANNOTASK_DATABASE_URL": shared_store_url,
            "ANNOTASK_USER": "alice",
            "PROJECT": project.project_hash,
            "CELERY_BROKER_URL": REDIS_URL,
            "ANNOTASK_QUEUE": queue,
        }
        log = tmp_path / "worker.log"
        with log.open("wb") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "celery_agent", "worker",
                 "--pool=solo", "-l", "warning", "-n", f"{queue}@%h",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                env=env, cwd=examples, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            dispatched = subprocess.run(
                [sys.executable, "-m", "annotask", "dispatch", str(examples / "celery_agent.py"),
                 "--project-hash", project.project_hash, "--chunk-size", "2"],
                env=env, capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            assert dispatched.returncode == 0, dispatched.stderr
            assert "enqueued 3 task specs in 2 messages" in dispatched.stdout
            deadline = time.monotonic() + 60
            while project.task_counts()["Pre-label"]:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(15)
        counts = project.task_counts()
        assert counts["Review"] == {"new": 2} and counts["Annotate"] == {"new": 1}
