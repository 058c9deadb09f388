"""The seed system's own SequentialRunner tests (and its unit tests of the runner), ported
by changing imports and the account setup (``client=trial.client``)."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from annotask import (
    AgentStage,
    AgentTask,
    AuthorizationError,
    Client,
    FinalStage,
    LabelRow,
    PrintableError,
    Project,
    StorageItem,
)
from annotask.labels import BoundingBoxCoordinates, Object
from annotask.tasks import SequentialRunner, batch_iterator
from annotask.tasks.models import LabelRowMetadataIncludeArgs, TaskAgentReturnStruct
from tests.compat.conftest import (
    AGENT_STAGE_NAME,
    AGENT_TO_COMPLETE_PATHWAY_NAME,
    COMPLETE_STAGE_NAME,
    Ephemeral,
)


def test_batch_iterator() -> None:
    batch_size = 10
    tasks = [f"hash_{i:02d}" for i in range(99)]
    batches = list(batch_iterator(tasks, batch_size))
    assert len(batches) == 10
    assert all(len(batch) == batch_size for batch in batches[:-1])
    assert len(batches[-1]) == 9
    for i, batch in enumerate(batches):
        for j, s in enumerate(batch):
            assert s == f"hash_{i * batch_size + j:02d}"


def test_define_agent(ephemeral_project: Ephemeral) -> None:
    runner = SequentialRunner(
        project_hash=ephemeral_project.project_hash, client=ephemeral_project.trial.client
    )

    @runner.stage(AGENT_STAGE_NAME)
    def agent_func() -> None:
        return None

    with pytest.raises(PrintableError):

        @runner.stage(COMPLETE_STAGE_NAME)
        def complete_func() -> None:
            return None


@pytest.mark.parametrize("which", ["ephemeral_project", "ephemeral_image_project"])
def test_runner_stage_execution_count(request: pytest.FixtureRequest, which: str) -> None:
    ephemeral: Ephemeral = request.getfixturevalue(which)
    runner = SequentialRunner(project_hash=ephemeral.project_hash, client=ephemeral.trial.client)
    calls: list[AgentTask] = []

    @runner.stage(AGENT_STAGE_NAME)
    def agent_function(task: AgentTask) -> str:
        calls.append(task)
        return AGENT_TO_COMPLETE_PATHWAY_NAME

    project = runner.project
    assert project
    N_items = len(project.list_label_rows_v2())
    agent_stage = project.workflow.get_stage(name=AGENT_STAGE_NAME, type_=AgentStage)
    assert N_items == len(list(agent_stage.get_tasks()))
    runner(task_batch_size=2)

    complete_stage = project.workflow.get_stage(name=COMPLETE_STAGE_NAME, type_=FinalStage)
    assert len(calls) == N_items
    assert len(list(complete_stage.get_tasks())) == N_items
    assert len(list(agent_stage.get_tasks())) == 0


def test_runner_stage_execution_with_max_tasks(ephemeral_image_project: Ephemeral) -> None:
    runner = SequentialRunner(
        project_hash=ephemeral_image_project.project_hash,
        client=ephemeral_image_project.trial.client,
    )
    calls: list[AgentTask] = []

    @runner.stage(AGENT_STAGE_NAME)
    def agent_function(task: AgentTask) -> str:
        calls.append(task)
        return AGENT_TO_COMPLETE_PATHWAY_NAME

    runner(max_tasks_per_stage=2)
    assert len(calls) == 2
    project = runner.project
    assert project
    N_items = len(project.list_label_rows_v2())
    complete_stage = project.workflow.get_stage(name=COMPLETE_STAGE_NAME, type_=FinalStage)
    assert len(list(complete_stage.get_tasks())) == 2
    agent_stage = project.workflow.get_stage(name=AGENT_STAGE_NAME, type_=AgentStage)
    assert len(list(agent_stage.get_tasks())) == N_items - 2


def test_runner_stage_execution_without_pathway(ephemeral_project: Ephemeral) -> None:
    runner = SequentialRunner(
        project_hash=ephemeral_project.project_hash, client=ephemeral_project.trial.client
    )
    calls: list[AgentTask] = []

    @runner.stage(AGENT_STAGE_NAME)
    def agent_function(task: AgentTask) -> None:
        calls.append(task)

    runner()
    assert runner.project is not None
    agent_stage = next(s for s in runner.project.workflow.stages if s.title == AGENT_STAGE_NAME)
    left = len(list(agent_stage.get_tasks()))
    in_project = len(list(runner.project.list_label_rows_v2()))
    assert left == in_project
    assert len(calls) == in_project


@pytest.mark.parametrize("provide_project_hash_at_define_time", [True, False])
def test_project_validation_callback_trivial(
    ephemeral_project: Ephemeral, provide_project_hash_at_define_time: bool
) -> None:
    called_with: list[SequentialRunner] = []
    runner = SequentialRunner(
        project_hash=(
            ephemeral_project.project_hash if provide_project_hash_at_define_time else None
        ),
        pre_execution_callback=called_with.append,
        client=ephemeral_project.trial.client,
    )
    assert called_with == []  # not validated at define time

    @runner.stage(AGENT_STAGE_NAME)
    def stage_1() -> None:
        return None

    runner(
        project_hash=ephemeral_project.project_hash
        if not provide_project_hash_at_define_time
        else None,
    )
    assert called_with == [runner]


def test_project_validation_callback_non_trivial(ephemeral_project: Ephemeral) -> None:
    def non_trivial_validation_callback(runner: SequentialRunner) -> None:
        project = runner.project
        assert project
        assert project.ontology_structure.objects
        assert project.workflow.stages

    runner = SequentialRunner(
        project_hash=ephemeral_project.project_hash,
        pre_execution_callback=non_trivial_validation_callback,
        client=ephemeral_project.trial.client,
    )

    @runner.stage(AGENT_STAGE_NAME)
    def stage_1() -> None:
        return None

    runner()


@pytest.mark.parametrize("provide_project_hash_at_define_time", [True, False])
def test_project_validation_callback_throws(
    ephemeral_project: Ephemeral, provide_project_hash_at_define_time: bool
) -> None:
    def throwing_callback(runner: SequentialRunner) -> None:
        raise AssertionError("the project is not fit for this agent")

    runner = SequentialRunner(
        project_hash=(
            ephemeral_project.project_hash if provide_project_hash_at_define_time else None
        ),
        pre_execution_callback=throwing_callback,
        client=ephemeral_project.trial.client,
    )

    @runner.stage(AGENT_STAGE_NAME)
    def stage_1() -> None:
        return None

    with pytest.raises(AssertionError):
        runner(
            project_hash=ephemeral_project.project_hash
            if not provide_project_hash_at_define_time
            else None
        )


@pytest.mark.parametrize("pathway_name", [True, False], ids=["wrong name", "wrong UUID"])
def test_a_wrong_pathway_fails_the_task_and_names_the_pathways(
    ephemeral_project: Ephemeral, pathway_name: bool
) -> None:
    """The seed's aborts the run with PrintableError (losing the batch); annotask fails that
    task alone, records the error naming the stage's pathways and runs the others."""
    runner = SequentialRunner(
        project_hash=ephemeral_project.project_hash, client=ephemeral_project.trial.client
    )
    wrong_pathway: str | UUID = "Not the name of the pathway" if pathway_name else uuid4()

    @runner.stage(AGENT_STAGE_NAME)
    def agent_function(task: AgentTask) -> str | UUID:
        return wrong_pathway

    report = runner(num_retries=0)
    assert report.failed == len(ephemeral_project.trial.stages())
    task = ephemeral_project.trial.project.list_tasks()[0]
    assert task.last_error is not None
    assert AGENT_TO_COMPLETE_PATHWAY_NAME in task.last_error
    assert ephemeral_project.pathway_hash in task.last_error


