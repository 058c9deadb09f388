"""CLI startup benchmark: wall time of ``annotask`` commands beside ``python -c pass``.

Each command runs as its own process (the console script next to this Python, else
``python -m annotask``), ``--repeat`` times, interleaved with the baseline so that both see
the same machine load, after one untimed run of each that writes Python's bytecode caches
(``PYTHONDONTWRITEBYTECODE`` is dropped for the commands: an installed annotask has its
caches, and without them every run compiles annotask's modules again, about 0.1 s); the
median is reported. The store is an SQLite file with a project
over 200 tasks, made before timing.

Prints ``name: value s`` per command (wall time) and ``name_cpu: value s`` (user + system
CPU time of the process, less sensitive to other load on a shared machine), then
``name_over_python: 12.3x`` (our median wall time over the baseline's), then whether the
targets hold: ``annotask --help`` <= 0.3 s and ``annotask tasks list`` <= 0.6 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"help": 0.3, "tasks_list": 0.6}
WORKFLOW = {
    "stages": [
        {"name": "Pre-label", "type": "agent", "pathways": {"done": "Complete"}},
        {"name": "Complete", "type": "complete"},
    ]
}


def _annotask() -> list[str]:
    script = Path(sys.executable).with_name("annotask")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "annotask"]


def _store(folder: Path, items: int) -> str:
    """An SQLite store with a project 'bench' over ``items`` unprobed items; its URL."""
    import annotask  # noqa: PLC0415 - timed commands must not see it imported here

    url = f"sqlite:///{folder / 'bench.db'}"
    with annotask.Client(url, user="bench") as client:
        dataset = client.create_dataset("bench")
        dataset.add_items([f"https://example.com/{i}.png" for i in range(items)], probe=False)
        client.create_project("bench", datasets=["bench"], ontology={}, workflow=WORKFLOW)
    return url


class CommandFailed(Exception):
    """A timed command exited non-zero (e.g. an older annotask without ``--version``)."""


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, env=ENV)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise CommandFailed(done.stderr.strip().splitlines()[-1:] or ["(no message)"])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 runs each instead of 15")
    parser.add_argument("--repeat", type=int, default=None, help="runs per command")
    args = parser.parse_args()
    repeat = args.repeat or (5 if args.quick else 15)
    with tempfile.TemporaryDirectory(prefix="annotask-startup-") as tmp:
        folder = Path(tmp)
        url = _store(folder, 200)
        cli = _annotask()
        commands = {
            "python_pass": [sys.executable, "-c", "pass"],
            "help": [*cli, "--help"],
            "version": [*cli, "--version"],
            "tasks_list": [*cli, "--db", url, "--user", "bench", "tasks", "list", "bench"],
            "project_show": [*cli, "--db", url, "--user", "bench", "project", "show", "bench"],
        }
        for argv in commands.values():  # bytecode caches, as an installed annotask has
            subprocess.run(argv, cwd=folder, capture_output=True, check=False, env=ENV)
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(repeat):
            for name, argv in list(commands.items()):
                try:
                    wall, used = _time(argv, folder)
                except CommandFailed as exc:
                    print(f"{name}: n/a ({exc.args[0][0]})")
                    del commands[name], times[name], cpu[name]
                    continue
                times[name].append(wall)
                cpu[name].append(used)
    median = {name: statistics.median(values) for name, values in times.items()}
    for name, value in median.items():
        print(f"{name}: {value:.3f} s")
        print(f"{name}_cpu: {statistics.median(cpu[name]):.3f} s")
    base = median["python_pass"]
    for name, value in median.items():
        if name != "python_pass":
            print(f"{name}_over_python: {value / base:.1f}x")
    for name, target in TARGETS.items():
        if name not in median:
            continue
        verdict = "met" if median[name] <= target else "NOT met"
        print(f"{name}_target_{target}s: {verdict} ({median[name]:.3f} s)")


if __name__ == "__main__":
    main()
