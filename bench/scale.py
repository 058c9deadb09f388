"""Scale-out benchmark: a no-op agent over 20,000 tasks on PostgreSQL, run by one and by two
runner processes side by side in the same run; the ratio is two's throughput over one's.

Prints one figure per line (``name: value unit``; ratios as ``name: 1.62x``), then the cores
each run kept busy (the runner processes, and the PostgreSQL server machine-wide: other clients
of the same server count too) and the ratio those allow on this machine's cores. Each runner
process is started and connected first and then released at once (a start file), so the
figures time the work, not Python's start-up. ``--celery`` adds the Celery figures of
``bench/scale_celery.py`` when that module and a Redis server are there.

Needs a PostgreSQL server: ``--db`` (default $ANNOTASK_BENCH_POSTGRES_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/test); a fresh schema is made and dropped.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

import annotask

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORKFLOW = {
    "stages": [
        {"name": "Agent", "type": "agent", "pathways": {"done": "Complete"}},
        {"name": "Complete", "type": "complete"},
    ]
}
RUNNER = """
import os, sys, time
from pathlib import Path
import annotask
from annotask.tasks import Runner

client = annotask.Client(os.environ["BENCH_URL"], user="bench")
runner = Runner(os.environ["BENCH_PROJECT"], client=client)

@runner.stage("Agent")
def noop() -> str:
    return "done"

runner.bind_all(runner.get_project())
Path(os.environ["BENCH_READY"]).touch()
go = Path(os.environ["BENCH_GO"])
while not go.exists():
    time.sleep(0.005)
cpu = time.process_time()
report = runner(task_batch_size=int(os.environ["BENCH_BATCH"]))
assert report.attempted > 0
Path(os.environ["BENCH_CPU"]).write_text(str(time.process_time() - cpu))
"""


def _schema_url(base: str) -> tuple[str, str]:
    schema = f"annotask_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute(f"CREATE SCHEMA {schema}")
    return f"{base}?options=-csearch_path%3D{schema}", schema


def _drop(base: str, schema: str) -> None:
    with psycopg.connect(base.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute(f"DROP SCHEMA {schema} CASCADE")


def _project(client: annotask.Client, dataset: annotask.Dataset, title: str) -> str:
    project = client.create_project(title, datasets=[dataset], ontology={}, workflow=WORKFLOW)
    return project.project_hash


def _postgres_cpu_s() -> float:
    """CPU seconds used so far by every PostgreSQL server process of this machine (its
    backends, WAL writer, checkpointer …; other clients' work included)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
        except OSError:  # the process ended meanwhile
            continue
        if fields[0].endswith("(postgres"):
            parts = fields[1].split()
            total += int(parts[11]) + int(parts[12])  # utime, stime
    return total / tick


def _run(
    url: str, project_hash: str, processes: int, batch: int, folder: Path
) -> tuple[float, float, float]:
    """Seconds from releasing ``processes`` ready runners until the last one finishes, the
    CPU seconds the runner processes used meanwhile, and those the PostgreSQL server used."""
    go = folder / f"go-{project_hash}"
    script = folder / "runner.py"
    script.write_text(RUNNER)
    started = []
    for i in range(processes):
        ready = folder / f"ready-{project_hash}-{i}"
        env = {
            **os.environ,
            "BENCH_URL": url,
            "BENCH_PROJECT": project_hash,
            "BENCH_READY": str(ready),
            "BENCH_GO": str(go),
            "BENCH_BATCH": str(batch),
            "BENCH_CPU": str(folder / f"cpu-{project_hash}-{i}"),
        }
        started.append((subprocess.Popen([sys.executable, str(script)], env=env), ready))
    while not all(ready.exists() for _, ready in started):
        time.sleep(0.01)
    server_cpu = _postgres_cpu_s()
    start = time.perf_counter()
    go.touch()
    for process, _ in started:
        if process.wait() != 0:
            raise SystemExit(f"a runner process failed with exit status {process.returncode}")
    seconds = time.perf_counter() - start
    server_cpu = _postgres_cpu_s() - server_cpu
    runner_cpu = sum(float(p.read_text()) for p in folder.glob(f"cpu-{project_hash}-*"))
    return seconds, runner_cpu, server_cpu


def _print_cpu(  # noqa: PLR0917 - the two runs' figures, in order
    seconds_one: float,
    runner_one: float,
    server_one: float,
    seconds_two: float,
    runner_two: float,
    server_two: float,
) -> None:
    """Where the cores went: a run that keeps every core of the machine busy cannot go
    faster with more runners, whatever they do."""
    cores = os.cpu_count() or 1
    busy_one = (runner_one + server_one) / seconds_one
    print(f"one_runner_process_cpu: {runner_one / seconds_one:.2f} cores")
    print(f"one_runner_postgres_cpu: {server_one / seconds_one:.2f} cores")
    print(f"two_runners_process_cpu: {runner_two / seconds_two:.2f} cores")
    print(f"two_runners_postgres_cpu: {server_two / seconds_two:.2f} cores")
    # what two runners could reach were they bound by CPU alone, on this machine's cores
    print(f"two_vs_one_cpu_ceiling: {min(2.0, cores / busy_one):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="4,000 tasks instead of 20,000")
    parser.add_argument("--db", default=os.environ.get("ANNOTASK_BENCH_POSTGRES_URL", DEFAULT_URL))
    parser.add_argument("--batch", type=int, default=300)
    parser.add_argument("--celery", action="store_true", help="also the Celery figures")
    args = parser.parse_args()
    count = 4_000 if args.quick else 20_000
    url, schema = _schema_url(args.db)
    try:
        with tempfile.TemporaryDirectory(prefix="annotask-scale-") as tmp:
            folder = Path(tmp)
            items = folder / "items"
            items.mkdir()
            paths = []
            for i in range(count):
                path = items / f"item{i:06d}.txt"
                path.write_bytes(b"x")
                paths.append(path)
            with annotask.Client(url, user="bench") as client:
                dataset = client.create_dataset("bench")
                dataset.add_items(paths, probe=False)
                one = _project(client, dataset, "one runner")
                two = _project(client, dataset, "two runners")
            print(f"tasks: {count} count")
            seconds_one, runner_one, server_one = _run(url, one, 1, args.batch, folder)
            seconds_two, runner_two, server_two = _run(url, two, 2, args.batch, folder)
            print(f"one_runner: {count / seconds_one:.0f} tasks/s")
            print(f"two_runners: {count / seconds_two:.0f} tasks/s")
            print(f"two_vs_one_runner: {seconds_one / seconds_two:.2f}x")
            _print_cpu(seconds_one, runner_one, server_one, seconds_two, runner_two, server_two)
    finally:
        _drop(args.db, schema)
    if args.celery:
        sys.path.insert(0, str(Path(__file__).parent))
        try:
            from scale_celery import celery_figures, format_figure  # noqa: PLC0415 - optional
        except ImportError as exc:
            print(f"celery: skipped ({exc})")
        else:
            for figure in celery_figures(tasks=500 if args.quick else 2_000):
                print(format_figure(*figure))


if __name__ == "__main__":
    main()
