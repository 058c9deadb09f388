"""Celery benchmark: the no-op agent through ``annotask.integrations.celery`` beside plain
Celery no-op tasks, on the same Redis broker and the same worker processes.

One ``celery -A scale_celery worker --pool=prefork`` serves both: ``bench.noop`` (a plain task
that returns its argument) and the registered queue-runner stage (claim, run the no-op agent,
commit the move and its event, per message). Both sides send the same messages — one task
spec each, then chunks of specs — and wait for every result; throughput is specs (tasks) per
second from the first send to the last result. The store is PostgreSQL (a fresh schema,
dropped afterwards) when its server answers, else an SQLite file.

Prints one figure per line (``name: value unit``; ratios as ``name: 0.42x``, our throughput
over plain Celery's). ``bench/scale.py`` imports :func:`celery_figures`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from celery import Celery
from celery.result import ResultSet

import annotask
from annotask.integrations.celery import claimable_specs, register, task_name
from annotask.tasks import QueueRunner, TaskCompletionResult

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
REDIS_URL = os.environ.get("ANNOTASK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_URL = os.environ.get(
    "ANNOTASK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ENV = "ANNOTASK_BENCH_CELERY_"
WORKFLOW = {
    "stages": [
        {"name": "Agent", "type": "agent", "pathways": {"done": "Complete"}},
        {"name": "Complete", "type": "complete"},
    ]
}
ONTOLOGY = {"objects": [{"name": "car", "shape": "bounding_box"}]}
WARM_UP = 8


def make_app(prefix: str, broker_url: str) -> Celery:
    """The Celery app both sides use, its queue and Redis keys under ``prefix``."""
    app = Celery(f"bench_{prefix}", broker=broker_url, backend=broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=prefix,
        broker_transport_options={"global_keyprefix": f"{prefix}:"},
        result_backend_transport_options={"global_keyprefix": f"{prefix}:"},
        broker_connection_retry_on_startup=True,
        worker_prefetch_multiplier=4,
        result_expires=600,
    )
    app.task(name="bench.noop", shared=False)(_noop)
    return app


def _noop(specs: str | list[str]) -> str | list[str]:
    """The plain Celery baseline: a task that does nothing with its specs."""
    return specs


def make_runner(app: Celery, store_url: str, project_hash: str) -> QueueRunner:
    """The queue runner with the no-op agent, registered with ``app``."""
    runner = QueueRunner(project_hash, client=annotask.Client(store_url, user="bench"))

    @runner.stage("Agent")
    def noop_agent() -> str:
        return "done"

    register(app, runner)
    return runner


def profile_pool_processes(folder: str) -> None:
    """Profile each pool process of the worker with cProfile, from its start to its end;
    write ``worker-<pid>.prof`` into ``folder``."""
    import cProfile  # noqa: PLC0415 - only with --profile

    from celery.signals import worker_process_init, worker_process_shutdown  # noqa: PLC0415

    profiler = cProfile.Profile()

    def start(**_: Any) -> None:
        profiler.enable()

    def stop(**_: Any) -> None:
        profiler.disable()
        profiler.dump_stats(os.path.join(folder, f"worker-{os.getpid()}.prof"))

    worker_process_init.connect(start, weak=False)
    worker_process_shutdown.connect(stop, weak=False)


if ENV + "PREFIX" in os.environ:  # imported by `celery -A scale_celery worker`
    app = make_app(os.environ[ENV + "PREFIX"], os.environ[ENV + "BROKER"])
    runner = make_runner(app, os.environ[ENV + "STORE"], os.environ[ENV + "PROJECT"])
    if ENV + "PROFILE" in os.environ:
        profile_pool_processes(os.environ[ENV + "PROFILE"])


def _postgres_schema() -> tuple[str, str] | None:
    """A fresh schema on the PostgreSQL server, as (dsn, schema); ``None`` if unreachable."""
    try:
        import psycopg  # noqa: PLC0415 - optional driver
    except ImportError:
        return None
    dsn = PG_URL.replace("postgresql+psycopg", "postgresql")
    schema = f"annotask_bench_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except psycopg.Error as exc:
        logging.getLogger(__name__).warning("PostgreSQL unavailable (%s); using SQLite", exc)
        return None
    return dsn, schema


@contextlib.contextmanager
def _store(db_url: str | None) -> Iterator[tuple[str, str]]:
    """A store URL and its kind: ``db_url``, else a fresh PostgreSQL schema, else SQLite."""
    if db_url is not None:
        yield db_url, db_url.split(":", 1)[0].split("+", 1)[0]
        return
    found = _postgres_schema()
    if found is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db", "sqlite"
        return
    dsn, schema = found
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}", "postgresql"
    finally:
        import psycopg  # noqa: PLC0415 - optional driver

        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _project(store_url: str, count: int, folder: Path) -> str:
    items = folder / "items"
    items.mkdir()
    paths = []
    for i in range(count):
        path = items / f"item{i:06d}.txt"
        path.write_bytes(b"x")
        paths.append(path)
    with annotask.Client(store_url, user="bench") as client:
        dataset = client.create_dataset("bench")
        dataset.add_items(paths)
        project = client.create_project(
            "bench", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
        )
        return project.project_hash


@contextlib.contextmanager
def _worker(env: dict[str, str], prefix: str, concurrency: int, log: Path) -> Iterator[None]:
    command = [
        *(sys.executable, "-m", "celery", "-A", "scale_celery", "worker", "--pool=prefork"),
        *(f"--concurrency={concurrency}", "-l", "warning", "-Q", prefix, "-n", f"{prefix}@%h"),
        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
    ]
    full_env = {**os.environ, **env, "PYTHONPATH": os.pathsep.join([str(SRC), str(HERE)])}
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _timed(app: Celery, task: Any, messages: Sequence[str | list[str]]) -> tuple[float, list[Any]]:
    start = time.perf_counter()
    results = [task.apply_async(args=[m]) for m in messages]
    values = ResultSet(results, app=app).join_native(timeout=600)
    return time.perf_counter() - start, values


def _check(values: list[Any], expected: int) -> None:
    flat = [v for value in values for v in (value if isinstance(value, list) else [value])]
    results = [TaskCompletionResult.model_validate_json(v) for v in flat]
    moved = sum(r.success and r.pathway_name == "done" for r in results)
    if moved != expected:
        failures = [r.error for r in results if not r.success][:3]
        raise RuntimeError(f"{moved} of {expected} tasks moved; first failures: {failures}")


def celery_figures(
    *,
    tasks: int = 2_000,
    chunk_size: int = 100,
    concurrency: int = 2,
    db_url: str | None = None,
    broker_url: str = REDIS_URL,
    profile: Path | None = None,
) -> list[tuple[str, float, str]]:
    """Measure; return ``(name, value, unit)`` per figure (unit ``x`` for ratios). With
    ``profile``, the worker's pool processes write their cProfile stats into that folder."""
    prefix = f"annotask-bench-{uuid.uuid4().hex[:10]}"
    figures: list[tuple[str, float, str]] = []
    with _store(db_url) as (store_url, kind), tempfile.TemporaryDirectory() as tmp:
        project_hash = _project(store_url, 2 * tasks + WARM_UP, Path(tmp))
        app = make_app(prefix, broker_url)
        runner = make_runner(app, store_url, project_hash)
        env = {
            ENV + "PREFIX": prefix,
            ENV + "BROKER": broker_url,
            ENV + "STORE": store_url,
            ENV + "PROJECT": project_hash,
        }
        if profile is not None:
            profile.mkdir(parents=True, exist_ok=True)
            env[ENV + "PROFILE"] = str(profile.resolve())
        plain, ours = app.tasks["bench.noop"], app.tasks[task_name(runner, "Agent")]
        specs = claimable_specs(runner, runner.bind_all(runner.get_project())[0].stage)
        warm, single, chunked = (
            specs[:WARM_UP],
            specs[WARM_UP : WARM_UP + tasks],
            specs[WARM_UP + tasks :],
        )
        chunks = [chunked[i : i + chunk_size] for i in range(0, len(chunked), chunk_size)]
        try:
            with _worker(env, prefix, concurrency, Path(tmp) / "worker.log"):
                _timed(app, plain, warm)
                _check(_timed(app, ours, warm)[1], len(warm))  # every pool process warmed
                plain_single, _ = _timed(app, plain, single)
                ours_single, values = _timed(app, ours, single)
                _check(values, len(single))
                plain_chunked, _ = _timed(app, plain, chunks)
                ours_chunked, values = _timed(app, ours, chunks)
                _check(values, len(chunked))
        finally:
            runner.client.close()
            app.close()
            _clear_redis(broker_url, prefix)
    figures += [
        (f"celery_tasks_per_run_on_{kind}", float(tasks), "tasks"),
        ("celery_plain_noop_1_per_message", tasks / plain_single, "tasks/s"),
        ("celery_annotask_noop_1_per_message", tasks / ours_single, "tasks/s"),
        ("celery_ratio_1_per_message", plain_single / ours_single, "x"),
        (f"celery_plain_noop_{chunk_size}_per_message", len(chunked) / plain_chunked, "tasks/s"),
        (f"celery_annotask_noop_{chunk_size}_per_message", len(chunked) / ours_chunked, "tasks/s"),
        (f"celery_ratio_{chunk_size}_per_message", plain_chunked / ours_chunked, "x"),
    ]
    return figures


