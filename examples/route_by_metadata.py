"""A routing agent: each task goes down the pathway its storage item's client metadata picks.

Run it:
    python examples/route_by_metadata.py [FOLDER]
builds a small trial project (five images with metadata) in FOLDER (default: a temporary
folder), runs the agent, and prints where each task went. The test suite runs every example
this way. On a store of your own, with a project whose workflow has a ``Triage`` agent stage
with the pathways below (see WORKFLOW):
    annotask --db URL run examples/route_by_metadata.py --project-hash HASH [--dry-run]

The agent reads only the storage item (bulk-loaded with its batch); it returns a
``TaskAgentReturnStruct`` so that the priority it sets lands with the move, and it records
its decision in the item's metadata, committed in the same transaction.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from annotask import StorageItem
from annotask.labels import LabelRow
from annotask.media import write_test_image
from annotask.tasks import Runner, TaskAgentReturnStruct
from annotask.testing import trial_project

WORKFLOW: dict[str, Any] = {
    "start": "Triage",
    "stages": [
        {
            "name": "Triage",
            "type": "agent",
            "pathways": {"day": "Annotate", "night": "Night shift", "unusable": "Complete"},
        },
        {"name": "Annotate", "type": "annotation", "pathways": {"submit": "Complete"}},
        {"name": "Night shift", "type": "annotation", "pathways": {"submit": "Complete"}},
        {"name": "Complete", "type": "complete"},
    ],
}

runner = Runner()


@runner.stage("Triage")
def triage(storage_item: StorageItem, label_row: LabelRow) -> TaskAgentReturnStruct | str:
    metadata = storage_item.client_metadata
    if metadata.get("blurry"):
        return "unusable"  # a pathway name is enough when nothing else changes
    hour = int(metadata.get("hour", 12))
    pathway = "night" if hour < 6 or hour >= 20 else "day"
    storage_item.update(client_metadata={**metadata, "routed": pathway})
    return TaskAgentReturnStruct(
        pathway=pathway,
        label_row=label_row,
        label_row_priority=1.0 if metadata.get("camera") == "front" else 0.0,  # 0.0 is kept
    )


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    metadata = {
        "dawn.png": {"camera": "front", "hour": 5},
        "noon.png": {"camera": "front", "hour": 12},
        "dusk.png": {"camera": "rear", "hour": 21},
        "afternoon.png": {"camera": "rear", "hour": 15},
        "shaky.png": {"camera": "rear", "hour": 14, "blurry": True},
    }
    files = {}
    for index, (name, meta) in enumerate(metadata.items()):
        files[write_test_image(folder / name, width=64, height=48, index=index)] = meta
    trial = trial_project(folder, files=files, workflow=WORKFLOW, title="routing")
    runner.use_client(trial.client)
    runner(project_hash=trial.project_hash)

    for task in trial.project.list_tasks():  # highest priority first
        item = trial.client.get_storage_item(task.data_hash)
        print(
            f"{task.data_title:14} -> {task.stage.name:12} priority {task.priority}, "
            f"routed {item.client_metadata.get('routed', '-')}"
        )
    trial.assert_stages(
        {
            "dawn.png": "Night shift",
            "noon.png": "Annotate",
            "dusk.png": "Night shift",
            "afternoon.png": "Annotate",
            "shaky.png": "Complete",
        }
    )
    trial.client.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
