"""Batch stages: one agent call for many tasks, lists injected per task, bad items alone."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

import annotask
from annotask import AgentTask, ValidationError
from annotask.labels import BoundingBoxCoordinates, LabelRow, ObjectInstance
from annotask.tasks import Depends, QueueRunner, Runner, TaskAgentReturnStruct, TaskCompletionResult
from annotask.tasks.dependencies import dep_single_frame
from tests.definitions import ONTOLOGY, WORKFLOW
from tests.tasks.conftest import MakeProject, MakeSqliteProject


def _stages(project: annotask.Project) -> Counter[str]:
    return Counter({k: sum(v.values()) for k, v in project.task_counts().items() if v})


def test_one_bad_item_in_a_batch_of_32_fails_alone(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(32)
    calls: list[tuple[int, bool]] = []
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label", batch_size=32)
    def pre_label(tasks: list[AgentTask]) -> list[str]:
        bad = any(t.data_title == "item-0013.txt" for t in tasks)
        calls.append((len(tasks), bad))
        if bad:
            raise RuntimeError("the model cannot read item 13")
        return ["empty"] * len(tasks)

    report = runner(num_retries=1)
    assert report.moved == 31 and report.failed == 1
    # halves down to the bad item alone (then retried once); the good halves run as batches
    assert [size for size, bad in calls if bad] == [32, 16, 8, 4, 2, 1, 1]
    assert sorted(size for size, bad in calls if not bad) == [1, 2, 4, 8, 16]
    (failed,) = project.list_tasks(failed=True)
    assert failed.data_title == "item-0013.txt"
    assert "the model cannot read item 13" in (failed.last_error or "")
    assert _stages(project) == Counter({"Annotate": 31, "Pre-label": 1})


def test_lists_are_injected_per_task_and_results_settle_in_order(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    paths = []
    for i in range(5):
        path = folder / f"img{i}.png"
        Image.new("RGB", (8 + i, 6), (50 * i, 0, 0)).save(path)
        paths.append(path)
    with annotask.Client(f"sqlite:///{tmp_path / 'b.db'}", user="alice") as client:
        dataset = client.create_dataset("images")
        dataset.add_items(paths)
        project = client.create_project(
            "batch", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
        )
        sizes: list[int] = []
        runner = Runner(project.project_hash, client=client)

        @runner.stage("Pre-label", batch_size=2)
        def pre_label(
            label_rows: list[LabelRow],
            frames: Annotated[list[NDArray[np.uint8]], Depends(dep_single_frame)],
        ) -> list[TaskAgentReturnStruct]:
            sizes.append(len(frames))
            results = []
            for row, frame in zip(label_rows, frames, strict=True):
                assert frame.shape == (6, 8 + int(row.data_title[3]), 3)
                box = ObjectInstance(row.ontology.get_object("car"))
                box.set_for_frames(
                    BoundingBoxCoordinates(0.1, 0.1, 0.2, 0.2), frames=0, confidence=0.9
                )
                row.add_object_instance(box)
                red = int(frame[0, 0, 0])
                results.append(
                    TaskAgentReturnStruct(
                        pathway="has objects" if red >= 100 else "empty", label_row=row
                    )
                )
            return results

        report = runner()
        assert sizes == [2, 2, 1]
        assert report.moved == 5
        assert _stages(project) == Counter({"Review": 3, "Annotate": 2})
        for row in project.list_label_rows():
            row.initialise_labels()
            assert len(row.get_object_instances()) == 1


def test_a_batch_agent_returning_the_wrong_number_of_results_fails_its_tasks(
    make_sqlite_project: MakeSqliteProject,
) -> None:
    project, client = make_sqlite_project(3)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label", batch_size=3)
    def pre_label(tasks: list[AgentTask]) -> list[str]:
        return []

    report = runner(num_retries=0)
    assert report.failed == 3 and report.moved == 0
    errors = {t.last_error.strip().splitlines()[-1] for t in project.list_tasks(failed=True)}
    assert errors == {
        "annotask.errors.ValidationError: batch agent "
        "test_a_batch_agent_returning_the_wrong_number_of_results_fails_its_tasks.<locals>."
        "pre_label returned 0 result(s) for 1 task(s); return one result per task, in order"
    }


def test_the_next_batch_is_prepared_while_the_agent_works(
    make_sqlite_project: MakeSqliteProject,
) -> None:
    project, client = make_sqlite_project(16)
    spans: dict[str, list[tuple[float, float]]] = {"prepare": [], "agent": []}
    runner = Runner(project.project_hash, client=client)

    def decoded(task: AgentTask) -> str:
        started = time.monotonic()
        time.sleep(0.05)
        spans["prepare"].append((started, time.monotonic()))
        return task.data_title

    @runner.stage("Pre-label", batch_size=4)
    def pre_label(titles: Annotated[list[str], Depends(decoded)]) -> list[str]:
        started = time.monotonic()
        time.sleep(0.2)
        spans["agent"].append((started, time.monotonic()))
        return ["empty"] * len(titles)

    assert runner(threads=4).moved == 16
    overlapping = [p for p in spans["prepare"] if any(a[0] < p[0] < a[1] for a in spans["agent"])]
    assert len(overlapping) >= 8  # batches 2..4 were decoded while the agent ran


def test_batch_size_below_one_is_refused_at_decoration() -> None:
    runner = Runner()
    with pytest.raises(ValidationError, match="batch_size must be at least 1"):

        @runner.stage("Pre-label", batch_size=0)
        def pre_label(tasks: list[AgentTask]) -> list[str]:
            return []


def test_queue_specs_for_a_batch_stage_run_as_one_batch(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(6)
    calls: list[int] = []
    runner = QueueRunner(project.project_hash, client=client)

    @runner.stage("Pre-label", batch_size=8)
    def pre_label(tasks: list[AgentTask]) -> list[str]:
        calls.append(len(tasks))
        return ["empty"] * len(tasks)

    specs = [t.model_dump_json() for s in runner.get_agent_stages() for t in s.get_tasks()]
    combined = TaskCompletionResult.model_validate_json(pre_label(specs))
    results = combined.results or []
    assert len(results) == 6
    assert calls == [6]
    assert all(r.success and r.pathway_name == "empty" for r in results)
    assert _stages(project) == Counter({"Annotate": 6})
