"""The reference's examples, ported: every dependency it documents, one agent stage each.

Run it:
    python examples/seed_examples.py [FOLDER]
builds a small trial project (two short videos) and a twin project on the same data in FOLDER
(default: a temporary folder), runs the agents, and prints what each one was given. The test
suite runs every example this way. On a store of your own, with a project whose workflow has
these agent stages (see WORKFLOW):
    annotask --db URL run examples/seed_examples.py --project-hash HASH

Porting from the reference is a change of imports: ``encord_agents.tasks`` →
``annotask.tasks``, ``LabelRowV2`` → ``annotask.labels.LabelRow``, ``EncordUserClient`` →
``annotask.Client``, ``encord.storage.StorageItem`` → ``annotask.StorageItem``, the workflow's
``AgentTask`` → ``annotask.AgentTask``, ``encord_agents.core.data_model.Frame`` →
``annotask.media.Frame``.
"""

from __future__ import annotations

import random
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from numpy.typing import NDArray

from annotask import AgentTask, Client, Project, StorageItem
from annotask.labels import LabelRow
from annotask.media import Frame, write_test_video
from annotask.tasks import Depends, Runner
from annotask.tasks.dependencies import (
    Twin,
    dep_asset,
    dep_client,
    dep_single_frame,
    dep_storage_item,
    dep_twin_label_row,
    dep_video_iterator,
    dep_video_sampler,
)
from annotask.testing import trial_project

TWIN_PROJECT = "seed examples: twin"
"""The twin project's hash or title (a project on the same dataset)."""

STAGES = [
    "client",
    "storage item",
    "single frame",
    "video iterator",
    "video sampler",
    "asset",
    "twin",
    "custom",
]
WORKFLOW: dict[str, Any] = {
    "stages": [
        *(
            {"name": name, "type": "agent", "pathways": {"next": following}}
            for name, following in zip(STAGES, [*STAGES[1:], "Complete"], strict=True)
        ),
        {"name": "Complete", "type": "complete"},
    ]
}
"""One agent stage per example, each passing the task on along its ``next`` pathway."""

runner = Runner()  # no project: stages are checked when it runs (the reference's RunnerBase)


@runner.stage("client")
def my_client_agent(client: Annotated[Client, Depends(dep_client)]) -> str:
    # The client is the runner's own: the same store, the same user.
    print(f"client: {client.user} sees {[p.title for p in client.list_projects()]}")
    return "next"


@runner.stage(stage="storage item")
def my_storage_agent(storage_item: Annotated[StorageItem, Depends(dep_storage_item)]) -> str:
    print(f"storage item: {storage_item.name}, {storage_item.frame_count} frames")
    # Metadata changed here is committed together with the task's move.
    storage_item.update(client_metadata={"new": "entry", **storage_item.client_metadata})
    return "next"


@runner.stage("single frame")
def my_frame_agent(frame: Annotated[NDArray[np.uint8], Depends(dep_single_frame)]) -> str:
    assert frame.ndim == 3, "Will work"
    print(f"single frame: shape {frame.shape}")
    return "next"


@runner.stage("video iterator")
def my_iterator_agent(video_frames: Annotated[Iterator[Frame], Depends(dep_video_iterator)]) -> str:
    count = sum(1 for frame in video_frames)
    print(f"video iterator: {count} frames")
    return "next"


@runner.stage("video sampler")
def my_sampler_agent(
    video_sampler: Annotated[
        Callable[[float | Sequence[int]], Iterable[Frame]], Depends(dep_video_sampler)
    ],
) -> str | None:
    every_fifth = [frame.frame for frame in video_sampler(1 / 5)]  # frames 0, 5, 10, ...
    chosen = [frame.frame for frame in video_sampler([1, 2, 3])]
    print(f"video sampler: {every_fifth} and {chosen}")
    return "next"


@runner.stage("asset")
def my_asset_agent(asset: Annotated[Path, Depends(dep_asset)]) -> str | None:
    print(f"asset: {asset.name}, {asset.stat().st_size} bytes")
    return "next"


@runner.stage("twin")
def my_twin_agent(
    project_a_label_row: LabelRow,
    twin: Annotated[
        Twin | None,
        Depends(dep_twin_label_row(twin_project_hash=TWIN_PROJECT, include_task=True)),
    ],
) -> str | None:
    if twin is None:  # the twin project has no such data item
        return "next"
    label_row_from_project_b = twin.label_row
    task_from_project_b = twin.task
    stage = task_from_project_b.stage.name if task_from_project_b else None
    objects = len(label_row_from_project_b.get_object_instances())
    print(
        f"twin: {project_a_label_row.data_title} has {objects} object(s) in the twin project,"
        f" whose task is in {stage!r}"
    )
    return "next"


def random_value() -> float:
    return random.random()


@runner.stage("custom")
def my_func(
    project: Project,
    lr: LabelRow,
    task: AgentTask,
    video_frames: Annotated[Iterator[Frame], Depends(dep_video_iterator)],
    custom: Annotated[float, Depends(random_value)],
) -> str | None:
    first = next(video_frames)
    print(f"custom: {project.title}, {lr.data_title}, frame {first.frame}, custom {custom:.2f}")
    return "next"


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    videos = [write_test_video(folder / f"clip-{i}.mp4", frames=20) for i in range(2)]
    trial = trial_project(folder, files=videos, workflow=WORKFLOW, title="seed examples")
    trial.client.create_project(
        TWIN_PROJECT,
        datasets=[trial.dataset],
        ontology=trial.project.ontology_hash,
        workflow={
            "stages": [
                {"name": "Annotate", "type": "annotation", "pathways": {"submit": "Done"}},
                {"name": "Done", "type": "complete"},
            ]
        },
    )
    runner.use_client(trial.client)
    report = runner(project_hash=trial.project_hash)
    trial.assert_all_in("Complete")
    print(f"{report.moved} moves in {len(STAGES)} stages; every task is in 'Complete'")
    trial.client.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
