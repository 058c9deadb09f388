"""The sequential runner: every task once, batches, caps, returns, failures, atomic commits."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated
from uuid import UUID

import pytest

import annotask
from annotask import AgentTask, PathwayError, StorageItem, ValidationError
from annotask.labels import BoundingBoxCoordinates, LabelRow, ObjectInstance
from annotask.store import labels as label_store
from annotask.store import tasks as task_store
from annotask.tasks import Backoff, Depends, Runner, TaskAgentReturnStruct
from tests.tasks.conftest import MakeProject
from tests.tasks.statements import recording


def _stages(project: annotask.Project) -> Counter[str]:
    return Counter({k: sum(v.values()) for k, v in project.task_counts().items() if v})


def _box() -> BoundingBoxCoordinates:
    return BoundingBoxCoordinates(top_left_x=0.1, top_left_y=0.2, width=0.3, height=0.4)


def test_every_task_runs_once_and_moves(client: annotask.Client, make_project: MakeProject) -> None:
    project = make_project(1000)
    seen: Counter[UUID] = Counter()
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def route(task: AgentTask) -> str:
        seen[task.uuid] += 1
        return "empty" if task.data_title.endswith(("0.txt", "5.txt")) else "has objects"

    report = runner(task_batch_size=11)
    assert len(seen) == 1000 and set(seen.values()) == {1}
    assert _stages(project) == Counter({"Review": 800, "Annotate": 200})
    assert report.moved == 1000 and report.stages[0].moved == {"has objects": 800, "empty": 200}
    events = project.events()
    assert len(events) == 1000 and {e.action for e in events} == {"proceed"}
    assert Counter(e.task_uuid for e in events).most_common(1)[0][1] == 1


def test_a_cap_of_two_moves_exactly_two(client: annotask.Client, make_project: MakeProject) -> None:
    project = make_project(5)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def route() -> str:
        return "empty"

    runner(max_tasks_per_stage=2)
    assert _stages(project) == Counter({"Pre-label": 3, "Annotate": 2})


@pytest.mark.parametrize("cap", [0, -1])
def test_a_cap_below_one_is_refused_before_any_work(
    client: annotask.Client, make_project: MakeProject, cap: int
) -> None:
    project = make_project(2)
    calls = []
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def route() -> str:
        calls.append(1)
        return "empty"

    with pytest.raises(ValidationError, match="max_tasks_per_stage must be at least 1"):
        runner(max_tasks_per_stage=cap)
    assert calls == [] and _stages(project) == Counter({"Pre-label": 2})


def test_returning_none_moves_nothing_and_releases_the_lease(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(4)
    runner = Runner(project.project_hash, client=client)
    calls = []

    @runner.stage("Pre-label")
    def stay(task: AgentTask) -> None:
        calls.append(task.uuid)

    report = runner()
    assert len(calls) == 4 and report.stages[0].stayed == 4
    assert _stages(project) == Counter({"Pre-label": 4})
    tasks = project.list_tasks()
    assert all(t.lease_owner is None and t.lease_expires_at is None for t in tasks)
    assert project.events() == []
    runner()  # a later run sees them again
    assert len(calls) == 8


def test_callback_runs_once_before_any_task(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(3)
    order: list[str] = []

    def check(r: annotask.tasks.SequentialRunner) -> None:
        assert r is runner
        order.append("callback")

    runner = Runner(project.project_hash, client=client, pre_execution_callback=check)

    @runner.stage("Pre-label")
    def route() -> str:
        order.append("task")
        return "empty"

    runner()
    assert order == ["callback", "task", "task", "task"]


def test_a_callback_error_stops_the_run_before_any_task(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(3)

    def refuse(_: object) -> None:
        raise RuntimeError("ontology lacks 'car'")

    runner = Runner(project.project_hash, client=client, pre_execution_callback=refuse)

    @runner.stage("Pre-label")
    def route() -> str:
        raise AssertionError("must not run")

    with pytest.raises(RuntimeError, match="ontology lacks"):
        runner()
    assert _stages(project) == Counter({"Pre-label": 3})
    assert all(t.lease_owner is None for t in project.list_tasks())


def test_a_wrong_pathway_fails_that_task_only_listing_the_valid_ones(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(6)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def route(task: AgentTask) -> str:
        return "nowhere" if task.data_title == "item-0003.txt" else "empty"

    report = runner(task_batch_size=3)
    assert report.stages[0].failed == 1 and report.moved == 5
    failed = project.list_tasks(failed=True)
    assert [t.data_title for t in failed] == ["item-0003.txt"]
    error = failed[0].last_error or ""
    assert "PathwayError" in error and "'has objects'" in error and "'empty'" in error
    assert failed[0].attempts == 1  # a wrong pathway is not retried


def test_a_pathway_uuid_and_task_proceed_both_move(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(2)
    stage = project.workflow.get_stage(name="Pre-label")
    empty = stage.get_pathway(name="empty")
    runner = Runner(project.project_hash, client=client)

    @runner.stage(str(stage.uuid))
    def route(task: AgentTask) -> str | UUID | None:
        if task.data_title == "item-0000.txt":
            return empty.uuid
        task.proceed(pathway_name="has objects")
        return None

    runner()
    assert _stages(project) == Counter({"Annotate": 1, "Review": 1})
    assert {e.pathway for e in project.events()} == {"empty", "has objects"}


def test_labels_priority_and_metadata_commit_with_the_move(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(3)
    car = project.ontology.get_object("car")
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def label(lr: LabelRow, item: StorageItem) -> TaskAgentReturnStruct:
        instance = ObjectInstance(car)
        instance.set_for_frames(_box(), frames=0, confidence=0.4)
        lr.add_object_instance(instance)
        item.update(client_metadata={"checked": True})
        return TaskAgentReturnStruct(pathway="has objects", label_row=lr, label_row_priority=0.0)

    runner()
    rows = project.list_label_rows()
    assert {r.version for r in rows} == {1}
    assert {t.priority for t in project.list_tasks()} == {0.0}
    for row in rows:
        row.initialise_labels()
        assert len(row.get_object_instances()) == 1
        assert row.client_metadata == {"checked": True}
        assert row.history()[0].workflow_stage == "Pre-label"


def test_priority_zero_from_set_priority_without_save_is_committed(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(2)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def rank(lr: LabelRow) -> None:
        lr.set_priority(0.0)

    runner()
    assert {t.priority for t in project.list_tasks()} == {0.0}
    assert {r.version for r in project.list_label_rows()} == {0}


def test_will_set_priority_without_a_label_row_parameter(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(2)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label", will_set_priority=True)
    def rank() -> TaskAgentReturnStruct:
        return TaskAgentReturnStruct(pathway=None, label_row_priority=0.0)

    runner()
    assert {t.priority for t in project.list_tasks()} == {0.0}
    other = make_project(1)
    forgetful = Runner(other.project_hash, client=client)

    @forgetful.stage("Pre-label")
    def rank_without_flag() -> TaskAgentReturnStruct:
        return TaskAgentReturnStruct(pathway=None, label_row_priority=0.0)

    forgetful(num_retries=0)
    (failed,) = other.list_tasks(failed=True)
    assert failed.priority == 0.5 and "will_set_priority=True" in (failed.last_error or "")


def test_an_agent_failure_changes_nothing_for_its_task(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    car = project.ontology.get_object("car")
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def half_done(lr: LabelRow, item: StorageItem) -> str:
        instance = ObjectInstance(car)
        instance.set_for_frames(_box(), frames=0)
        lr.add_object_instance(instance)
        lr.save()
        item.update(client_metadata={"half": True})
        raise RuntimeError("model crashed")

    runner(num_retries=1)
    (task,) = project.list_tasks()
    assert task.attempts == 2 and "RuntimeError: model crashed" in (task.last_error or "")
    assert task.status == "failed" and task.lease_owner is None
    (row,) = project.list_label_rows()
    assert row.version == 0 and row.client_metadata == {}


def test_retries_resolve_dependencies_afresh(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    made: list[list[int]] = []

    def numbers() -> list[int]:
        made.append([1, 2, 3])
        return made[-1]

    runner = Runner(project.project_hash, client=client)
    attempts = []

    @runner.stage("Pre-label")
    def consume(values: Annotated[list[int], Depends(numbers)]) -> str:
        attempts.append(list(values))
        values.clear()
        if len(attempts) < 3:
            raise RuntimeError("try again")
        return "empty"

    runner(num_retries=3)
    assert attempts == [[1, 2, 3]] * 3 and len(made) == 3
    assert _stages(project) == Counter({"Annotate": 1})


def test_failed_tasks_wait_for_the_backoff_and_retry_clears_them(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(2)
    runner = Runner(project.project_hash, client=client, backoff=Backoff(base_s=60))
    calls: Counter[str] = Counter()

    @runner.stage("Pre-label")
    def flaky(task: AgentTask) -> str:
        calls[task.data_title] += 1
        if task.data_title == "item-0000.txt":
            raise ValueError("bad input")
        return "empty"

    runner(num_retries=2)
    assert calls == {"item-0000.txt": 3, "item-0001.txt": 1}
    (failed,) = project.list_tasks(failed=True)
    assert failed.attempts == 3
    runner(num_retries=2)  # in backoff: not picked up again
    assert calls["item-0000.txt"] == 3
    assert project.retry_failed() == 1
    runner(num_retries=0)
    assert calls["item-0000.txt"] == 4
    (again,) = project.list_tasks(failed=True)
    assert again.attempts == 1


def test_on_failure_routes_tasks_that_used_up_their_attempts(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(2)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label", on_failure="empty")
    def broken() -> str:
        raise RuntimeError("always")

    runner(num_retries=1)
    assert _stages(project) == Counter({"Annotate": 2})
    assert {e.action for e in project.events()} == {"on_failure"}


def test_an_unknown_on_failure_pathway_is_refused_at_decoration(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    runner = Runner(project.project_hash, client=client)
    with pytest.raises(PathwayError, match="'has objects'"):

        @runner.stage("Pre-label", on_failure="dead letter")
        def agent() -> str:
            return "empty"


def test_one_query_per_batch_for_label_rows_and_for_storage_items(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(25)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def look(lr: LabelRow, item: StorageItem) -> str:
        assert lr.data_hash == item.data_hash
        return "empty"

    with recording(client.store) as rec:
        runner(task_batch_size=10)
    assert rec.count("SELECT", "FROM label_rows") == 3
    only_items = Runner(make_project(25).project_hash, client=client)

    @only_items.stage("Pre-label")
    def item_only(item: StorageItem) -> str:
        return "empty"

    with recording(client.store) as rec:
        only_items(task_batch_size=10)
    assert rec.count("SELECT", "FROM label_rows") == 0
    assert rec.count("SELECT", "FROM storage_items", "storage_items.uuid IN") == 3


def test_one_transaction_commits_each_batch(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(25)
    car = project.ontology.get_object("car")
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def label(lr: LabelRow, item: StorageItem) -> TaskAgentReturnStruct:
        instance = ObjectInstance(car)
        instance.set_for_frames(_box(), frames=0)
        lr.add_object_instance(instance)
        item.update(client_metadata={"n": 1})
        return TaskAgentReturnStruct("has objects", lr, 0.25)

    with recording(client.store) as rec:
        runner(task_batch_size=10)
    moving = [t for t in rec.writes() if t.has("SET stage_uuid")]
    assert len(moving) == 3
    for tx in moving:
        version_reads = [
            s for s in tx.statements if s.startswith("SELECT label_rows.uuid, label_rows.version")
        ]
        assert len(version_reads) == 1  # read once, reused by the save
        assert tx.has("INSERT INTO label_row_versions")
        assert tx.has("UPDATE storage_items")
        assert tx.has("INSERT INTO task_events")
        assert tx.has("SET priority")


def test_a_task_whose_lease_was_lost_is_not_committed(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(2)
    stage = project.workflow.get_stage(name="Pre-label")
    runner = Runner(project.project_hash, client=client, lease_seconds=0.2)

    @runner.stage("Pre-label")
    def slow(task: AgentTask) -> str:
        if task.data_title == "item-0000.txt":
            time.sleep(0.4)  # the lease expires meanwhile; another runner takes the task
            with client.store.write() as conn:
                now = time.time()
                uuids = [str(task.uuid)]
                taken = task_store.claim(
                    conn, str(stage.uuid), uuids, owner="other", expires_at=now + 60, now=now
                )
            assert taken
        return "empty"

    report = runner(task_batch_size=1)
    assert report.stages[0].lost == 1 and report.moved == 1
    held = [t for t in project.list_tasks(stage="Pre-label")]
    assert [(t.data_title, t.lease_owner) for t in held] == [("item-0000.txt", "other")]
    assert len(project.events()) == 1


def test_ctrl_c_commits_what_finished_and_releases_the_rest(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(6)
    runner = Runner(project.project_hash, client=client)
    done = []

    @runner.stage("Pre-label")
    def route(task: AgentTask) -> str:
        if len(done) == 3:
            raise KeyboardInterrupt
        done.append(task.uuid)
        return "empty"

    with pytest.raises(KeyboardInterrupt):
        runner(task_batch_size=10)
    assert _stages(project) == Counter({"Annotate": 3, "Pre-label": 3})
    assert all(t.lease_owner is None for t in project.list_tasks())


def test_ctrl_c_after_periodic_commits_reports_every_task_the_run_committed(
    client: annotask.Client, make_project: MakeProject, caplog: pytest.LogCaptureFixture
) -> None:
    project = make_project(6)
    runner = Runner(project.project_hash, client=client)
    runner.flush_every_s = 0.0  # commit after every task, as a slow agent would
    done = []

    @runner.stage("Pre-label")
    def route(task: AgentTask) -> str:
        if len(done) == 3:
            raise KeyboardInterrupt
        done.append(task.uuid)
        return "empty"

    with caplog.at_level("WARNING", logger="annotask"), pytest.raises(KeyboardInterrupt):
        runner(task_batch_size=10)
    assert _stages(project) == Counter({"Annotate": 3, "Pre-label": 3})
    assert "committed 3 task(s) in this run (0 of them just now), released 3" in caplog.text


def test_unknown_and_non_agent_stages_are_refused_at_decoration(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    runner = Runner(project.project_hash, client=client)
    pre_label = project.workflow.get_stage(name="Pre-label")
    for name in ("Nope", "Review"):
        with pytest.raises(ValidationError) as info:

            @runner.stage(name)
            def agent() -> None:
                return None

        assert f"'Pre-label' ({pre_label.uuid})" in str(info.value)
    assert runner.agents == []


def test_without_a_project_stages_are_checked_when_the_run_starts(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    runner = Runner(client=client)

    @runner.stage("Review")
    def agent() -> None:
        return None

    with pytest.raises(ValidationError, match="has a review stage 'Review'"):
        runner(project_hash=project.project_hash)
    with pytest.raises(ValidationError, match="no project to run on"):
        runner()


def test_a_stage_registered_twice_needs_overwrite_which_keeps_its_place(
    client: annotask.Client,
) -> None:
    runner = Runner(client=client)

    @runner.stage("A")
    def first() -> None:
        return None

    @runner.stage("B")
    def second() -> None:
        return None

    with pytest.raises(ValidationError, match="overwrite=True"):

        @runner.stage("A")
        def again() -> None:
            return None

    @runner.stage("A", overwrite=True)
    def replacement() -> None:
        return None

    assert [agent.identity for agent in runner.agents] == ["A", "B"]
    assert runner.agents[0].callable is replacement


def test_dry_run_reports_and_commits_nothing(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(3)
    car = project.ontology.get_object("car")
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def label(lr: LabelRow) -> TaskAgentReturnStruct:
        instance = ObjectInstance(car)
        instance.set_for_frames(_box(), frames=0)
        lr.add_object_instance(instance)
        return TaskAgentReturnStruct("has objects", lr, 0.9)

    with recording(client.store) as rec:
        report = runner.dry_run()
    assert rec.writes() == []
    assert [(p.pathway, p.destination, p.priority, p.objects) for p in report.planned] == [
        ("has objects", "Review", 0.9, 1)
    ] * 3
    assert _stages(project) == Counter({"Pre-label": 3})
    assert {r.version for r in project.list_label_rows()} == {0}


def test_run_stage_runs_one_stage_once(client: annotask.Client, make_project: MakeProject) -> None:
    project = make_project(3)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def route() -> str:
        return "has objects"

    report = runner.run_stage("Pre-label", max_tasks=2)
    assert report.moved_total == 2
    with pytest.raises(ValidationError, match="has no agent"):
        runner.run_stage("Review")


def _wait_until(condition: Callable[[], bool], seconds: float) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > seconds:
            raise AssertionError(f"not done within {seconds} s")
        time.sleep(0.05)
    return time.monotonic() - start


@pytest.mark.parametrize("refresh_every", [1, 30])
def test_polling_picks_up_tasks_added_later(
    client: annotask.Client, make_project: MakeProject, tmp_path: Path, refresh_every: int
) -> None:
    if refresh_every == 30 and client.store.dialect != "postgresql":
        pytest.skip("waking before the next poll needs PostgreSQL's LISTEN/NOTIFY")
    project = make_project(1)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def route() -> str:
        return "empty"

    failures: list[BaseException] = []

    def run() -> None:
        try:
            runner(refresh_every=refresh_every)
        except BaseException as exc:  # surfaced by the assertion below
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        _wait_until(lambda: _stages(project) == Counter({"Annotate": 1}), 10)
        time.sleep(0.3)  # the runner is now waiting for its next poll
        late = tmp_path / "late.txt"
        late.write_text("late\n")
        project.datasets[0].add_items([late])
        # with 30 s between polls, only a notification explains a pick-up within 5 s
        took = _wait_until(lambda: _stages(project) == Counter({"Annotate": 2}), 5)
        assert took < 5
    finally:
        runner.stop()
        thread.join(10)
    assert not thread.is_alive() and failures == []


def test_tasks_left_in_place_keep_their_lease_through_a_long_pass(
    client: annotask.Client, make_project: MakeProject
) -> None:
    # four claims 0.5 s apart outlast the 1.5 s lease, so the pass's last claim comes after
    # the first task's lease would have run out unrenewed; each commit renews it with 1 s to
    # spare, which a loaded machine's slow commits do not use up
    project = make_project(4)
    runner = Runner(project.project_hash, client=client, lease_seconds=1.5)
    calls: Counter[str] = Counter()

    @runner.stage("Pre-label")
    def slow_stay(task: AgentTask) -> None:
        calls[task.data_title] += 1
        time.sleep(0.5)

    runner.flush_every_s = 0.1
    runner(task_batch_size=1, max_tasks_per_stage=8)  # the cap ends a pass that claims again
    assert set(calls.values()) == {1}, calls
    assert all(t.lease_owner is None for t in project.list_tasks())


def test_a_later_success_that_stays_clears_the_failure_record(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    runner = Runner(project.project_hash, client=client, backoff=Backoff(base_s=0))
    broken = [True]

    @runner.stage("Pre-label")
    def flaky() -> None:
        if broken[0]:
            raise RuntimeError("boom")

    runner(num_retries=0)
    assert len(project.list_tasks(failed=True)) == 1
    broken[0] = False
    runner(num_retries=0)
    (task,) = project.list_tasks()
    assert task.last_error is None and task.attempts == 0 and task.status == "new"


def test_on_failure_records_the_error_on_the_event(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label", on_failure="empty")
    def broken() -> str:
        raise RuntimeError("detector missing")

    report = runner(num_retries=0)
    (event,) = project.events()
    assert event.action == "on_failure" and "RuntimeError: detector missing" in (event.detail or "")
    assert report.failed == 1 and report.moved == 1


def test_a_label_conflict_releases_the_task_at_the_end_of_the_pass(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    car = project.ontology.get_object("car")
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def label(lr: LabelRow) -> TaskAgentReturnStruct:
        someone = project.get_label_row(lr.data_hash)  # a person saves meanwhile
        someone.initialise_labels()
        someone.save()
        instance = ObjectInstance(car)
        instance.set_for_frames(_box(), frames=0)
        lr.add_object_instance(instance)
        return TaskAgentReturnStruct("has objects", lr)

    report = runner()
    assert report.stages[0].conflicts == 1
    (task,) = project.list_tasks()
    assert task.lease_owner is None and task.last_error is None
    (row,) = project.list_label_rows()
    assert row.version == 1  # the person's save, not the agent's


def test_refresh_every_below_one_second_is_refused(client: annotask.Client) -> None:
    runner = Runner(client=client)
    with pytest.raises(ValidationError, match="refresh_every must be at least 1 second"):
        runner(refresh_every=0, project_hash="anything")


def test_run_stage_calls_the_pre_execution_callback(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    called = []
    runner = Runner(project.project_hash, client=client, pre_execution_callback=called.append)

    @runner.stage("Pre-label")
    def route() -> str:
        return "empty"

    runner.run_stage("Pre-label")
    assert called == [runner]


def test_a_priority_outside_zero_to_one_fails_the_task(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label", will_set_priority=True)
    def rank() -> TaskAgentReturnStruct:
        return TaskAgentReturnStruct(pathway="empty", label_row_priority=1.5)

    runner(num_retries=0)
    (task,) = project.list_tasks(failed=True)
    assert "label_row_priority must be in 0..1, got 1.5" in (task.last_error or "")
    assert task.priority == 0.5 and project.events() == []


def test_a_batch_of_300_takes_the_same_few_statements_as_a_batch_of_one(
    client: annotask.Client, make_project: MakeProject
) -> None:
    postgres = client.store.dialect == "postgresql"
    noop = Runner(make_project(300).project_hash, client=client)

    @noop.stage("Pre-label")
    def route(task: AgentTask) -> str:
        return "has objects"

    with recording(client.store) as rec:
        report = noop(task_batch_size=300)
    assert report.moved == 300
    claim, commit = rec.writes()
    assert claim.statements[0].startswith("UPDATE tasks SET lease_owner")
    assert len(claim.statements) == 1  # the claim, which reads the tasks it leases
    # the moves (fenced by their own UPDATE; events by the same statement on PostgreSQL),
    # then the claim of the next batch; SQLite reads the leases first (one SELECT), moves
    # with one executemany, and inserts the events in a statement of their own
    assert len(commit.work) == (2 if postgres else 4)
    labelled = make_project(300)
    car = labelled.ontology.get_object("car")
    label = Runner(labelled.project_hash, client=client)

    @label.stage("Pre-label")
    def add_box(lr: LabelRow) -> str:
        instance = ObjectInstance(car)
        instance.set_for_frames(_box(), frames=0)
        lr.add_object_instance(instance)
        lr.save()
        return "has objects"

    with recording(client.store) as rec:
        report = label(task_batch_size=300)
    assert report.moved == 300
    claim, commit = rec.writes()
    assert len(claim.statements) == 2  # the claim (with the tasks), their label rows
    # fence, label versions, rows, versions, moves (+ events), next claim
    assert len(commit.work) == (6 if postgres else 7)
    assert len(labelled.list_label_rows()[0].history()) == 1


def test_a_batch_along_several_pathways_records_each_task_with_its_own_event(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(9)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label", on_failure="empty", version="v7")
    def route(task: AgentTask) -> str:
        number = int(task.data_title[5:9])
        if number % 3 == 2:
            raise RuntimeError(f"no detector for {task.data_title}")
        return "has objects" if number % 3 == 0 else "empty"

    runner(num_retries=0, task_batch_size=9)
    titles = {t.uuid: t.data_title for t in project.list_tasks()}
    events = project.events()
    assert len(events) == 9
    for event in events:
        number = int(titles[event.task_uuid][5:9])
        assert (event.agent, event.agent_version) == (route.__qualname__, "v7")
        assert event.from_stage == "Pre-label"
        if number % 3 == 2:
            assert (event.action, event.pathway, event.to_stage) == (
                "on_failure",
                "empty",
                "Annotate",
            )
            assert f"no detector for {titles[event.task_uuid]}" in (event.detail or "")
        else:
            expected = ("has objects", "Review") if number % 3 == 0 else ("empty", "Annotate")
            assert (event.action, event.detail) == ("proceed", None)
            assert (event.pathway, event.to_stage) == expected


def test_each_saved_version_holds_the_document_its_row_holds(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(4)
    car = project.ontology.get_object("car")
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def add_box(lr: LabelRow) -> TaskAgentReturnStruct:
        instance = ObjectInstance(car)
        instance.set_for_frames(_box(), frames=0)
        lr.add_object_instance(instance)
        return TaskAgentReturnStruct("has objects", lr)

    runner(task_batch_size=4)
    rows = project.list_label_rows()
    assert len(rows) == 4
    for row in rows:
        row.initialise_labels()
        (version,) = row.history()
        assert (version.version, version.saved_by, version.workflow_stage) == (
            1,
            "alice",
            "Pre-label",
        )
        with client.store.read() as conn:
            saved = label_store.get_version(conn, row.label_hash, 1)
        assert saved is not None and saved.labels == row.to_dict()


def test_an_agent_that_saves_its_row_twice_gets_two_versions(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(4)
    car = project.ontology.get_object("car")
    runner = Runner(project.project_hash, client=client)

    def add_car(lr: LabelRow) -> None:
        instance = ObjectInstance(car)
        instance.set_for_frames(_box(), frames=0)
        lr.add_object_instance(instance)

    @runner.stage("Pre-label")
    def save_twice(task: AgentTask, lr: LabelRow) -> TaskAgentReturnStruct | str:
        add_car(lr)
        lr.save()
        add_car(lr)
        if task.data_title.endswith(("0.txt", "1.txt")):
            lr.save()  # the second save here, the runner's after the return for the others
            return "has objects"
        return TaskAgentReturnStruct("has objects", lr)

    report = runner(task_batch_size=4, num_retries=0)
    assert report.moved == 4 and _stages(project) == Counter({"Review": 4})
    for row in project.list_label_rows():
        row.initialise_labels()
        assert [v.version for v in row.history()] == [1, 2]
        assert len(row.get_object_instances()) == 2
        with client.store.read() as conn:
            first = label_store.get_version(conn, row.label_hash, 1)
        assert first is not None and len(first.labels["objects"]) == 1


def test_a_row_reloaded_after_a_save_keeps_only_the_saves_after_the_reload(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    car = project.ontology.get_object("car")
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def reload(lr: LabelRow) -> str:
        for _ in range(2):
            instance = ObjectInstance(car)
            instance.set_for_frames(_box(), frames=0)
            lr.add_object_instance(instance)
            lr.save()
        lr.initialise_labels(overwrite=True)  # the pending saves are not in the store yet
        assert lr.get_object_instances() == []
        lr.set_priority(0.25)
        lr.save()
        return "empty"

    assert runner(num_retries=0).moved == 1
    (row,) = project.list_label_rows()
    row.initialise_labels()
    assert [v.version for v in row.history()] == [1]
    assert row.get_object_instances() == [] and row.priority == 0.25


def test_a_pass_freezes_the_older_heap_and_thaws_it_after(
    client: annotask.Client, make_project: MakeProject
) -> None:
    """Objects older than a pass are kept out of its collections, and only for its length;
    garbage cycles made during the pass are still collected during it."""
    import gc  # noqa: PLC0415 - this test's own
    import weakref  # noqa: PLC0415

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    project = make_project(3)
    frozen_during: list[int] = []
    collected: list[bool] = []
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def route() -> str:
        frozen_during.append(gc.get_freeze_count())
        made = weakref.ref(Cycle())  # dropped at once: only a collection frees it
        gc.collect()
        collected.append(made() is None)
        return "empty"

    assert gc.get_freeze_count() == 0
    runner()
    assert len(frozen_during) == 3 and min(frozen_during) > 0
    assert collected == [True, True, True]
    assert gc.get_freeze_count() == 0


def test_a_pass_leaves_a_heap_the_process_froze_itself_as_it_was(
    client: annotask.Client, make_project: MakeProject
) -> None:
    """A server that froze its heap before forking keeps it frozen: passes thaw nothing."""
    import gc  # noqa: PLC0415 - this test's own

    project = make_project(2)
    runner = Runner(project.project_hash, client=client)
    seen: list[int] = []

    @runner.stage("Pre-label")
    def route() -> str:
        seen.append(gc.get_freeze_count())
        return "empty"

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        runner()
        # nothing more frozen by the pass (frozen objects may die), nothing thawed after it
        assert len(seen) == 2 and max(seen) <= frozen
        assert 0 < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()
