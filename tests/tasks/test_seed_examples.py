"""Every example of the API reference (the seed), ported by changing imports, run on a fresh
store: ``EncordUserClient`` → ``annotask.Client``, ``LabelRowV2`` → ``annotask.labels.LabelRow``,
``encord.storage.StorageItem`` → ``annotask.StorageItem``, ``AgentTask``/``Project`` from
``annotask``, ``Frame`` from ``annotask.media``, ``encord_agents.tasks`` → ``annotask.tasks``.
Placeholders (``"<my_stage_name>"``, ``"<project_hash>"``, ``"<pathway_name>"``) are filled
with the trial project's stage, hash and pathways; ``...`` bodies return a pathway.

No ``from __future__ import annotations``: the examples' ``Annotated[..., Depends(fn)]``
name functions local to each test, evaluated where they are written, as in a script.
"""

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Annotated
from uuid import UUID

import numpy as np
import pytest
from numpy.typing import NDArray

from annotask import AgentTask, Client, Project, StorageItem, WorkflowTask
from annotask.labels import LabelRow
from annotask.media import Frame, write_test_video
from annotask.tasks import Depends, QueueRunner, Runner, TaskCompletionResult
from annotask.tasks.dependencies import (
    DataLookup,
    Twin,
    dep_asset,
    dep_client,
    dep_data_lookup,
    dep_single_frame,
    dep_storage_item,
    dep_twin_label_row,
    dep_video_iterator,
    dep_video_sampler,
)
from annotask.testing import TrialProject, trial_project
from tests.definitions import ONTOLOGY, WORKFLOW

STAGE = "Pre-label"  # "<my_stage_name>"
PATHWAY = "has objects"  # "<pathway_name>"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 30-frame 64x48 H.264 video encoded with PyAV."""
    return write_test_video(tmp_path_factory.mktemp("seed") / "clip.mp4", frames=30)


@pytest.fixture
def images(tmp_path: Path) -> TrialProject:
    """A fresh store with three generated images in the DESIGN.md workflow."""
    return trial_project(tmp_path / "images", images=3, workflow=WORKFLOW, ontology=ONTOLOGY)


@pytest.fixture
def videos(tmp_path: Path, video: Path) -> TrialProject:
    """A fresh store with one video in the DESIGN.md workflow."""
    return trial_project(tmp_path / "videos", files=[video], workflow=WORKFLOW, ontology=ONTOLOGY)


# dependencies ------------------------------------------------------------------------------
def test_dep_client_example(images: TrialProject) -> None:
    runner = Runner(project_hash=images.project_hash, client=images.client)
    got: list[str] = []

    @runner.stage(STAGE)
    def my_agent(client: Annotated[Client, Depends(dep_client)]) -> str:
        # Client will authenticated and ready to use.
        got.append(client.get_dataset(images.dataset.dataset_hash).title)
        return PATHWAY

    runner()
    assert got == ["trial data"] * 3
    images.assert_all_in("Review")


def test_dep_storage_item_example(images: TrialProject, capsys: pytest.CaptureFixture[str]) -> None:
    runner = Runner(project_hash=images.project_hash, client=images.client)

    @runner.stage(stage=STAGE)
    def my_agent(storage_item: Annotated[StorageItem, Depends(dep_storage_item)]) -> str:
        print(storage_item.name)  # noqa: T201 - the example prints
        print(storage_item.client_metadata)  # noqa: T201
        return PATHWAY

    runner()
    printed = capsys.readouterr().out.splitlines()
    assert sorted(printed) == ["image-0.png", "image-1.png", "image-2.png"] + ["{}"] * 3
    images.assert_all_in("Review")


def test_dep_single_frame_example(images: TrialProject, videos: TrialProject) -> None:
    for trial in (images, videos):
        runner = Runner(client=trial.client)

        @runner.stage(STAGE)
        def my_agent(frame: Annotated[NDArray[np.uint8], Depends(dep_single_frame)]) -> str:
            assert frame.ndim == 3, "Will work"
            return PATHWAY

        assert runner(project_hash=trial.project_hash).moved == len(trial.stages())
        trial.assert_all_in("Review")


