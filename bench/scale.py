"""Scale-out benchmark: a no-op agent over 20,000 tasks on PostgreSQL, run by one and by two
runner processes side by side in the same run; the ratio is two's throughput over one's.

Prints one figure per line (``name: value unit``; ratios as ``name: 1.62x``), then where the
cores went in each run: the runner processes, their PostgreSQL backends, and the whole machine
(other work on it included); and the ratio that the cores one runner keeps busy allow on this
machine. Each runner process is started and connected first and then released at once (a
start file), and says when its run returned, so the figures time the work from the release to
the end of the last run, not Python's start-up or exit. ``--celery`` adds the Celery
figures of ``bench/scale_celery.py`` when that module and a Redis server are there.

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
from dataclasses import dataclass
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
import psycopg
import annotask
from annotask.tasks import Runner

name = os.environ["BENCH_NAME"]
client = annotask.Client(os.environ["BENCH_URL"] + "&application_name=" + name, user="bench")
runner = Runner(os.environ["BENCH_PROJECT"], client=client)

@runner.stage("Agent")
def noop() -> str:
    return "done"

def server_cpu() -> float:
    # CPU seconds of this runner's PostgreSQL backends (asked on a connection of its own)
    with psycopg.connect(os.environ["BENCH_DSN"], autocommit=True) as admin:
        pids = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [name]
        ).fetchall()
    total = 0
    for (pid,) in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")

def machine_cpu() -> float:
    # CPU seconds every core of this machine has spent busy since boot
    fields = [int(f) for f in Path("/proc/stat").read_text().split(chr(10), 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")

runner.bind_all(runner.get_project())
Path(os.environ["BENCH_READY"]).touch()
go = Path(os.environ["BENCH_GO"])
while not go.exists():
    time.sleep(0.005)
cpu, server = time.process_time(), server_cpu()
report = runner(task_batch_size=int(os.environ["BENCH_BATCH"]))
end, machine = time.time(), machine_cpu()
assert report.attempted > 0
cpu, server = time.process_time() - cpu, server_cpu() - server
Path(os.environ["BENCH_CPU"]).write_text(f"{end} {machine} {cpu} {server}")
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


@dataclass(frozen=True)
class Run:
    """One timed run: wall seconds, and CPU seconds of the runner processes, of their
    PostgreSQL backends, and of the whole machine (all cores, everyone's work)."""

    seconds: float
    runners_cpu: float
    backends_cpu: float
    machine_cpu: float

    def cores(self, cpu_seconds: float) -> str:
        """CPU seconds as cores kept busy during the run."""
        return f"{cpu_seconds / self.seconds:.2f} cores"


def _machine_cpu_s() -> float:
    """CPU seconds every core of this machine has spent busy since boot (/proc/stat)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _run(url: str, project_hash: str, processes: int, batch: int, folder: Path) -> Run:
    """Time ``processes`` ready runners from their release until the last one finishes."""
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
            "BENCH_NAME": f"annotask_bench_{project_hash[:8]}_{i}",
            "BENCH_DSN": url.split("?", 1)[0].replace("postgresql+psycopg", "postgresql"),
        }
        started.append((subprocess.Popen([sys.executable, str(script)], env=env), ready))
    while not all(ready.exists() for _, ready in started):
        time.sleep(0.01)
    machine = _machine_cpu_s()
    start = time.time()
    go.touch()
    for process, _ in started:
        if process.wait() != 0:
            raise SystemExit(f"a runner process failed with exit status {process.returncode}")
    # until the last runner returned from its run (not until its process had exited)
    used = [[float(f) for f in p.read_text().split()] for p in folder.glob(f"cpu-{project_hash}-*")]
    end, machine_end = max((u[0], u[1]) for u in used)
    return Run(
        end - start,
        sum(u[2] for u in used),
        sum(u[3] for u in used),
        machine_end - machine,
    )


def _print_cpu(one: Run, two: Run) -> None:
    """Where the cores went: runners that keep every core of the machine busy between them
    and the server cannot go faster by adding runners, whatever they do."""
    for name, run in (("one_runner", one), ("two_runners", two)):
        print(f"{name}_process_cpu: {run.cores(run.runners_cpu)}")
        print(f"{name}_postgres_cpu: {run.cores(run.backends_cpu)}")
        print(f"{name}_machine_cpu: {run.cores(run.machine_cpu)}")
    cores = os.cpu_count() or 1
    busy_one = (one.runners_cpu + one.backends_cpu) / one.seconds
    # what two runners could reach were they bound by CPU alone, on an otherwise idle machine
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
            run_one = _run(url, one, 1, args.batch, folder)
            run_two = _run(url, two, 2, args.batch, folder)
            print(f"one_runner: {count / run_one.seconds:.0f} tasks/s")
            print(f"two_runners: {count / run_two.seconds:.0f} tasks/s")
            print(f"two_vs_one_runner: {run_one.seconds / run_two.seconds:.2f}x")
            _print_cpu(run_one, run_two)
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
