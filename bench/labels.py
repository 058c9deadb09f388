"""Label rows through the store: load, add 5 boxes, save in one batch, against plain sqlite3.

A project of 1,000 items (200 with ``--quick``) whose label rows hold 50 objects each (the
rows of ``bench/labels_serialise.py``). One cycle of ours: ``project.list_label_rows()``,
``initialise_labels()`` on each, 5 boxes added to each, ``project.save_label_rows(rows)``
(one transaction, version-checked). The baseline, in the same process on a copy of the same
database file: ``sqlite3`` reads the documents, ``json.loads`` each, appends 5 box entries,
``json.dumps`` it, and writes it back as the row's next version (the row updated and a
version row inserted, as a save must), in one transaction. Cycles alternate, best of a few.

Prints one figure per line::

    load_modify_save: N us/row             ours, per row
    load: N us/row                         of which list_label_rows + initialise_labels
    modify: N us/row                       of which adding the 5 boxes
    save: N us/row                         of which save_label_rows
    json_sqlite3: N us/row                 the baseline, per row
    load_modify_save_vs_json_sqlite3: 0.42x   ours over the baseline (target: at most 3x)
    serialise_50_objects: N us/row         LabelRow.to_dict() of a 50-object row

Run: ``PYTHONPATH=src python bench/labels.py [--quick]``.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labels_serialise import ONTOLOGY, fill_row
from PIL import Image

import annotask
from annotask.labels import BoundingBoxCoordinates, ObjectInstance

WORKFLOW = {
    "stages": [
        {"name": "Pre-label", "type": "agent", "pathways": {"done": "Complete"}},
        {"name": "Complete", "type": "complete"},
    ]
}
BOXES = 5


def _setup(workdir: Path, count: int) -> tuple[str, str]:
    """A store with a project of ``count`` rows of 50 objects; (store URL, project hash)."""
    files = workdir / "files"
    files.mkdir()
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 150)).save(picture, format="PNG")
    paths = []
    for i in range(count):
        path = files / f"frame{i:05d}.png"
        path.write_bytes(picture.getvalue())
        paths.append(path)
    url = f"sqlite:///{workdir / 'ours.db'}"
    with annotask.Client(url, user="bench") as client:
        dataset = client.create_dataset("bench")
        dataset.add_items(paths)
        project = client.create_project(
            "bench", datasets=[dataset], ontology=ONTOLOGY.to_dict(), workflow=WORKFLOW
        )
        rows = project.list_label_rows()
        for seed, row in enumerate(rows):
            row.initialise_labels()
            fill_row(row, seed)
        project.save_label_rows(rows)
        return url, project.project_hash


def _ours(url: str, project_hash: str) -> tuple[float, float, float, int]:
    """One cycle: (load seconds, modify seconds, save seconds, rows)."""
    with annotask.Client(url, user="bench") as client:
        project = client.get_project(project_hash)
        car = project.ontology.get_object("car")
        project.list_label_rows()  # warm the ontology and workflow caches, as a runner is
        start = time.perf_counter()
        rows = project.list_label_rows()
        for row in rows:
            row.initialise_labels()
        loaded = time.perf_counter()
        for row in rows:
            for i in range(BOXES):
                box = ObjectInstance(car)
                box.set_for_frames(BoundingBoxCoordinates(0.1 * i, 0.5, 0.05, 0.1), confidence=0.6)
                row.add_object_instance(box)
        changed = time.perf_counter()
        project.save_label_rows(rows)
        saved = time.perf_counter()
    return loaded - start, changed - loaded, saved - changed, len(rows)


def _box_entry(car_hash: str, i: int) -> dict[str, Any]:
    return {
        "object_hash": os.urandom(6).hex(),
        "feature_hash": car_hash,
        "name": "car",
        "frames": {
            "0": {
                "coordinates": {"x": 0.1 * i, "y": 0.5, "w": 0.05, "h": 0.1},
                "confidence": 0.6,
                "manual_annotation": True,
            }
        },
        "answers": {},
    }


def _baseline(path: Path, project_hash: str, car_hash: str) -> tuple[float, int]:
    """One cycle of plain sqlite3 + json on the copy; (seconds, rows)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    start = time.perf_counter()
    selected = conn.execute(
        "SELECT uuid, version, labels FROM label_rows WHERE project_uuid = ?", (project_hash,)
    ).fetchall()
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    updates, versions = [], []
    for label_hash, version, text in selected:
        document = json.loads(text)
        document["objects"].extend(_box_entry(car_hash, i) for i in range(BOXES))
        new_text = json.dumps(document)
        updates.append((version + 1, new_text, now, label_hash))
        versions.append((label_hash, version + 1, new_text, "bench", now, "Pre-label"))
    with conn:
        conn.executemany(
            "UPDATE label_rows SET version = ?, labels = ?, updated_at = ? WHERE uuid = ?",
            updates,
        )
        conn.executemany(
            "INSERT INTO label_row_versions (label_hash, version, labels, saved_by, saved_at,"
            " workflow_stage) VALUES (?, ?, ?, ?, ?, ?)",
            versions,
        )
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed, len(selected)


def _copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _serialise(url: str, project_hash: str, repeats: int) -> float:
    """Best seconds per LabelRow.to_dict() of a 50-object row."""
    with annotask.Client(url, user="bench") as client:
        row = client.get_project(project_hash).list_label_rows()[0]
    row.initialise_labels()
    return _best(row.to_dict, 200, repeats)


def _best(run: Callable[[], object], times: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(times):
            run()
        best = min(best, (time.perf_counter() - start) / times)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 rows and 2 cycles")
    parser.add_argument("--rows", type=int, default=None)
    args = parser.parse_args()
    count = args.rows or (200 if args.quick else 1000)
    cycles = 2 if args.quick else 3
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url, project_hash = _setup(workdir, count)
        baseline_db = workdir / "baseline.db"
        _copy(workdir / "ours.db", baseline_db)
        car_hash = ONTOLOGY.get_object("car").feature_hash
        ours: list[tuple[float, float, float]] = []
        plain: list[float] = []
        for _ in range(cycles):
            load, modify, save, rows = _ours(url, project_hash)
            ours.append((load / rows, modify / rows, save / rows))
            elapsed, rows = _baseline(baseline_db, project_hash, car_hash)
            plain.append(elapsed / rows)
        serialise = _serialise(url, project_hash, 3)
    load, modify, save = min(ours, key=sum)
    total = load + modify + save
    baseline = min(plain)
    print(f"rows: {count} rows")
    print(f"load_modify_save: {total * 1e6:.0f} us/row")
    print(f"load: {load * 1e6:.0f} us/row")
    print(f"modify: {modify * 1e6:.0f} us/row")
    print(f"save: {save * 1e6:.0f} us/row")
    print(f"json_sqlite3: {baseline * 1e6:.0f} us/row")
    print(f"load_modify_save_vs_json_sqlite3: {total / baseline:.2f}x")
    print(f"serialise_50_objects: {serialise * 1e6:.1f} us/row")


if __name__ == "__main__":
    main()
