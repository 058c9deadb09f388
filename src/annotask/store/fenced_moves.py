"""Moving leased tasks: the fencing check, the move and its event, in as few statements as
the database allows.

On PostgreSQL one statement does it all: an ``UPDATE … FROM jsonb_to_recordset(…)`` whose
``WHERE`` holds the fence (same stage, same lease owner and token) and whose ``RETURNING``
feeds the ``INSERT`` of the events in the same statement (a data-modifying CTE), so a task
whose lease was lost neither moves nor gets an event. SQLite has no such CTE: there the
leases are read in one statement, the tasks still held move in one ``executemany`` of an
``UPDATE`` fenced the same way (its count of rows changed checked), and their events are
written in a third.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
    Insert,
    Integer,
    Select,
    String,
    TableValuedAlias,
    Text,
    any_,
    bindparam,
    cast,
    column,
    exists,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from annotask.errors import StoreError
from annotask.store.access import role_of
from annotask.store.clock import utcnow
from annotask.store.key_sets import json_text
from annotask.store.notifications import CHANNEL, notify_stages
from annotask.store.positional import bind_processor, positional_sql
from annotask.store.schema import members, task_events, tasks
from annotask.store.tasks import Lease, Move, held_by, insert_events
from annotask.store.unindexed import unindexed

__all__ = ["move_fenced", "move_fenced_if_allowed"]

_CHUNK = 500

# the columns of the moves given to a statement, and their types
_GIVEN = (
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
_EVENT_COLUMNS = {
    "task_uuid": "uuid",
    "project_uuid": "project_uuid",
    "action": "action",
    "from_stage_uuid": "from_stage",
    "to_stage_uuid": "to_stage",
    "pathway_uuid": "pathway_uuid",
    "pathway_name": "pathway_name",
    "actor": "actor",
    "detail": "detail",
    "agent_name": "agent_name",
    "agent_version": "agent_version",
}


def move_fenced(
    conn: Connection,
    moves: Sequence[Move],
    leases: Mapping[str, Lease],
    *,
    notify: Collection[str] | None = None,
    checked: Collection[str] = frozenset(),
) -> set[str]:
    """Move each task still in its stage under ``leases[task]``, with its event; return the
    tasks that moved (the others' leases were lost: nothing of theirs is written).

    Listeners are told of the stages tasks entered (only those in ``notify``, when given).
    ``checked``: tasks whose leases this transaction has already checked and locked
    (:func:`~annotask.store.tasks.held_by`); SQLite does not read those again.
    """
    if not moves:
        return set()
    if conn.dialect.name == "postgresql":
        moved: set[str] = set()
        for start in range(0, len(moves), _CHUNK):
            moved |= _move_and_record(conn, moves[start : start + _CHUNK], leases)
    else:
        moved = _move_where_held(conn, moves, leases, checked)
    entered = {m.to_stage for m in moves if m.task_uuid in moved}
    notify_stages(conn, entered if notify is None else entered & set(notify))
    return moved


def move_fenced_if_allowed(
    conn: Connection,
    moves: Sequence[Move],
    leases: Mapping[str, Lease],
    *,
    member_of: str,
    user: str,
    roles: Collection[str],
    notify: Collection[str],
) -> tuple[str | None, set[str]]:
    """:func:`move_fenced`, on the condition that ``user``'s role on ``member_of`` is one of
    ``roles``; return that role (None: not a member) and the tasks that moved (none when the
    role is not one of ``roles``).

    On PostgreSQL the permission check, the fenced moves, their events and the notices are
    one statement however many moves there are, so that in autocommit it is one round trip
    and its own transaction. On SQLite: the check, then :func:`move_fenced`, in the caller's
    transaction.
    """
    if conn.dialect.name != "postgresql":
        role = role_of(conn, member_of, user)
        if role not in roles or not moves:
            return role, set()
        return role, move_fenced(conn, moves, leases, notify=notify)
    params = _given_params(moves, leases)
    params.update(
        _resource=member_of,
        _user=user,
        _roles=sorted(roles),
        _notify=sorted(notify),
        _channel=CHANNEL,
    )
    row = conn.execute(_allowed_move_statement(), params).one()
    return row.role, {str(u) for u in row.moved or ()}


def _given() -> TableValuedAlias:
    """The moves, bound as one JSON array of rows (``jsonb_to_recordset``): the statement's
    text is the same for any number of moves (compiled once by SQLAlchemy, prepared once per
    connection by the server), and the driver binds one string instead of an array per
    column, each of which it would inspect element by element."""
    return (
        func.jsonb_to_recordset(cast(bindparam("_given", type_=Text), JSONB))
        .table_valued(*(column(name, kind) for name, kind in _GIVEN))
        .render_derived(name="given", with_types=True)
    )


def _moved(*conditions: ColumnElement[bool]) -> CTE:
    """``UPDATE tasks … FROM given WHERE <fence> AND <conditions> RETURNING given.*``."""
    given = _given()
    return (
        update(tasks)
        .where(
            tasks.c.uuid == given.c.uuid,
            tasks.c.stage_uuid == given.c.from_stage,
            tasks.c.lease_owner == given.c.owner,
            tasks.c.lease_token == given.c.token,
            *conditions,
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
            updated_at=bindparam("_now", type_=tasks.c.updated_at.type),
            last_actioned_by=given.c.actor,
        )
        .returning(*(given.c[name] for name, _ in _GIVEN))
        .cte("moved")
    )


def _record(moved: CTE) -> Insert:
    """``INSERT INTO task_events SELECT … FROM moved RETURNING task_uuid``."""
    return (
        insert(task_events)
        .from_select(
            [*_EVENT_COLUMNS, "at"],
            select(
                *(moved.c[name] for name in _EVENT_COLUMNS.values()),
                bindparam("_at", type_=task_events.c.at.type),
            ),
        )
        .returning(task_events.c.task_uuid)
    )


@cache
def _move_and_record_statement() -> Insert:
    """``WITH moved AS (UPDATE … WHERE <fence> RETURNING …) INSERT INTO task_events …``."""
    moved = _moved()
    return _record(moved).add_cte(moved)


@cache
def _allowed_move_statement() -> Select[Any]:
    """``WITH allowed AS (the user's role), moved AS (UPDATE … WHERE <fence> AND <the role
    allows>), recorded AS (INSERT INTO task_events …), notified AS (pg_notify per stage
    entered) SELECT role, moved tasks``."""
    allowed = (
        select(members.c.role)
        .where(
            members.c.resource_uuid == bindparam("_resource"),
            members.c.user_name == bindparam("_user"),
        )
        .cte("allowed")
    )
    may = exists().where(allowed.c.role == any_(bindparam("_roles", type_=ARRAY(String))))
    moved = _moved(may)
    recorded = _record(moved).cte("recorded")
    entered = (
        select(moved.c.to_stage)
        .where(moved.c.to_stage == any_(bindparam("_notify", type_=ARRAY(String))))
        .distinct()
        .subquery("entered")
    )
    notified = select(func.pg_notify(bindparam("_channel"), entered.c.to_stage)).cte("notified")
    return select(
        select(allowed.c.role).scalar_subquery().label("role"),
        select(func.array_agg(recorded.c.task_uuid)).scalar_subquery().label("moved"),
        select(func.count()).select_from(notified).scalar_subquery().label("notices"),
    )


def _move_and_record(
    conn: Connection, moves: Sequence[Move], leases: Mapping[str, Lease]
) -> set[str]:
    """One statement: the fenced UPDATE, and the INSERT of events for the rows it moved."""
    params = _given_params(moves, leases)
    return {str(r[0]) for r in conn.execute(_move_and_record_statement(), params)}


def _given_params(moves: Sequence[Move], leases: Mapping[str, Lease]) -> dict[str, Any]:
    names = [name for name, _ in _GIVEN]
    rows = [dict(zip(names, _row(m, leases[m.task_uuid]), strict=True)) for m in moves]
    now = utcnow()
    return {"_given": json_text(rows), "_now": now, "_at": now}


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
    conn: Connection, moves: Sequence[Move], leases: Mapping[str, Lease], checked: Collection[str]
) -> set[str]:
    """SQLite: check the tasks' leases with :func:`~annotask.store.tasks.held_by` (one
    ``SELECT`` over ``json_each``; none for tasks in ``checked``), then move those still held
    with one ``executemany`` of a one-task ``UPDATE`` that repeats the fence in its
    ``WHERE``, then write their events. SQLite's write lock, held since the transaction
    began, keeps the leases as read until the commit; the count of rows changed is checked
    all the same. (The ``executemany`` runs in SQLite's own loop: less work than one
    ``UPDATE … FROM json_each(…)`` join over the batch.)"""
    now = utcnow()
    unchecked: dict[str, dict[str, Lease]] = {}  # by the stage the tasks leave
    for m in moves:
        if m.task_uuid not in checked:
            unchecked.setdefault(m.from_stage, {})[m.task_uuid] = leases[m.task_uuid]
    still_held = set(checked)
    for stage_uuid, stage_leases in unchecked.items():
        still_held |= held_by(conn, stage_uuid, stage_leases, now.timestamp())
    sql = positional_sql(_MOVE_EACH, conn.dialect, _MOVE_EACH_ORDER)
    stamp = bind_processor(tasks.c.updated_at, conn.dialect)(now)
    rows = []
    held = []
    for m in moves:
        lease = leases[m.task_uuid]
        if m.task_uuid in still_held:
            held.append(m)
            row = (m.to_stage, m.status, m.assignee, stamp, m.actor, m.task_uuid)
            rows.append((*row, lease.token, lease.owner, m.from_stage))
    if rows:
        changed = conn.exec_driver_sql(sql, rows).rowcount
        if changed != len(rows):  # the write lock makes this impossible; never half-move
            raise StoreError(
                f"{changed} of {len(rows)} fenced task move(s) changed a row; the batch was "
                "rolled back and its tasks come back when their leases expire"
            )
    insert_events(conn, held, now)
    return {m.task_uuid for m in held}


_MOVE_EACH = (
    update(tasks)
    .where(
        tasks.c.uuid == bindparam("_uuid"),
        tasks.c.lease_token == bindparam("_token"),
        tasks.c.lease_owner == bindparam("_owner"),
        unindexed(tasks.c.stage_uuid) == bindparam("_from"),
    )
    .values(
        stage_uuid=bindparam("_to"),
        status=bindparam("_status"),
        assignee=bindparam("_assignee"),
        lease_owner=literal_column("NULL"),
        lease_expires_at=literal_column("NULL"),
        attempts=literal_column("0"),
        last_error=literal_column("NULL"),
        retry_after=literal_column("NULL"),
        updated_at=bindparam("_now"),
        last_actioned_by=bindparam("_actor"),
    )
)
"""SQLite: the one-task fenced move, its parameters in the order of :data:`_MOVE_EACH_ORDER`."""
_MOVE_EACH_ORDER = (
    "_to",
    "_status",
    "_assignee",
    "_now",
    "_actor",
    "_uuid",
    "_token",
    "_owner",
    "_from",
)
