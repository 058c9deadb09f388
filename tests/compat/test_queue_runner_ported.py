"""The seed system's own QueueRunner tests, ported by changing imports and the account setup
(``client=trial.client``). Where annotask differs on purpose, the test says so and asserts
what annotask does instead (README, "Coming from the seed's API")."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from annotask import AgentStage, AgentTask, DataType, FinalStage, LabelRow
from annotask.labels import BoundingBoxCoordinates, Object
from annotask.tasks import QueueRunner
from annotask.tasks.models import TaskAgentReturnStruct, TaskCompletionResult
from tests.compat.conftest import (
    AGENT_STAGE_NAME,
    AGENT_TO_COMPLETE_PATHWAY_NAME,
    COMPLETE_STAGE_NAME,
    Ephemeral,
)


def test_list_agent_stages(ephemeral_project: Ephemeral) -> None:
    queue_runner = QueueRunner(
        project_hash=ephemeral_project.project_hash, client=ephemeral_project.trial.client
    )
    with pytest.raises(StopIteration):
        next(iter(queue_runner.get_agent_stages()))

    @queue_runner.stage(AGENT_STAGE_NAME)
    def agent_func() -> None:
        return None

    agent_stages_iter = iter(queue_runner.get_agent_stages())
    stage = next(agent_stages_iter)
    assert stage.title == AGENT_STAGE_NAME
    with pytest.raises(StopIteration):
        next(agent_stages_iter)


def test_queue_runner_e2e(ephemeral_project: Ephemeral) -> None:
    queue_runner = QueueRunner(
        project_hash=ephemeral_project.project_hash, client=ephemeral_project.trial.client
    )
    calls: list[AgentTask] = []

    @queue_runner.stage(AGENT_STAGE_NAME)
    def agent_func(agent_task: AgentTask) -> str:
        calls.append(agent_task)
        return AGENT_TO_COMPLETE_PATHWAY_NAME

    queue: list[str] = []
    for stage in queue_runner.get_agent_stages():
        for task in stage.get_tasks():
            queue.append(task.model_dump_json())
    assert queue_runner.project
    N_items = len(queue_runner.project.list_label_rows_v2())
    assert len(queue) == N_items

    agent_stage = queue_runner.project.workflow.get_stage(name=AGENT_STAGE_NAME, type_=AgentStage)
    assert len(list(agent_stage.get_tasks())) == N_items
    final_stage = queue_runner.project.workflow.get_stage(
        name=COMPLETE_STAGE_NAME, type_=FinalStage
    )
    assert len(list(final_stage.get_tasks())) == 0

    while queue:
        task_spec = queue.pop()
        agent_task = AgentTask.model_validate_json(task_spec)
        result_json = agent_func(task_spec)
        result = TaskCompletionResult.model_validate_json(result_json)
        assert result.success
        assert not result.error
        assert result.pathway == UUID(ephemeral_project.pathway_hash)
        assert result.stage_uuid == agent_stage.uuid
        assert result.task_uuid == agent_task.uuid

    assert len(list(agent_stage.get_tasks())) == 0
    assert len(list(final_stage.get_tasks())) == N_items
    assert len(calls) == N_items


def test_queue_runner_worker_batches(ephemeral_image_project: Ephemeral) -> None:
    queue_runner = QueueRunner(
        project_hash=ephemeral_image_project.project_hash,
        client=ephemeral_image_project.trial.client,
    )
    calls: list[AgentTask] = []

    @queue_runner.stage(AGENT_STAGE_NAME)
    def agent_func(label_row: LabelRow, agent_task: AgentTask) -> str:
        calls.append(agent_task)
        assert label_row.is_labelling_initialised
        return AGENT_TO_COMPLETE_PATHWAY_NAME

    queue = [t.model_dump_json() for s in queue_runner.get_agent_stages() for t in s.get_tasks()]
    assert queue_runner.project
    N_items = len(queue_runner.project.list_label_rows_v2())
    assert len(queue) == N_items
    BATCH_SIZE = 3
    agent_stage = queue_runner.project.workflow.get_stage(name=AGENT_STAGE_NAME, type_=AgentStage)

    for batch_start in range(0, N_items, BATCH_SIZE):
        batch_task_specs = queue[batch_start : batch_start + BATCH_SIZE]
        task_specs = [AgentTask.model_validate_json(ts) for ts in batch_task_specs]
        result = TaskCompletionResult.model_validate_json(agent_func(batch_task_specs))
        assert result.success
        assert not result.error
        assert result.stage_uuid == agent_stage.uuid
        if len(task_specs) == 1:  # a list of one gives that spec's plain result, as the seed's
            assert result.pathway == UUID(ephemeral_image_project.pathway_hash)
            assert result.task_uuid == task_specs[0].uuid
            continue
        assert result.pathway == [UUID(ephemeral_image_project.pathway_hash) for _ in task_specs]
        assert result.task_uuid == [task_spec.uuid for task_spec in task_specs]
        # beyond the seed: each spec's own result, in order
        assert [r.task_uuid for r in result.per_task()] == result.task_uuid

    assert len(list(agent_stage.get_tasks())) == 0
    assert len(calls) == N_items


def test_a_batch_keeps_each_task_aligned_when_some_fail(ephemeral_image_project: Ephemeral) -> None:
    """annotask's addition: in a list result, pathway and pathway_name are one per task (None
    where it did not move), success lists the tasks that succeeded and error names each
    failed task; the seed's drops the entries of tasks that did not move."""
    queue_runner = QueueRunner(
        project_hash=ephemeral_image_project.project_hash,
        client=ephemeral_image_project.trial.client,
    )

    @queue_runner.stage(AGENT_STAGE_NAME)
    def agent_func(agent_task: AgentTask) -> str | None:
        if agent_task.data_title == "1.png":
            raise RuntimeError("model crashed")
        return None if agent_task.data_title == "2.png" else AGENT_TO_COMPLETE_PATHWAY_NAME

    specs = {
        t.data_title: t.model_dump_json()
        for s in queue_runner.get_agent_stages()
        for t in s.get_tasks()
    }
    batch = [specs["0.png"], specs["1.png"], specs["2.png"]]
    uuids = [AgentTask.model_validate_json(s).uuid for s in batch]
    result = TaskCompletionResult.model_validate_json(agent_func(batch))
    assert result.task_uuid == uuids
    assert result.success == [uuids[0], uuids[2]]
    assert result.pathway == [UUID(ephemeral_image_project.pathway_hash), None, None]
    assert result.pathway_name == [AGENT_TO_COMPLETE_PATHWAY_NAME, None, None]
    assert result.error is not None and f"task {uuids[1]}" in result.error
    assert "RuntimeError: model crashed" in result.error
    assert [bool(r.success) for r in result.per_task()] == [True, False, True]


