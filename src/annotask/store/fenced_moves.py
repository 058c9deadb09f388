"""Moving leased tasks: the fencing check, the move and its event, in as few statements as
the database allows.

On PostgreSQL one statement does it all: an ``UPDATE … FROM (VALUES …)`` whose ``WHERE``
holds the fence (same stage, same lease owner and token) and whose ``RETURNING`` feeds the
``INSERT`` of the events in the same statement (a data-modifying CTE), so a task whose lease
was lost neither moves nor gets an event. SQLite has no such CTE: there the fence is one
``SELECT`` (the write transaction holds the database), then the move and its events.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Integer, String, Text, column, insert, literal, select, update
from sqlalchemy import values as values_clause

from annotask.store.clock import utcnow
from annotask.store.notifications import notify_stages
from annotask.store.schema import task_events, tasks
from annotask.store.tasks import Lease, Move, held_by, move_tasks

__all__ = ["move_fenced"]

_CHUNK = 500

_COLUMNS = (
    ("uuid", String),
    ("owner", String),
    ("token", Integer),
    ("from_stage", String),
    ("to_stage", String),
    ("status", String),
    ("assignee", String),
    ("actor", String),
    ("action", String),
    ("pathway_uuid", String),
    ("pathway_name", String),
    ("detail", Text),
    ("project_uuid", String),
)


def move_fenced(
    conn: Connection,
    moves: Sequence[Move],
    leases: Mapping[str, Lease],
    *,
    notify: Collection[str] | None = None,
    fenced: Collection[str] = (),
) -> set[str]:
    """Move each task still in its stage under ``leases[task]``, with its event; return the
    tasks that moved (the others' leases were lost: nothing of theirs is written).

    ``fenced``: tasks the caller fenced (and locked) in this transaction already; SQLite
    does not check them again. Listeners are told of the stages tasks entered (only those
    in ``notify``, when given).
    """
    if not moves:
        return set()
    if conn.dialect.name == "postgresql":
        moved: set[str] = set()
        for start in range(0, len(moves), _CHUNK):
            moved |= _move_and_record(conn, moves[start : start + _CHUNK], leases)
    else:
        moved = _fence_then_move(conn, moves, leases, fenced)
    entered = {m.to_stage for m in moves if m.task_uuid in moved}
    notify_stages(conn, entered if notify is None else entered & set(notify))
    return moved


def _move_and_record(
    conn: Connection, moves: Sequence[Move], leases: Mapping[str, Lease]
) -> set[str]:
    """One statement: the fenced UPDATE, and the INSERT of events for the rows it moved."""
    now = utcnow()
    given = values_clause(*(column(name, kind) for name, kind in _COLUMNS), name="given").data(
        [_row(m, leases[m.task_uuid]) for m in moves]
    )
    moved = (
        update(tasks)
        .where(
            tasks.c.uuid == given.c.uuid,
            tasks.c.stage_uuid == given.c.from_stage,
            tasks.c.lease_owner == given.c.owner,
            tasks.c.lease_token == given.c.token,
        )
        .values(
            stage_uuid=given.c.to_stage,
            status=given.c.status,
            assignee=given.c.assignee,
            lease_owner=None,
            lease_expires_at=None,
            attempts=0,
            last_error=None,
            retry_after=None,
            updated_at=now,
            last_actioned_by=given.c.actor,
        )
        .returning(*(given.c[name] for name, _ in _COLUMNS))
        .cte("moved")
    )
    record = (
        insert(task_events)
        .from_select(
            [
                "task_uuid",
                "project_uuid",
                "action",
                "from_stage_uuid",
                "to_stage_uuid",
                "pathway_uuid",
                "pathway_name",
                "actor",
                "at",
                "detail",
            ],
            select(
                moved.c.uuid,
                moved.c.project_uuid,
                moved.c.action,
                moved.c.from_stage,
                moved.c.to_stage,
                moved.c.pathway_uuid,
                moved.c.pathway_name,
                moved.c.actor,
                literal(now, task_events.c.at.type),
                moved.c.detail,
            ),
        )
        .add_cte(moved)
        .returning(task_events.c.task_uuid)
    )
    return {str(r[0]) for r in conn.execute(record)}


def _row(move: Move, lease: Lease) -> tuple[Any, ...]:
    return (
        move.task_uuid,
        lease.owner,
        lease.token,
        move.from_stage,
        move.to_stage,
        move.status,
        move.assignee,
        move.actor,
        move.action,
        move.pathway_uuid,
        move.pathway_name,
        move.detail,
        move.project_uuid,
    )


def _fence_then_move(
    conn: Connection, moves: Sequence[Move], leases: Mapping[str, Lease], fenced: Collection[str]
) -> set[str]:
    by_stage: dict[str, dict[str, Lease]] = {}
    for m in moves:
        if m.task_uuid not in fenced:
            by_stage.setdefault(m.from_stage, {})[m.task_uuid] = leases[m.task_uuid]
    held = {m.task_uuid for m in moves if m.task_uuid in fenced}
    for stage_uuid, stage_leases in by_stage.items():
        held |= held_by(conn, stage_uuid, stage_leases, 0.0)
    move_tasks(conn, [m for m in moves if m.task_uuid in held], notify=())
    return held
