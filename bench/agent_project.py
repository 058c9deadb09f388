"""The project the runner benchmarks share: ``count`` one-byte items waiting in an agent
stage whose one pathway, ``done``, leads to ``Complete``; one box class, ``car``."""

from __future__ import annotations

from pathlib import Path

import annotask

WORKFLOW = {
    "stages": [
        {"name": "Agent", "type": "agent", "pathways": {"done": "Complete"}},
        {"name": "Complete", "type": "complete"},
    ]
}
ONTOLOGY = {"objects": [{"name": "car", "shape": "bounding_box"}]}


def prepare(folder: Path, count: int) -> Path:
    """An SQLite store in ``folder`` with that project (a template to copy per run)."""
    items = folder / "items"
    items.mkdir()
    paths = []
    for i in range(count):
        path = items / f"item{i:06d}.txt"
        path.write_bytes(b"x")
        paths.append(path)
    db = folder / "template.db"
    with annotask.Client(f"sqlite:///{db}", user="bench") as client:
        dataset = client.create_dataset("bench")
        dataset.add_items(paths)
        client.create_project("bench", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)
    return db