def test_dep_video_iterator_example(
    videos: TrialProject, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = Runner(project_hash=videos.project_hash, client=videos.client)

    @runner.stage(STAGE)
    def my_agent(video_frames: Annotated[Iterator[Frame], Depends(dep_video_iterator)]) -> str:
        for frame in video_frames:
            print(frame.frame, frame.content.shape)  # noqa: T201 - the example prints
        return PATHWAY

    runner()
    assert capsys.readouterr().out.splitlines() == [f"{i} (48, 64, 3)" for i in range(30)]
    videos.assert_all_in("Review")


def test_dep_video_sampler_example(videos: TrialProject) -> None:
    runner = Runner(project_hash=videos.project_hash, client=videos.client)
    sampled: list[list[int]] = []

    @runner.stage(STAGE)
    def my_agent(
        video_sampler: Annotated[
            Callable[[float | Sequence[int]], Iterable[Frame]], Depends(dep_video_sampler)
        ],
    ) -> str | None:
        # Get every 5th frame, i.e. [0, 5, 10, 15, ...]
        sampled.append([frame.frame for frame in video_sampler(1 / 5)])
        # Get frames 1, 2, 3
        sampled.append([frame.frame for frame in video_sampler([1, 2, 3])])
        return PATHWAY

    runner()
    assert sampled == [[0, 5, 10, 15, 20, 25], [1, 2, 3]]
    videos.assert_all_in("Review")


def test_dep_asset_example(videos: TrialProject, video: Path) -> None:
    runner = Runner(project_hash=videos.project_hash, client=videos.client)
    sizes: list[int] = []

    @runner.stage(STAGE)
    def my_agent(asset: Annotated[Path, Depends(dep_asset)]) -> str | None:
        sizes.append(asset.stat().st_size)  # read file stats
        return PATHWAY

    runner()
    assert sizes == [video.stat().st_size]
    videos.assert_all_in("Review")


def test_dep_twin_label_row_example(images: TrialProject) -> None:
    project_b = images.client.create_project(
        "project b", datasets=[images.dataset], ontology=ONTOLOGY, workflow=WORKFLOW
    )
    runner = Runner(project_hash=images.project_hash, client=images.client)
    pairs: list[tuple[str, str, WorkflowTask | None]] = []

    @runner.stage(STAGE)
    def my_agent(
        project_a_label_row: LabelRow,
        twin: Annotated[
            Twin, Depends(dep_twin_label_row(twin_project_hash=project_b.project_hash))
        ],
    ) -> str | None:
        label_row_from_project_b: LabelRow = twin.label_row
        task_from_project_b: WorkflowTask | None = twin.task  # None unless include_task=True
        pairs.append(
            (project_a_label_row.data_hash, label_row_from_project_b.data_hash, task_from_project_b)
        )
        return PATHWAY

    runner()
    assert len(pairs) == 3
    assert all(a == b and task is None for a, b, task in pairs)
    images.assert_all_in("Review")


def test_dep_data_lookup_old_way_warns_and_new_way_does_not(
    images: TrialProject, tmp_path: Path
) -> None:
    old = Runner(project_hash=images.project_hash, client=images.client)
    fresh = trial_project(tmp_path / "new", images=3, workflow=WORKFLOW, ontology=ONTOLOGY)
    new = Runner(project_hash=fresh.project_hash, client=fresh.client)
    seen: dict[str, list[dict[str, object]]] = {"old": [], "new": []}

    # Old way (deprecated): the warning comes when the agent is decorated
    with pytest.warns(DeprecationWarning, match="dep_storage_item"):

        @old.stage(stage=STAGE)
        def my_old_agent(
            task: AgentTask, lookup: Annotated[DataLookup, Depends(dep_data_lookup)]
        ) -> str:
            storage_item = lookup.get_storage_item(task.data_hash)
            client_metadata = storage_item.client_metadata
            seen["old"].append(client_metadata)
            return "empty"

    # New way (recommended)
    @new.stage(stage=STAGE)
    def my_agent(
        task: AgentTask, storage_item: Annotated[StorageItem, Depends(dep_storage_item)]
    ) -> str:
        # storage_item is directly available
        client_metadata = storage_item.client_metadata
        seen["new"].append(client_metadata)

        # Update metadata
        storage_item.update(client_metadata={"new": "entry", **(client_metadata or {})})
        return PATHWAY

    old()
    images.assert_all_in("Annotate")
    new()  # warnings are errors in this test suite: the new way emits none
    assert seen == {"old": [{}] * 3, "new": [{}] * 3}
    assert [i.client_metadata for i in images.dataset.list_items()] == [{}] * 3
    assert [i.client_metadata for i in fresh.dataset.list_items()] == [{"new": "entry"}] * 3
    fresh.assert_all_in("Review")


# QueueRunner -------------------------------------------------------------------------------
def test_queue_runner_template_with_a_list_as_the_queue(images: TrialProject) -> None:
    runner = QueueRunner(project_hash=images.project_hash, client=images.client)

    @runner.stage(STAGE)
    def my_agent_implementation() -> str:
        # ... do your thing
        return PATHWAY

    # Populate the queue
    my_queue: list[str] = []
    for stage in runner.get_agent_stages():
        for task in stage.get_tasks():
            my_queue.append(task.model_dump_json())

    # Execute on the queue
    results = []
    while my_queue:
        task_spec = my_queue.pop()
        result_json = my_agent_implementation(task_spec)
        result = TaskCompletionResult.model_validate_json(result_json)
        results.append(result)

    assert len(results) == 3
    assert all(r.success and r.pathway_name == PATHWAY and r.error is None for r in results)
    review = images.project.workflow.get_stage(name=STAGE).get_pathway(name=PATHWAY)
    assert {r.pathway for r in results} == {review.uuid}
    images.assert_all_in("Review")


def test_queue_runner_get_agent_stages_lists_only_stages_with_an_agent(
    tmp_path: Path,
) -> None:
    workflow = {
        "stages": [
            {"name": "Agent 1", "type": "agent", "pathways": {"done": "Agent 2"}},
            {"name": "Agent 2", "type": "agent", "pathways": {"done": "Complete"}},
            {"name": "Complete", "type": "complete"},
        ]
    }
    trial = trial_project(tmp_path, images=2, workflow=workflow)
    runner = QueueRunner(project_hash=trial.project_hash, client=trial.client)

    @runner.stage("Agent 2")
    def second() -> str:
        return "done"

    assert [s.name for s in runner.get_agent_stages()] == ["Agent 2"]


# Runner / SequentialRunner ------------------------------------------------------------------
def test_sequential_runner_example_by_stage_name_and_by_uuid(images: TrialProject) -> None:
    stage_uuid = images.project.workflow.get_stage(name=STAGE).uuid
    for stage_ref in (STAGE, str(stage_uuid)):  # "<workflow_node_name>" or "<workflow_node_uuid>"
        runner = Runner(client=images.client)

        @runner.stage(stage_ref)
        def my_agent(task: AgentTask) -> str | UUID | None:
            if task.data_title == "image-0.png":
                return "has objects"  # "pathway name"
            return task.stage.get_pathway(name="empty").uuid  # or pathway uuid

        runner(project_hash=images.project_hash)  # (see __call__ for more arguments)
        images.assert_stages(
            {"image-0.png": "Review", "image-1.png": "Annotate", "image-2.png": "Annotate"}
        )
        for task in images.project.list_tasks():  # back to the agent stage for the next form
            task.move(STAGE)


def test_runner_stage_example_without_parameters(images: TrialProject) -> None:
    runner = Runner(client=images.client)

    @runner.stage(STAGE)  # "<stage_name_or_uuid>"
    def my_func() -> str | None:
        ...
        return "empty"  # "<pathway_name or pathway_uuid>"

    runner(project_hash=images.project_hash)
    images.assert_all_in("Annotate")


def test_runner_stage_example_with_every_kind_of_parameter(videos: TrialProject) -> None:
    runner = Runner(client=videos.client)
    seen: list[tuple[str, str, str, int, float]] = []

    def random_value() -> float:
        import random  # noqa: PLC0415 - as in the example

        return random.random()

    @runner.stage(STAGE)
    def my_func(
        project: Project,
        lr: LabelRow,
        task: AgentTask,
        video_frames: Annotated[Iterator[Frame], Depends(dep_video_iterator)],
        custom: Annotated[float, Depends(random_value)],
    ) -> str | None:
        seen.append(
            (project.title, lr.data_title, task.data_title, len(list(video_frames)), custom)
        )
        return "has objects"

    runner(project_hash=videos.project_hash)
    ((title, lr_title, task_title, frames, custom),) = seen
    assert (title, lr_title, task_title, frames) == ("trial", "clip.mp4", "clip.mp4", 30)
    assert 0.0 <= custom < 1.0
    videos.assert_all_in("Review")


def test_runner_with_pre_execution_callback_checking_the_ontology(images: TrialProject) -> None:
    calls: list[str] = []

    def check_ontology(runner: Runner) -> None:
        ontology = runner.get_project().ontology
        calls.append(ontology.get_object("car").name)

    runner = Runner(
        project_hash=images.project_hash,
        pre_execution_callback=check_ontology,
        client=images.client,
    )

    @runner.stage(STAGE)
    def my_agent() -> str:
        return PATHWAY

    runner(num_retries=3, task_batch_size=300, max_tasks_per_stage=2)
    assert calls == ["car"]
    assert len(images.titles_in("Review")) == 2 and len(images.titles_in(STAGE)) == 1


def _subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTASK_")}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env.update(extra)
    return env


def test_run_example_file_help_and_run(images: TrialProject, tmp_path: Path) -> None:
    example = tmp_path / "agent" / "example.py"
    example.parent.mkdir()
    example.write_text(
        textwrap.dedent(
            f"""\
            from annotask.tasks import Runner

            runner = Runner(project_hash={images.project_hash!r})

            @runner.stage(stage={STAGE!r})
            def your_func() -> str:
                ...
                return {PATHWAY!r}

            if __name__ == "__main__":
                runner.run()
            """
        ),
        encoding="utf-8",
    )
    helped = subprocess.run(
        [sys.executable, str(example), "--help"],
        cwd=example.parent,
        env=_subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert helped.returncode == 0, helped.stderr
    for option in (
        "--refresh-every",
        "--num-retries",
        "--task-batch-size",
        "--project-hash",
        "--max-tasks-per-stage",
        "--db",
    ):
        assert option in helped.stdout
    assert not (example.parent / "annotask.db").exists(), "--help opened a store"
    images.assert_all_in(STAGE)

    db = f"sqlite:///{images.folder / 'trial.db'}"
    ran = subprocess.run(
        [sys.executable, str(example), "--db", db, "--max-tasks-per-stage", "2"],
        cwd=example.parent,
        env=_subprocess_env(ANNOTASK_USER="tester", TERM="dumb"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert len(images.titles_in("Review")) == 2
