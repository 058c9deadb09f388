"""Moving leased tasks: the fencing check, the move and its event, in as few statements as
the database allows.

On PostgreSQL one statement does it all: an ``UPDATE … FROM (VALUES …)`` whose ``WHERE``
holds the fence (same stage, same lease owner and token) and whose ``RETURNING`` feeds the
``INSERT`` of the events in the same statement (a data-modifying CTE), so a task whose lease
was lost neither moves nor gets an event. SQLite has no such CTE: there the move is one
``UPDATE … FROM json_each(…)`` fenced the same way, whose ``RETURNING`` names the tasks to
write events for in a second statement.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    Text,
    bindparam,
    column,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy import values as values_clause

from annotask.store.clock import utcnow
from annotask.store.notifications import notify_stages
from annotask.store.schema import task_events, tasks
from annotask.store.tasks import Lease, Move, insert_events
from annotask.store.unindexed import unindexed

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
    ("agent_name", String),
    ("agent_version", String),
)


def move_fenced(
    conn: Connection,
    moves: Sequence[Move],
    leases: Mapping[str, Lease],
    *,
    notify: Collection[str] | None = None,
) -> set[str]:
    """Move each task still in its stage under ``leases[task]``, with its event; return the
    tasks that moved (the others' leases were lost: nothing of theirs is written).

    Listeners are told of the stages tasks entered (only those in ``notify``, when given).
    """
    if not moves:
        return set()
    if conn.dialect.name == "postgresql":
        moved: set[str] = set()
        for start in range(0, len(moves), _CHUNK):
            moved |= _move_and_record(conn, moves[start : start + _CHUNK], leases)
    else:
        moved = _move_where_held(conn, moves, leases)
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
                "agent_name",
                "agent_version",
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
                moved.c.agent_name,
                moved.c.agent_version,
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
        move.agent_name,
        move.agent_version,
    )


def _move_where_held(
    conn: Connection, moves: Sequence[Move], leases: Mapping[str, Lease]
) -> set[str]:
    """SQLite: one ``UPDATE … FROM json_each(…) RETURNING`` per kind of move, fenced in its
    ``WHERE`` by each task's lease token, then the events of the tasks it moved."""
    now = utcnow()
    groups: dict[tuple[str, str, str, str | None, str, str], dict[str, int]] = {}
    for m in moves:
        lease = leases[m.task_uuid]
        key = (m.from_stage, m.to_stage, m.status, m.assignee, m.actor, lease.owner)
        groups.setdefault(key, {})[m.task_uuid] = lease.token
    moved: set[str] = set()
    for (from_stage, to_stage, status, assignee, actor, owner), tokens in groups.items():
        result = conn.execute(
            _move_by_token(),
            {
                "_tokens": json.dumps(tokens),
                "_owner": owner,
                "_from": from_stage,
                "_to": to_stage,
                "_status": status,
                "_assignee": assignee,
                "_now": now,
                "_actor": actor,
            },
        )
        moved.update(result.scalars())
    insert_events(conn, [m for m in moves if m.task_uuid in moved], now)
    return moved


@cache
def _move_by_token() -> Any:
    given = func.json_each(bindparam("_tokens")).table_valued("key", "value").alias("given")
    return (
        update(tasks)
        .where(
            tasks.c.uuid == given.c.key,
            tasks.c.lease_token == given.c.value,
            tasks.c.lease_owner == bindparam("_owner"),
            unindexed(tasks.c.stage_uuid) == bindparam("_from"),
        )
        .values(
            stage_uuid=bindparam("_to"),
            status=bindparam("_status"),
            assignee=bindparam("_assignee"),
            lease_owner=None,
            lease_expires_at=None,
            attempts=0,
            last_error=None,
            retry_after=None,
            updated_at=bindparam("_now", type_=tasks.c.updated_at.type),
            last_actioned_by=bindparam("_actor"),
        )
        .returning(tasks.c.uuid)
    )
