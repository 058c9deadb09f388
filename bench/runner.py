"""Runner benchmark: 20,000 tasks through a no-op agent and a labelling agent, on SQLite.

Prints one figure per line (``name: value unit``; ratios as ``name: 0.42x``, our throughput
over the baseline's). The baseline is a plain ``sqlite3`` loop on a copy of the same store
file, run right after ours in the same process: per batch it claims the tasks (select +
lease update), then in one transaction moves them and records an event each; for the label
agent it also reads each label document, adds the same box with ``json``, writes the row and
its version.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from agent_project import prepare

import annotask
from annotask.labels import BoundingBoxCoordinates, LabelRow, ObjectInstance
from annotask.tasks import Runner, TaskAgentReturnStruct

BATCH = 300


def _ours(db: Path, label: bool) -> float:
    """Seconds for the runner to take every task through the agent."""
    with annotask.Client(f"sqlite:///{db}", user="bench") as client:
        project = client.get_project("bench")
        car = project.ontology.get_object("car")
        box = BoundingBoxCoordinates(top_left_x=0.1, top_left_y=0.1, width=0.2, height=0.2)
        runner = Runner(project.project_hash, client=client)
        if label:

            @runner.stage("Agent")
            def label_agent(lr: LabelRow) -> TaskAgentReturnStruct:
                instance = ObjectInstance(car)
                instance.set_for_frames(box, frames=0, confidence=0.9)
                lr.add_object_instance(instance)
                return TaskAgentReturnStruct(pathway="done", label_row=lr)

        else:

            @runner.stage("Agent")
            def noop_agent() -> str:
                return "done"

        start = time.perf_counter()
        report = runner(task_batch_size=BATCH)
        seconds = time.perf_counter() - start
        assert report.moved == report.attempted, report
    return seconds


def _baseline(db: Path, label: bool) -> float:
    """Seconds for a plain sqlite3 loop doing the same claims, moves, events (and labels)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    (agent,) = conn.execute("SELECT uuid FROM stages WHERE name = 'Agent'").fetchone()
    (done_stage, pathway) = conn.execute(
        "SELECT destination_uuid, uuid FROM pathways WHERE stage_uuid = ?", (agent,)
    ).fetchone()
    (project,) = conn.execute("SELECT uuid FROM projects").fetchone()
    start = time.perf_counter()
    while True:
        now = time.time()
        conn.execute("BEGIN IMMEDIATE")
        rows = conn.execute(
            "SELECT uuid, label_hash FROM tasks WHERE stage_uuid = ? AND "
            "(lease_expires_at IS NULL OR lease_expires_at < ?) ORDER BY priority DESC, "
            "created_at LIMIT ?",
            (agent, now, BATCH),
        ).fetchall()
        marks = ",".join("?" * len(rows))
        conn.execute(
            f"UPDATE tasks SET lease_owner = 'base', lease_token = lease_token + 1, "
            f"lease_expires_at = ? WHERE uuid IN ({marks})",
            (now + 300, *[r[0] for r in rows]),
        )
        conn.execute("COMMIT")
        if not rows:
            break
        stamp = datetime.now(UTC).isoformat()
        documents = {}
        if label:
            hashes = [r[1] for r in rows]
            found = conn.execute(
                f"SELECT uuid, version, labels FROM label_rows WHERE uuid IN ({marks})", hashes
            ).fetchall()
            for label_hash, version, labels in found:
                doc = (json.loads(labels) if labels else None) or {"objects": []}
                doc["objects"].append(
                    {
                        "objectHash": uuid.uuid4().hex[:8],
                        "name": "car",
                        "frames": {"0": {"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2, "c": 0.9}},
                    }
                )
                documents[label_hash] = (version, json.dumps(doc))
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "UPDATE tasks SET stage_uuid = ?, status = 'completed', lease_owner = NULL, "
            "lease_expires_at = NULL, updated_at = ? WHERE uuid = ? AND stage_uuid = ?",
            [(done_stage, stamp, r[0], agent) for r in rows],
        )
        conn.executemany(
            "INSERT INTO task_events (task_uuid, project_uuid, action, from_stage_uuid, "
            "to_stage_uuid, pathway_uuid, pathway_name, actor, at) "
            "VALUES (?, ?, 'proceed', ?, ?, ?, 'done', 'base', ?)",
            [(r[0], project, agent, done_stage, pathway, stamp) for r in rows],
        )
        if label:
            conn.executemany(
                "UPDATE label_rows SET version = ?, labels = ?, updated_at = ? WHERE uuid = ?",
                [(v + 1, doc, stamp, h) for h, (v, doc) in documents.items()],
            )
            conn.executemany(
                "INSERT INTO label_row_versions (label_hash, version, labels, saved_by, "
                "saved_at, workflow_stage) VALUES (?, ?, ?, 'base', ?, 'Agent')",
                [(h, v + 1, doc, stamp) for h, (v, doc) in documents.items()],
            )
        conn.execute("COMMIT")
    seconds = time.perf_counter() - start
    conn.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="4,000 tasks instead of 20,000")
    parser.add_argument("--tasks", type=int, default=None)
    args = parser.parse_args()
    count = args.tasks or (4_000 if args.quick else 20_000)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="annotask-bench-") as tmp:
        folder = Path(tmp)
        template = prepare(folder, count)
        print(f"tasks: {count} count")
        for name, label in (("noop", False), ("label", True)):
            ours_db, base_db = folder / f"{name}-ours.db", folder / f"{name}-base.db"
            shutil.copy(template, ours_db)
            shutil.copy(template, base_db)
            ours = _ours(ours_db, label)
            base = _baseline(base_db, label)
            print(f"{name}_agent: {count / ours:.0f} tasks/s")
            print(f"{name}_sqlite3_baseline: {count / base:.0f} tasks/s")
            print(f"{name}_vs_sqlite3: {base / ours:.2f}x")


if __name__ == "__main__":
    main()