def test_queue_runner_passes_errors_appropriately(ephemeral_project: Ephemeral) -> None:
    queue_runner = QueueRunner(
        project_hash=ephemeral_project.project_hash, client=ephemeral_project.trial.client
    )

    @queue_runner.stage(AGENT_STAGE_NAME)
    def agent_func(agent_task: AgentTask) -> str:
        raise Exception()

    queue = [t.model_dump_json() for s in queue_runner.get_agent_stages() for t in s.get_tasks()]
    assert queue_runner.project
    N_items = len(queue_runner.project.list_label_rows_v2())
    assert len(queue) == N_items
    agent_stage = queue_runner.project.workflow.get_stage(name=AGENT_STAGE_NAME, type_=AgentStage)

    while queue:
        task_spec = queue.pop()
        agent_task = AgentTask.model_validate_json(task_spec)
        result = TaskCompletionResult.model_validate_json(agent_func(task_spec))
        assert not result.success
        assert result.error
        assert "Exception" in result.error
        assert result.pathway is None
        assert result.stage_uuid == agent_stage.uuid
        assert result.task_uuid == agent_task.uuid

    assert len(list(agent_stage.get_tasks())) == N_items
    final_stage = queue_runner.project.workflow.get_stage(
        name=COMPLETE_STAGE_NAME, type_=FinalStage
    )
    assert len(list(final_stage.get_tasks())) == 0