def _clear_redis(broker_url: str, prefix: str) -> None:
    import redis  # noqa: PLC0415 - with the celery extra

    keys = redis.Redis.from_url(broker_url)
    for key in keys.scan_iter(match=f"{prefix}*", count=500):
        keys.delete(key)
    keys.close()


def format_figure(name: str, value: float, unit: str) -> str:
    """``name: value unit``, or ``name: 0.42x`` for a ratio."""
    if unit == "x":
        return f"{name}: {value:.2f}x"
    return f"{name}: {value:.0f} {unit}" if value >= 100 else f"{name}: {value:.1f} {unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="500 tasks per run, not 2,000")
    parser.add_argument("--tasks", type=int, help="tasks per run (overrides --quick)")
    parser.add_argument("--chunk-size", type=int, default=100, help="specs per chunked message")
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes")
    parser.add_argument("--db", help="store URL (default: a PostgreSQL schema, else SQLite)")
    parser.add_argument(
        "--profile", type=Path, help="folder for cProfile stats of each worker pool process"
    )
    args = parser.parse_args()
    figures = celery_figures(
        tasks=args.tasks or (500 if args.quick else 2_000),
        chunk_size=args.chunk_size,
        concurrency=args.concurrency,
        db_url=args.db,
        profile=args.profile,
    )
    for figure in figures:
        print(format_figure(*figure))


if __name__ == "__main__":
    main()