def test_queue_runner_resolves_agent_stage(ephemeral_project: Ephemeral) -> None:
    runner = SequentialRunner(
        project_hash=ephemeral_project.project_hash, client=ephemeral_project.trial.client
    )

    @runner.stage(AGENT_STAGE_NAME)
    def agent_func(stage: AgentStage) -> str:
        assert stage
        assert stage.title == AGENT_STAGE_NAME
        assert stage.pathways
        pathway = stage.pathways[0]
        assert pathway.name == AGENT_TO_COMPLETE_PATHWAY_NAME
        assert str(pathway.uuid) == ephemeral_project.pathway_hash
        return pathway.name

    assert runner().moved == len(ephemeral_project.trial.stages())


def test_runner_storage_item_order_is_correct(ephemeral_project: Ephemeral) -> None:
    client = ephemeral_project.trial.client
    fails: list[int] = []
    runner = SequentialRunner(project_hash=ephemeral_project.project_hash, client=client)

    @runner.stage(AGENT_STAGE_NAME)
    def w_lr(label_row: LabelRow, storage_item: StorageItem) -> None:
        if storage_item.uuid != label_row.backing_item_uuid:
            fails.append(1)

    runner()
    assert sum(fails) == 0

    runner = SequentialRunner(project_hash=ephemeral_project.project_hash, client=client)

    @runner.stage(AGENT_STAGE_NAME)
    def wo_lr(task: AgentTask, project: Project, storage_item: StorageItem) -> None:
        label_row = project.list_label_rows_v2(data_hashes=[task.data_hash])[0]
        if storage_item.uuid != label_row.backing_item_uuid:
            fails.append(1)

    runner()
    assert sum(fails) == 0


