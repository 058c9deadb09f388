"""Store benchmark: a project over a dataset of 100,000 items, against plain sqlite3.

The items are real 16x16 PNG files (the same bytes under 100,000 names). ``add_items`` is
timed twice, each into a fresh store: probing every file by its content (the default) and
with ``probe=False`` (type from the name, no properties); ``add_items_probed_vs_unprobed``
is the probed throughput over the unprobed one. The project is made over the probed dataset.

Prints one figure per line (``name: value unit``; ratios as ``name: 0.42x``, ours over the
baseline's throughput). The baseline inserts the same task and label-row rows with
``sqlite3.executemany`` into an identical schema, in the same process, right after.

Peak resident memory (``resource.getrusage``'s ``ru_maxrss``) is printed beside the figures:
``register_peak_rss`` of a fresh process registering the probed dataset (its list of paths
included), and ``create_project_peak_rss`` of a fresh process that opens the store and
creates the project, so that each phase's own footprint shows. Run with ``--items 1000000``
for the scale the memory target is set at.
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
from collections.abc import Callable
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


def _make_files(folder: Path, count: int) -> None:
    """``count`` real 16x16 PNG images (one encoding, written under each name)."""
    folder.mkdir()
    encoded = io.BytesIO()
    Image.new("RGB", (16, 16), (30, 120, 200)).save(encoded, format="PNG")
    data = encoded.getvalue()
    for path in _paths(folder, count):
        with open(path, "wb") as file:
            file.write(data)


def _paths(folder: Path, count: int) -> list[str]:
    return [str(folder / f"item{i:07d}.png") for i in range(count)]


def _in_fresh_process(fn: Callable[..., float], *args: object) -> tuple[float, float]:
    """(what ``fn`` returns, the peak RSS in MB) of a call in a fresh process, started from
    this small one (a forked child counts its parent's pages, so this one holds no items)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        value, rss = pool.apply(_measured, (fn, *args))
    return value, rss


def _measured(fn: Callable[..., float], *args: object) -> tuple[float, float]:
    value = fn(*args)
    return value, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _register(url: str, folder: Path, count: int, probe: bool) -> float:
    """Seconds for add_items of the ``count`` files into a dataset of a fresh store."""
    with annotask.Client(url, user="bench") as client:
        dataset = client.create_dataset("bench")
        paths = _paths(folder, count)
        start = time.perf_counter()
        items = dataset.add_items(paths, probe=probe)
        elapsed = time.perf_counter() - start
        if probe and items[0].width != 16:
            raise RuntimeError(f"probing went wrong: {items[0].properties}")
    return elapsed


def _create_project(url: str) -> float:
    """Seconds to create the project over the dataset."""
    with annotask.Client(url, user="bench") as client:
        dataset = client.list_datasets()[0]
        start = time.perf_counter()
        client.create_project("bench", datasets=[dataset], ontology={}, workflow=WORKFLOW)
        return time.perf_counter() - start


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
    args = parser.parse_args()
    count = args.items or (20_000 if args.quick else 100_000)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        folder = workdir / "files"
        _make_files(folder, count)
        unprobed, _ = _in_fresh_process(
            _register, f"sqlite:///{workdir / 'unprobed.db'}", folder, count, False
        )
        url = f"sqlite:///{workdir / 'annotask.db'}"
        probed, register_rss = _in_fresh_process(_register, url, folder, count, True)
        created, create_rss = _in_fresh_process(_create_project, url)
        baseline = _baseline(workdir, count)
    print(f"items: {count} 16x16 PNG files")
    print(f"add_items_unprobed: {count / unprobed:.0f} items/s")
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
