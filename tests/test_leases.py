"""Leases at the store: claims skip held tasks, expire, and fence stale owners."""

from __future__ import annotations

from pathlib import Path

import annotask
from annotask.store import fenced_moves
from annotask.store import tasks as task_store
from annotask.store.fenced_moves import move_fenced
from annotask.store.positional import positional_sql


def _prelabel(project: annotask.Project) -> str:
    return str(project.workflow.get_stage(name="Pre-label").uuid)


def test_a_claim_skips_tasks_another_runner_holds(
    client: annotask.Client, project: annotask.Project
) -> None:
    stage = _prelabel(project)
    store = client.store
    with store.write() as conn:
        uuids = task_store.claimable_uuids(conn, stage, now=1000.0)
        first = task_store.claim(conn, stage, uuids[:3], owner="a", expires_at=1060.0, now=1000.0)
    with store.write() as conn:
        second = task_store.claim(conn, stage, uuids, owner="b", expires_at=1060.0, now=1001.0)
    assert len(uuids) == 5
    assert set(first) == set(uuids[:3])
    assert set(second) == set(uuids[3:])
    with store.read() as conn:
        assert task_store.claimable_uuids(conn, stage, now=1002.0) == []


def test_an_expired_lease_is_claimed_again_and_the_old_owner_is_fenced(
    client: annotask.Client, project: annotask.Project
) -> None:
    stage = _prelabel(project)
    store = client.store
    with store.write() as conn:
        uuids = task_store.claimable_uuids(conn, stage, now=1000.0)
        old = task_store.claim(conn, stage, uuids, owner="a", expires_at=1010.0, now=1000.0)
    with store.write() as conn:
        new = task_store.claim(conn, stage, uuids, owner="b", expires_at=1100.0, now=1020.0)
    assert set(new) == set(uuids)
    assert all(new[u].token == old[u].token + 1 for u in uuids)
    with store.write() as conn:
        assert task_store.held_by(conn, stage, old, now=1021.0) == set()
        assert task_store.held_by(conn, stage, new, now=1021.0) == set(uuids)


def test_released_tasks_can_be_claimed_at_once(
    client: annotask.Client, project: annotask.Project
) -> None:
    stage = _prelabel(project)
    store = client.store
    with store.write() as conn:
        uuids = task_store.claimable_uuids(conn, stage, now=1000.0)
        leases = task_store.claim(conn, stage, uuids, owner="a", expires_at=2000.0, now=1000.0)
        task_store.release(conn, leases)
    with store.read() as conn:
        assert len(task_store.claimable_uuids(conn, stage, now=1001.0)) == 5


def test_a_failed_task_waits_for_its_backoff(
    client: annotask.Client, project: annotask.Project
) -> None:
    stage = _prelabel(project)
    store = client.store
    with store.write() as conn:
        uuids = task_store.claimable_uuids(conn, stage, now=1000.0)
        leases = task_store.claim(conn, stage, uuids[:1], owner="a", expires_at=2000.0, now=1000.0)
        failure = task_store.Failure(
            uuids[0], attempts=3, error="boom", retry_after=1500.0, status="failed"
        )
        task_store.record_failures(conn, [failure], leases)
    with store.read() as conn:
        assert uuids[0] not in task_store.claimable_uuids(conn, stage, now=1100.0)
        assert uuids[0] in task_store.claimable_uuids(conn, stage, now=1600.0)
    failed = project.list_tasks(failed=True)
    assert [(t.attempts, t.last_error, t.status) for t in failed] == [(3, "boom", "failed")]
    assert project.retry_failed() == 1
    assert project.list_tasks(failed=True) == []


def test_tasks_are_claimed_highest_priority_first(
    client: annotask.Client, project: annotask.Project
) -> None:
    stage = _prelabel(project)
    tasks = project.list_tasks(stage="Pre-label")
    with client.store.write() as conn:
        task_store.set_priorities(conn, {str(tasks[3].uuid): 0.9, str(tasks[1].uuid): 0.0})
        order = task_store.claimable_uuids(conn, stage, now=1000.0)
    assert order[0] == str(tasks[3].uuid)
    assert order[-1] == str(tasks[1].uuid)


def test_claim_next_leases_and_reads_the_tasks_highest_priority_first(
    client: annotask.Client, project: annotask.Project
) -> None:
    stage = _prelabel(project)
    tasks = project.list_tasks(stage="Pre-label")
    with client.store.write() as conn:
        task_store.set_priorities(conn, {str(tasks[2].uuid): 0.9, str(tasks[0].uuid): 0.1})
        claimed = task_store.claim_next(conn, stage, 3, owner="a", expires_at=2000.0, now=1000.0)
    assert [r.uuid for r in claimed][:1] == [str(tasks[2].uuid)]
    assert str(tasks[0].uuid) not in {r.uuid for r in claimed}
    assert all(
        (r.lease_owner, r.lease_token, r.lease_expires_at) == ("a", 1, 2000.0) for r in claimed
    )
    listed = {str(t.uuid): t for t in tasks}
    for record in claimed:
        assert record.data_title == listed[record.uuid].data_title
        assert record.created_at == listed[record.uuid].created_at
    with client.store.read() as conn:
        assert len(task_store.claimable_uuids(conn, stage, now=1001.0)) == 2


def test_fenced_moves_move_only_tasks_still_held_and_record_only_their_events(
    client: annotask.Client, project: annotask.Project
) -> None:
    stage = _prelabel(project)
    review = str(project.workflow.get_stage(name="Review").uuid)
    with client.store.write() as conn:
        uuids = task_store.claimable_uuids(conn, stage, now=1000.0)
        mine = task_store.claim(conn, stage, uuids, owner="a", expires_at=1010.0, now=1000.0)
    with client.store.write() as conn:  # one lease expired and went to another runner
        task_store.claim(conn, stage, uuids[:1], owner="b", expires_at=1100.0, now=1020.0)
    moves = [
        task_store.Move(u, project.project_hash, stage, review, "new", "alice", "proceed")
        for u in uuids
    ]
    with client.store.write() as conn:
        moved = move_fenced(conn, moves, mine)
    assert moved == set(uuids[1:])
    assert {str(e.task_uuid) for e in project.events()} == set(uuids[1:])
    assert len(project.list_tasks(stage="Review")) == 4


def test_sqlite_finds_tasks_by_uuid_through_the_primary_key(tmp_path: Path) -> None:
    """Keyed by uuid, a statement must not walk the stage through the claim-order index."""
    with annotask.Client(f"sqlite:///{tmp_path / 'plans.db'}", user="alice") as client:
        engine = client.store.engine
        statements = [
            task_store._MOVE,
            task_store._HELD,
            task_store._CLAIM,
            task_store._claimed_tasks(),
            task_store._held_by_token(),
        ]
        texts = [str(s.compile(dialect=engine.dialect)) for s in statements]
        texts.append(
            positional_sql(fenced_moves._MOVE_EACH, engine.dialect, fenced_moves._MOVE_EACH_ORDER)
        )
        with engine.connect() as conn:
            for text in texts:
                sql = text.replace("(__[POSTCOMPILE__uuids])", "(?, ?)")
                params = ["x"] * sql.count("?")
                plan = " ".join(
                    str(r[-1])
                    for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", tuple(params))
                )
                assert "ix_tasks_claim_order" not in plan, (sql, plan)
                assert "sqlite_autoindex_tasks_1" in plan, (sql, plan)