def test_runner_return_struct_object(ephemeral_image_project: Ephemeral) -> None:
    runner = SequentialRunner(
        project_hash=ephemeral_image_project.project_hash,
        client=ephemeral_image_project.trial.client,
    )
    assert runner.project
    bbox_object = runner.project.ontology_structure.get_child_by_hash(
        ephemeral_image_project.bbox_hash, type_=Object
    )

    @runner.stage(AGENT_STAGE_NAME)
    def update_label_row(label_row: LabelRow) -> TaskAgentReturnStruct:
        obj_instance = bbox_object.create_instance()
        obj_instance.set_for_frames(
            BoundingBoxCoordinates(height=0.5, width=0.5, top_left_x=0, top_left_y=0)
        )
        label_row.add_object_instance(obj_instance)
        return TaskAgentReturnStruct(
            pathway=ephemeral_image_project.pathway_hash,
            label_row=label_row,
            label_row_priority=0.1337,
        )

    runner()
    lrs = runner.project.list_label_rows_v2()
    with runner.project.create_bundle() as bundle:
        for row in lrs:
            row.initialise_labels(bundle=bundle)
    for row in lrs:
        assert row.get_object_instances()
        assert row.priority == 0.1337
    agent_stage = runner.project.workflow.get_stage(name=AGENT_STAGE_NAME, type_=AgentStage)
    assert len(list(agent_stage.get_tasks())) == 0


def test_runner_set_bundled_priority(ephemeral_project: Ephemeral) -> None:
    runner = SequentialRunner(
        project_hash=ephemeral_project.project_hash, client=ephemeral_project.trial.client
    )
    assert runner.project

    @runner.stage(AGENT_STAGE_NAME, will_set_priority=True)
    def update_label_row_priority() -> TaskAgentReturnStruct:
        return TaskAgentReturnStruct(label_row_priority=0.1337)

    runner()
    for row in runner.project.list_label_rows_v2():
        assert row.priority == 0.1337


def test_runner_loads_and_saves_the_named_label_branch(ephemeral_project: Ephemeral) -> None:
    """As the seed's: an agent bound with ``branch_name`` receives the rows of that branch;
    what it saves lands there and leaves ``main`` alone."""
    runner = SequentialRunner(
        project_hash=ephemeral_project.project_hash, client=ephemeral_project.trial.client
    )
    seen: list[str] = []

    @runner.stage(
        AGENT_STAGE_NAME,
        label_row_metadata_include_args=LabelRowMetadataIncludeArgs(branch_name="BRANCH"),
    )
    def label_branch(label_row: LabelRow) -> TaskAgentReturnStruct:
        assert label_row.branch_name == "BRANCH"
        seen.append(label_row.data_hash)
        label_row.set_priority(0.25)
        return TaskAgentReturnStruct(label_row=label_row)

    assert runner().failed == 0
    project = runner.project
    assert seen and len(seen) == len(project.list_label_rows_v2())
    assert all(r.version == 1 for r in project.list_label_rows_v2(branch_name="BRANCH"))
    assert all(r.version == 0 for r in project.list_label_rows_v2())
    assert all(r.priority == 0.25 for r in project.list_label_rows_v2())


def test_runner_on_branch_main_is_the_default(ephemeral_project: Ephemeral) -> None:
    runner = SequentialRunner(
        project_hash=ephemeral_project.project_hash, client=ephemeral_project.trial.client
    )

    @runner.stage(
        AGENT_STAGE_NAME,
        label_row_metadata_include_args=LabelRowMetadataIncludeArgs(branch_name="main"),
    )
    def main_branch(label_row: LabelRow) -> None:
        assert label_row.branch_name == "main"

    assert runner().failed == 0


def test_runner_can_take_user_client(ephemeral_project: Ephemeral, tmp_path: object) -> None:
    SequentialRunner(
        project_hash=ephemeral_project.project_hash, client=ephemeral_project.trial.client
    )
    stranger: Client = ephemeral_project.trial.client.as_user("mallory")
    with pytest.raises(AuthorizationError):
        SequentialRunner(project_hash=ephemeral_project.project_hash, user_client=stranger)


# the seed's unit tests of the runner (tests/test_tasks.py) --------------------------------
def test_overrride_runner() -> None:
    runner = SequentialRunner()

    @runner.stage(stage="Yep")
    def method_1() -> str:
        return "1"

    with pytest.raises(PrintableError):

        @runner.stage(stage="Yep")
        def method_2() -> str:
            return "2"

    @runner.stage(stage="Yep", overwrite=True)
    def method_3() -> str:
        return "3"

    assert len(runner.agents) == 1
    agent_YEP = runner.agents[0]
    assert agent_YEP.callable() == "3"


def test_override_runner_preserves_order() -> None:
    runner = SequentialRunner()

    @runner.stage(stage="Stage1")
    def method_1() -> str:
        return "1"

    @runner.stage(stage="Stage2")
    def method_2() -> str:
        return "2"

    @runner.stage(stage="Stage1", overwrite=True)
    def method_3() -> str:
        return "3"

    assert len(runner.agents) == 2
    assert [agent.identity for agent in runner.agents] == ["Stage1", "Stage2"]
    assert runner.agents[0].callable() == "3"
    assert runner.agents[1].callable() == "2"


def test_max_tasks_per_stage_validation() -> None:
    runner = SequentialRunner()
    with pytest.raises(PrintableError):
        runner(max_tasks_per_stage=-1)
