"""The queue runner: task specs in, completion results out; stale and repeated specs."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from sqlalchemy import text

import annotask
from annotask import AgentTask, ReviewTask
from annotask.labels import ClassificationInstance, LabelRow
from annotask.store.notifications import TaskListener
from annotask.tasks import QueueRunner, TaskAgentReturnStruct, TaskCompletionResult
from tests.tasks.conftest import MakeProject
from tests.tasks.statements import recording


def _specs(runner: QueueRunner) -> list[str]:
    return [t.model_dump_json() for s in runner.get_agent_stages() for t in s.get_tasks()]


def test_one_spec_gives_one_result(client: annotask.Client, make_project: MakeProject) -> None:
    project = make_project(2)
    runner = QueueRunner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def route(task: AgentTask) -> str:
        return "has objects"

    spec = _specs(runner)[0]
    result = TaskCompletionResult.model_validate_json(route(spec))
    stage = project.workflow.get_stage(name="Pre-label")
    pathway = stage.get_pathway(name="has objects")
    assert result.success and result.error is None
    assert result.pathway == pathway.uuid and result.pathway_name == "has objects"
    assert result.stage_uuid == stage.uuid
    assert Counter(e.to_stage for e in project.events()) == {"Review": 1}


def test_many_specs_give_one_result_holding_each_in_order(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(5)
    runner = QueueRunner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def route(task: AgentTask) -> str | None:
        if task.data_title == "item-0001.txt":
            raise RuntimeError("cannot read it")
        return None if task.data_title == "item-0002.txt" else "empty"

    specs = list(reversed(_specs(runner)))
    combined = TaskCompletionResult.model_validate_json(route(specs))
    assert combined.results is not None
    results = combined.results
    assert combined.task_uuid == [r.task_uuid for r in results]
    assert combined.success == [r.task_uuid for r in results if r.success]
    assert combined.pathway == [r.pathway for r in results]
    assert combined.error is not None and "RuntimeError: cannot read it" in combined.error
    titles = [annotask.WorkflowTask.model_validate_json(s).data_title for s in specs]
    assert [str(r.task_uuid) for r in results] == [
        str(annotask.WorkflowTask.model_validate_json(s).uuid) for s in specs
    ]
    by_title = dict(zip(titles, results, strict=True))
    assert not by_title["item-0001.txt"].success
    assert "RuntimeError: cannot read it" in (by_title["item-0001.txt"].error or "")
    assert "Traceback" in (by_title["item-0001.txt"].error or "")
    assert by_title["item-0002.txt"].success and by_title["item-0002.txt"].pathway is None
    assert sum(r.pathway_name == "empty" for r in results) == 3
    stays = project.list_tasks(stage="Pre-label")
    assert sorted(t.data_title for t in stays) == ["item-0001.txt", "item-0002.txt"]
    assert all(t.lease_owner is None for t in stays)


def test_a_spec_delivered_twice_moves_its_task_once(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    runner = QueueRunner(project.project_hash, client=client)
    calls = []

    @runner.stage("Pre-label")
    def route(task: AgentTask) -> str:
        calls.append(task.uuid)
        return "has objects"

    (spec,) = _specs(runner)
    first = TaskCompletionResult.model_validate_json(route(spec))
    second = TaskCompletionResult.model_validate_json(route(spec))
    assert first.success and not second.success
    assert "no longer in stage 'Pre-label'; it is now in 'Review'" in (second.error or "")
    assert len(calls) == 1 and len(project.events()) == 1


def test_a_spec_for_a_task_a_person_moved_changes_nothing(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    runner = QueueRunner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def route(task: AgentTask) -> str:
        raise AssertionError("must not run")

    (spec,) = _specs(runner)
    (task,) = project.list_tasks()
    task.move("Review")
    review = project.get_task(task.uuid)
    assert isinstance(review, ReviewTask)
    result = TaskCompletionResult.model_validate_json(route(spec))
    assert not result.success and "it is now in 'Review'" in (result.error or "")
    assert [e.action for e in project.events()] == ["move"]


def test_will_set_priority_is_honoured(client: annotask.Client, make_project: MakeProject) -> None:
    project = make_project(2)
    runner = QueueRunner(project.project_hash, client=client)

    @runner.stage("Pre-label", will_set_priority=True)
    def rank() -> TaskAgentReturnStruct:
        return TaskAgentReturnStruct(pathway=None, label_row_priority=0.0)

    rank(_specs(runner))
    assert {t.priority for t in project.list_tasks()} == {0.0}

    @runner.stage("Pre-label", overwrite=True)
    def rank_without_flag() -> TaskAgentReturnStruct:
        return TaskAgentReturnStruct(pathway=None, label_row_priority=1.0)

    results = TaskCompletionResult.model_validate_json(rank_without_flag(_specs(runner))).per_task()
    assert all(not r.success and "will_set_priority=True" in (r.error or "") for r in results)
    assert {t.priority for t in project.list_tasks()} == {0.0}


def test_labels_from_a_queue_agent_commit_with_the_move(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    runner = QueueRunner(project.project_hash, client=client)
    weather = project.ontology.get_classification("weather")

    @runner.stage("Pre-label")
    def classify(lr: LabelRow) -> TaskAgentReturnStruct:
        instance = ClassificationInstance(weather)
        instance.set_for_frames(frames=0)
        instance.set_answer("sunny")
        lr.add_classification_instance(instance)
        return TaskAgentReturnStruct("has objects", lr, 0.3)

    result = classify(_specs(runner))  # a list of one spec gives that spec's result
    assert TaskCompletionResult.model_validate_json(result).success
    (row,) = project.list_label_rows()
    assert row.version == 1 and row.priority == 0.3


def test_bad_specs_are_reported_not_raised(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    runner = QueueRunner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def route() -> str:
        return "empty"

    bad = TaskCompletionResult.model_validate_json(route(["{not json"]))
    assert not bad.success and "not a task spec" in (bad.error or "")


def test_a_queue_runner_needs_an_agent_stage(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    runner = QueueRunner(project.project_hash, client=client)
    with pytest.raises(annotask.ValidationError, match="agent stages are 'Pre-label'"):

        @runner.stage("Annotate")
        def route() -> str:
            return "submit"


def test_a_spec_repeated_in_one_call_runs_once(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    runner = QueueRunner(project.project_hash, client=client)
    calls = []

    @runner.stage("Pre-label")
    def route(task: AgentTask) -> str:
        calls.append(task.uuid)
        return "empty"

    (spec,) = _specs(runner)
    first, second = TaskCompletionResult.model_validate_json(route([spec, spec])).per_task()
    assert first.success and not second.success and "also spec 0" in (second.error or "")
    assert len(calls) == 1


def test_a_user_who_may_not_run_agents_is_refused_before_any_task(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    project.add_member("ann", "annotator")
    with pytest.raises(annotask.AuthorizationError, match="does not allow agent"):
        QueueRunner(project.project_hash, client=client.as_user("ann"))
    runner = QueueRunner(project.project_hash)  # the store is named later (a worker's --db)
    runner.use_client(client.as_user("ann"))

    @runner.stage("Pre-label")
    def route() -> str:
        raise AssertionError("must not run")

    (spec,) = [t.model_dump_json() for t in project.list_tasks()]
    with pytest.raises(annotask.AuthorizationError, match="does not allow agent"):
        route(spec)
    assert project.events() == [] and project.list_tasks()[0].lease_owner is None


def test_one_spec_is_claimed_in_one_statement_then_checked_fenced_moved_and_recorded_in_one(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(2)
    runner = QueueRunner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def route(task: AgentTask) -> str:
        return "has objects"

    first, second = _specs(runner)
    route(first)  # the project and workflow are read once per runner
    with recording(client.store) as rec:
        result = TaskCompletionResult.model_validate_json(route(second))
    assert result.success and result.pathway_name == "has objects"
    claim, commit = rec.transactions
    assert claim.write and commit.write
    if client.store.dialect == "postgresql":
        # each a statement on its own, in autocommit: no BEGIN or COMMIT round trips
        assert claim.autocommit and commit.autocommit
        (claimed,) = claim.statements
        assert claimed.startswith("WITH claimed AS (UPDATE tasks")
        assert "JOIN storage_items" in claimed  # the task's record comes back with the claim
        (moved,) = commit.statements
        # the permission check that every commit makes (a demoted user's worker stops),
        # the fence, the move and its event
        assert moved.startswith("WITH allowed AS (SELECT members.role")
        assert "lease_token = given.token" in moved
        assert "EXISTS (SELECT * FROM allowed" in moved
        assert "INSERT INTO task_events" in moved
        assert rec.statements == [claimed, moved]
        # the claim commits without waiting for the WAL flush; the move (the outcome) waits,
        # and the connection goes back to the pool with the server's durable default
        assert "set_config" in claimed and "set_config" not in moved
        with client.store.read() as conn:
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar_one() == "on"
    else:  # SQLite has no data-modifying CTE: the claim, the record; the lease read, the
        # move (fenced again by its WHERE) and the event, after the permission check that
        # opens every commit
        assert len(claim.statements) == 2
        assert len(commit.work) == 3
    assert Counter(e.to_stage for e in project.events()) == {"Review": 2}


def test_a_spec_whose_lease_was_lost_moves_nothing_and_records_no_event(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    runner = QueueRunner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def taken(task: AgentTask) -> str:
        with client.store.write() as conn:  # another worker claims the task meanwhile
            conn.execute(
                text(
                    "UPDATE tasks SET lease_owner = 'other', lease_token = lease_token + 1,"
                    " lease_expires_at = :t"
                ),
                {"t": time.time() + 60},
            )
        return "has objects"

    (spec,) = _specs(runner)
    result = TaskCompletionResult.model_validate_json(taken(spec))
    assert not result.success and "lease on it was lost" in (result.error or "")
    assert project.events() == []
    (task,) = project.list_tasks(stage="Pre-label")
    assert task.lease_owner == "other"


def test_a_user_demoted_while_the_agent_runs_moves_nothing_and_the_task_is_released(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(2)
    project.add_member("bot", "worker")
    runner = QueueRunner(project.project_hash, client=client.as_user("bot"))

    @runner.stage("Pre-label")
    def route(task: AgentTask) -> str:
        if task.data_title == "item-0001.txt":
            project.add_member("bot", "annotator")  # an owner demotes the worker meanwhile
        return "has objects"

    first, second = sorted(_specs(runner), key=lambda s: '"item-0000.txt"' not in s)
    assert TaskCompletionResult.model_validate_json(route(first)).success
    # the check before claiming is cached for a minute; the one inside the commit is not
    with pytest.raises(annotask.AuthorizationError, match=r"annotator .* does not allow agent"):
        route(second)
    assert len(project.events()) == 1
    (moved,) = project.list_tasks(stage="Review")
    (left,) = project.list_tasks(stage="Pre-label")
    assert moved.data_title == "item-0000.txt"
    assert left.data_title == "item-0001.txt" and left.lease_owner is None


def test_queue_moves_record_the_agent_and_its_version(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(2)
    runner = QueueRunner(project.project_hash, client=client)

    @runner.stage("Pre-label", version="router-3")
    def route(task: AgentTask) -> str:
        return "empty"

    route(_specs(runner))
    events = project.events()
    assert len(events) == 2
    assert {(e.agent, e.agent_version) for e in events} == {
        (route.__wrapped__.__qualname__, "router-3")
    }


def test_a_queue_move_into_an_agent_stage_wakes_that_stages_runners(
    client: annotask.Client, make_project: MakeProject
) -> None:
    if client.store.dialect != "postgresql":
        pytest.skip("notifications are PostgreSQL's (SQLite runners poll)")
    workflow = {
        "stages": [
            {"name": "First", "type": "agent", "pathways": {"on": "Second", "done": "Complete"}},
            {"name": "Second", "type": "agent", "pathways": {"done": "Complete"}},
            {"name": "Complete", "type": "complete"},
        ]
    }
    project = make_project(2, workflow=workflow)
    runner = QueueRunner(project.project_hash, client=client)

    @runner.stage("First")
    def first(task: AgentTask) -> str:
        return "on" if task.data_title == "item-0000.txt" else "done"

    stages = {s.name: str(s.uuid) for s in project.workflow.stages}
    stop = threading.Event()
    second, complete = (
        TaskListener(client.store, [stages[name]], stop) for name in ("Second", "Complete")
    )
    try:
        first(_specs(runner))
        assert second.wait(5)  # the task that entered Second woke its listener
        assert not complete.wait(0.5)  # Complete is not an agent stage: nobody is told
    finally:
        second.close()
        complete.close()
    assert Counter(t.stage.name for t in project.list_tasks()) == {"Second": 1, "Complete": 1}


def test_a_call_of_many_specs_is_claimed_in_one_statement_and_moved_in_another(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(600)
    runner = QueueRunner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def route(task: AgentTask) -> str:
        return "empty"

    with recording(client.store) as rec:
        result = TaskCompletionResult.model_validate_json(route(_specs(runner)))
    assert result.results is not None and all(r.success for r in result.results)
    assert Counter(t.stage.name for t in project.list_tasks()) == {"Annotate": 600}
    assert len(project.events()) == 600
    if client.store.dialect == "postgresql":
        claimed, moved = rec.statements[-2:]
        assert claimed.startswith("WITH claimed AS") and moved.startswith("WITH allowed AS")