@pytest.mark.parametrize("pathway_name", [True, False], ids=["wrong name", "wrong UUID"])
def test_a_wrong_pathway_fails_that_task_and_names_the_pathways(
    ephemeral_project: Ephemeral, pathway_name: bool
) -> None:
    """The seed's raises PrintableError out of the wrapped function; annotask returns the
    task's failure (the queue message is settled, the other specs of the call are not
    lost) with the same information: the pathways the stage has."""
    queue_runner = QueueRunner(
        project_hash=ephemeral_project.project_hash, client=ephemeral_project.trial.client
    )
    wrong_pathway: str | UUID = "Not the name of the pathway" if pathway_name else uuid4()

    @queue_runner.stage(AGENT_STAGE_NAME)
    def agent_function(task: AgentTask) -> str | UUID:
        return wrong_pathway

    queue = [t.model_dump_json() for s in queue_runner.get_agent_stages() for t in s.get_tasks()]
    while queue:
        result = TaskCompletionResult.model_validate_json(agent_function(queue.pop()))
        assert not result.success and result.error is not None
        assert AGENT_TO_COMPLETE_PATHWAY_NAME in result.error
        assert ephemeral_project.pathway_hash in result.error


def test_queue_runner_return_struct_object(ephemeral_project: Ephemeral) -> None:
    queue_runner = QueueRunner(
        project_hash=ephemeral_project.project_hash, client=ephemeral_project.trial.client
    )
    assert queue_runner.project
    bbox_object = queue_runner.project.ontology_structure.get_child_by_hash(
        ephemeral_project.bbox_hash, type_=Object
    )
    N_items = len(queue_runner.project.list_label_rows_v2())

    @queue_runner.stage(AGENT_STAGE_NAME)
    def update_label_row(label_row: LabelRow) -> TaskAgentReturnStruct:
        if label_row.data_type in [DataType.AUDIO, DataType.PLAIN_TEXT]:
            return TaskAgentReturnStruct(
                pathway=ephemeral_project.pathway_hash, label_row=label_row
            )
        obj_instance = bbox_object.create_instance()
        obj_instance.set_for_frames(
            BoundingBoxCoordinates(height=0.5, width=0.5, top_left_x=0, top_left_y=0)
        )
        label_row.add_object_instance(obj_instance)
        return TaskAgentReturnStruct(pathway=ephemeral_project.pathway_hash, label_row=label_row)

    queue = [t.model_dump_json() for s in queue_runner.get_agent_stages() for t in s.get_tasks()]
    assert len(queue) == N_items
    while queue:
        result = TaskCompletionResult.model_validate_json(update_label_row(queue.pop()))
        assert result.success
        assert not result.error
        assert result.pathway == UUID(ephemeral_project.pathway_hash)

    lrs = queue_runner.project.list_label_rows_v2()
    with queue_runner.project.create_bundle() as bundle:
        for row in lrs:
            row.initialise_labels(bundle=bundle)
        assert not any(row.is_labelling_initialised for row in lrs)  # deferred to the end
    for row in lrs:
        if row.data_type in [DataType.AUDIO, DataType.PLAIN_TEXT]:
            continue
        assert row.get_object_instances()
    agent_stage = queue_runner.project.workflow.get_stage(name=AGENT_STAGE_NAME, type_=AgentStage)
    assert len(list(agent_stage.get_tasks())) == 0
    final_stage = queue_runner.project.workflow.get_stage(
        name=COMPLETE_STAGE_NAME, type_=FinalStage
    )
    assert len(list(final_stage.get_tasks())) == N_items
