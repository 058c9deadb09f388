"""Store benchmark: a project over a dataset of 100,000 items, against plain sqlite3.

The items are real 16x16 PNG files (the same bytes under 100,000 names). ``add_items`` is
timed twice, each into a fresh store: probing every file by its content (the default) and
with ``probe=False`` (type from the name, no properties); ``add_items_probed_vs_unprobed``
is the probed throughput over the unprobed one. The project is made over the probed dataset
(``--no-probe``: only the unprobed registration, and the project over it).

Prints one figure per line (``name: value unit``; ratios as ``name: 0.42x``, ours over the
baseline's throughput). The baseline inserts the same task and label-row rows with
``sqlite3.executemany`` into an identical schema, in the same process, right after.

Peak resident memory (``VmHWM`` from ``/proc/self/status``, else ``ru_maxrss``) is printed
beside the figures:
``register_peak_rss`` of this process after the registrations, and ``create_project_peak_rss``
of a fresh process that opens the store and creates the project (so that each phase's own
footprint shows). Run with ``--items 1000000`` for the scale the memory target is set at.
"""

from __future__ import annotations

import argparse
import io
import logging
import multiprocessing
import resource
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

import annotask
from annotask.store.schema import metadata

WORKFLOW = {
    "stages": [
        {"name": "Pre-label", "type": "agent", "pathways": {"done": "Complete"}},
        {"name": "Complete", "type": "complete"},
    ]
}


def _make_files(folder: Path, count: int) -> list[str]:
    """``count`` real 16x16 PNG images (one encoding, written under each name); their paths."""
    folder.mkdir()
    encoded = io.BytesIO()
    Image.new("RGB", (16, 16), (30, 120, 200)).save(encoded, format="PNG")
    data = encoded.getvalue()
    paths = []
    for i in range(count):
        path = str(folder / f"item{i:07d}.png")
        with open(path, "wb") as file:
            file.write(data)
        paths.append(path)
    return paths


def _register(url: str, paths: list[str], probe: bool) -> tuple[annotask.Client, float]:
    """A client on a fresh store with a dataset of ``paths``; the seconds add_items took."""
    client = annotask.Client(url, user="bench")
    dataset = client.create_dataset("bench")
    start = time.perf_counter()
    items = dataset.add_items(paths, probe=probe)
    elapsed = time.perf_counter() - start
    if probe and items[0].width != 16:
        raise RuntimeError(f"probing went wrong: {items[0].properties}")
    return client, elapsed


def _ours(workdir: Path, paths: list[str], probe: bool) -> tuple[float, float, float, float]:
    """Seconds to register unprobed, to register probed (0 when ``probe`` is false), and to
    create the project (in a fresh process, over the probed dataset, or the unprobed one
    when ``probe`` is false), and that process's peak RSS in MB."""
    unprobed_url = f"sqlite:///{workdir / 'unprobed.db'}"
    unprobed_client, unprobed = _register(unprobed_url, paths, False)
    unprobed_client.close()
    probed, url = 0.0, unprobed_url
    if probe:
        url = f"sqlite:///{workdir / 'annotask.db'}"
        client, probed = _register(url, paths, True)
        client.close()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        created, rss = pool.apply(_create_project, (url,))
    return unprobed, probed, created, rss


def _create_project(url: str) -> tuple[float, float]:
    """In a fresh process: seconds to create the project, and the process's peak RSS (MB)."""
    with annotask.Client(url, user="bench") as client:
        dataset = client.list_datasets()[0]
        start = time.perf_counter()
        client.create_project("bench", datasets=[dataset], ontology={}, workflow=WORKFLOW)
        created = time.perf_counter() - start
    return created, _peak_rss_mb()


def _peak_rss_mb() -> float:
    """This process's peak RSS in MB: VmHWM where Linux has it (``ru_maxrss`` starts at the
    parent's RSS in a forked-then-exec'd child, so it would show the parent's peak), else
    ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _baseline(workdir: Path, count: int) -> float:
    """Plain sqlite3: the same task and label-row rows, one executemany per table."""
    from sqlalchemy import create_engine  # noqa: PLC0415 - only to create the same schema

    path = workdir / "baseline.db"
    engine = create_engine(f"sqlite:///{path}")
    metadata.create_all(engine, tables=[metadata.tables["tasks"], metadata.tables["label_rows"]])
    engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    project, stage = str(uuid.uuid4()), str(uuid.uuid4())
    start = time.perf_counter()
    labels, tasks = [], []
    for _ in range(count):
        data_hash, label_hash = str(uuid.uuid4()), str(uuid.uuid4())
        labels.append((label_hash, project, data_hash, 0, None, now))
        tasks.append(
            (str(uuid.uuid4()), project, stage, data_hash, label_hash, "new", 0.5, 0, 0, now, now)
        )
    with conn:
        conn.executemany(
            "INSERT INTO label_rows (uuid, project_uuid, data_hash, version, labels, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            labels,
        )
        conn.executemany(
            "INSERT INTO tasks (uuid, project_uuid, stage_uuid, data_hash, label_hash, status,"
            " priority, lease_token, attempts, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            tasks,
        )
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20,000 items instead of 100,000")
    parser.add_argument("--items", type=int, default=None)
    parser.add_argument(
        "--no-probe",
        action="store_true",
        help="register unprobed only (for a million items on a busy machine)",
    )
    args = parser.parse_args()
    count = args.items or (20_000 if args.quick else 100_000)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        paths = _make_files(workdir / "files", count)
        unprobed, probed, created, create_rss = _ours(workdir, paths, not args.no_probe)
        register_rss = _peak_rss_mb()
        baseline = _baseline(workdir, count)
        _report(count, unprobed, probed, created, baseline, rss=(register_rss, create_rss))


def _report(
    count: int,
    unprobed: float,
    probed: float,
    created: float,
    baseline: float,
    *,
    rss: tuple[float, float],
) -> None:
    register_rss, create_rss = rss
    print(f"items: {count} 16x16 PNG files")
    print(f"add_items_unprobed: {count / unprobed:.0f} items/s")
    print(f"add_items_unprobed_time: {unprobed:.2f} s")
    if probed:
        print(f"add_items_probed: {count / probed:.0f} items/s")
        print(f"add_items_probed_time: {probed:.2f} s")
        print(f"probe_cost_per_item: {(probed - unprobed) / count * 1e6:.0f} us")
        print(f"add_items_probed_vs_unprobed: {unprobed / probed:.2f}x")
    print(f"create_project: {count / created:.0f} items/s")
    print(f"create_project_time: {created:.2f} s")
    print(f"sqlite3_executemany: {count / baseline:.0f} items/s")
    print(f"create_project_vs_executemany: {baseline / created:.2f}x")
    print(f"register_peak_rss: {register_rss:.0f} MB")
    print(f"create_project_peak_rss: {create_rss:.0f} MB")


if __name__ == "__main__":
    main()
