"""Tasks: creation, listing, leases (claim, fence, release), moves, failures and events.

A lease is (owner, token, expiry). Claiming bumps the token; a runner's commit for a task is
accepted only while the task is in the same stage and still carries its owner and token
(fencing), so a task whose lease expired and was claimed by another runner is never moved
twice.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    Connection,
    Select,
    and_,
    bindparam,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)

from annotask.store.clock import utcnow
from annotask.store.key_sets import json_text
from annotask.store.notifications import notify_stages
from annotask.store.records import EventRecord, TaskRecord
from annotask.store.schema import label_rows, storage_items, task_events, tasks
from annotask.store.unindexed import unindexed

__all__ = [
    "Failure",
    "Lease",
    "Move",
    "TaskFilter",
    "claim",
    "claim_next",
    "claimable_uuids",
    "clear_failures",
    "count_by_stage",
    "count_claimable",
    "extend_leases",
    "find_task_project",
    "held_by",
    "insert_task_rows",
    "list_events",
    "list_tasks",
    "move_tasks",
    "record_failures",
    "release",
    "set_assignee",
    "set_label_priorities",
    "set_priorities",
    "settle_tasks",
    "task_uuids_by_prefix",
]

_CHUNK = 900
_ANALYZE_AFTER = 1000
_INSERT_CHUNK = 5000


class Lease(NamedTuple):
    """A runner's hold on a task: who, which claim, until when (epoch seconds)."""

    owner: str
    token: int
    expires_at: float


class Move(NamedTuple):
    """One transition to record: the task leaves ``from_stage`` for ``to_stage``."""

    task_uuid: str
    project_uuid: str
    from_stage: str
    to_stage: str
    status: str
    actor: str
    action: str
    pathway_uuid: str | None = None
    pathway_name: str | None = None
    assignee: str | None = None
    detail: str | None = None
    """Why, when there is more to say (the error that sent a task along ``on_failure``)."""
    agent_name: str | None = None
    """The agent function that decided the move (runner moves only)."""
    agent_version: str | None = None


class Failure(NamedTuple):
    """A failed attempt to record on a task."""

    task_uuid: str
    attempts: int
    error: str
    retry_after: float | None
    status: str


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """Which tasks of a project to list; every field optional."""

    stage_uuid: str | None = None
    status: Collection[str] | None = None
    assignee: str | None = None
    data_hash: str | None = None
    data_hashes: Collection[str] | None = None
    """Keep only tasks of these data items (with ``data_hash``: both apply)."""
    title_contains: str | None = None
    failed: bool | None = None
    uuids: Collection[str] | None = None


def insert_task_rows(
    conn: Connection, project_uuid: str, stage_uuid: str, data_hashes: Iterable[str]
) -> int:
    """Create one task and one empty label row per data item (items added to a dataset that
    projects use); return how many were made. ``data_hashes`` is consumed in chunks (one
    executemany per table each), so millions of items are never held at once. Callers
    inserting in several steps of one transaction call :func:`settle_tasks` once at the end.
    """
    now = utcnow()
    made = 0
    hashes = iter(data_hashes)
    while chunk := list(islice(hashes, _INSERT_CHUNK)):
        _insert_task_chunk(conn, project_uuid, stage_uuid, chunk, now)
        made += len(chunk)
    return made


def settle_tasks(conn: Connection, stage_uuid: str, made: int) -> None:
    """After ``made`` new tasks in a stage: refresh PostgreSQL's statistics after a bulk
    load, and wake the stage's runners."""
    if not made:
        return
    if conn.dialect.name == "postgresql" and made >= _ANALYZE_AFTER:
        # A bulk load leaves the planner's statistics stale until autovacuum catches up,
        # and claims planned on them scan the whole stage; refresh them now.
        conn.execute(text("ANALYZE tasks"))
        conn.execute(text("ANALYZE label_rows"))
    notify_stages(conn, [stage_uuid])


def _insert_task_chunk(
    conn: Connection, project_uuid: str, stage_uuid: str, data_hashes: list[str], now: Any
) -> None:
    task_rows: list[dict[str, Any]] = []
    label_row_rows: list[dict[str, Any]] = []
    for data_hash in data_hashes:
        label_hash = str(uuidlib.uuid4())
        task_rows.append(
            {
                "uuid": str(uuidlib.uuid4()),
                "project_uuid": project_uuid,
                "stage_uuid": stage_uuid,
                "data_hash": data_hash,
                "label_hash": label_hash,
                "status": "new",
                "priority": 0.5,
                "lease_token": 0,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        label_row_rows.append(
            {
                "uuid": label_hash,
                "project_uuid": project_uuid,
                "data_hash": data_hash,
                "version": 0,
                "labels": None,
                "updated_at": now,
            }
        )
    conn.execute(insert(label_rows), label_row_rows)
    conn.execute(insert(tasks), task_rows)


def _task_select() -> Select[Any]:
    # Columns in TaskRecord's field order, so that rows build records positionally (fast).
    columns = [
        storage_items.c.name.label("data_title") if name == "data_title" else tasks.c[name]
        for name in TaskRecord._fields
    ]
    return select(*columns).join(storage_items, storage_items.c.uuid == tasks.c.data_hash)


def _filtered(query: Select[Any], project_uuid: str, flt: TaskFilter) -> Select[Any]:
    query = query.where(tasks.c.project_uuid == project_uuid)
    if flt.stage_uuid is not None:
        query = query.where(tasks.c.stage_uuid == flt.stage_uuid)
    if flt.status is not None:
        query = query.where(tasks.c.status.in_(list(flt.status)))
    if flt.assignee is not None:
        query = query.where(tasks.c.assignee == flt.assignee)
    if flt.data_hash is not None:
        query = query.where(tasks.c.data_hash == flt.data_hash)
    if flt.data_hashes is not None:
        query = query.where(tasks.c.data_hash.in_(list(flt.data_hashes)))
    if flt.title_contains:
        query = query.where(storage_items.c.name.contains(flt.title_contains, autoescape=True))
    if flt.failed is not None:
        query = query.where(
            tasks.c.last_error.is_not(None) if flt.failed else tasks.c.last_error.is_(None)
        )
    if flt.uuids is not None:
        query = query.where(tasks.c.uuid.in_(list(flt.uuids)))
    return query


def list_tasks(
    conn: Connection, project_uuid: str, flt: TaskFilter = TaskFilter(), *, limit: int | None = None
) -> list[TaskRecord]:
    """Tasks of a project matching ``flt``, highest priority first, then oldest."""
    if (
        limit is None
        and flt.stage_uuid is not None
        and flt.uuids is not None
        and flt == TaskFilter(stage_uuid=flt.stage_uuid, uuids=flt.uuids)
    ):  # a runner loading what it claimed: the statement is built once
        params = {"_project": project_uuid, "_stage": flt.stage_uuid, "_uuids": list(flt.uuids)}
        return [TaskRecord(*r) for r in conn.execute(_claimed_tasks(), params)]
    query = _filtered(_task_select(), project_uuid, flt).order_by(
        tasks.c.priority.desc(), tasks.c.created_at, tasks.c.uuid
    )
    if limit is not None:
        query = query.limit(limit)
    return [TaskRecord(*r) for r in conn.execute(query)]


def task_uuids_by_prefix(
    conn: Connection, prefix: str, project_uuid: str | None = None, limit: int = 10
) -> list[str]:
    """Up to ``limit`` task uuids starting with ``prefix`` (of one project, if given)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = select(tasks.c.uuid).where(tasks.c.uuid.like(f"{escaped}%", escape="\\"))
    if project_uuid is not None:
        query = query.where(tasks.c.project_uuid == project_uuid)
    return [str(r.uuid) for r in conn.execute(query.order_by(tasks.c.uuid).limit(limit))]


@cache
def _claimed_tasks() -> Select[Any]:
    return (
        _task_select()
        .where(
            tasks.c.project_uuid == bindparam("_project"),
            unindexed(tasks.c.stage_uuid) == bindparam("_stage"),
            tasks.c.uuid.in_(bindparam("_uuids", expanding=True)),
        )
        .order_by(tasks.c.priority.desc(), tasks.c.created_at, tasks.c.uuid)
    )


def find_task_project(conn: Connection, task_uuid: str) -> str | None:
    """The uuid of the project a task belongs to, or None if there is no such task."""
    row = conn.execute(select(tasks.c.project_uuid).where(tasks.c.uuid == task_uuid)).first()
    return None if row is None else str(row.project_uuid)


def count_by_stage(conn: Connection, project_uuid: str) -> dict[str, dict[str, int]]:
    """Task counts per stage uuid and status."""
    query = (
        select(tasks.c.stage_uuid, tasks.c.status, func.count())
        .where(tasks.c.project_uuid == project_uuid)
        .group_by(tasks.c.stage_uuid, tasks.c.status)
    )
    counts: dict[str, dict[str, int]] = {}
    for stage_uuid, status, count in conn.execute(query):
        counts.setdefault(stage_uuid, {})[status] = int(count)
    return counts


def _claimable(stage_uuid: str, now: float) -> Any:
    return and_(
        tasks.c.stage_uuid == stage_uuid,
        or_(tasks.c.lease_expires_at.is_(None), tasks.c.lease_expires_at < now),
        or_(tasks.c.retry_after.is_(None), tasks.c.retry_after <= now),
    )


# The statements of the hot paths, built once: a call only binds its values.
_CLAIM = (
    update(tasks)
    .where(
        tasks.c.uuid.in_(bindparam("_uuids", expanding=True)),
        unindexed(tasks.c.stage_uuid) == bindparam("_stage"),
        or_(tasks.c.lease_expires_at.is_(None), tasks.c.lease_expires_at < bindparam("_now")),
        or_(tasks.c.retry_after.is_(None), tasks.c.retry_after <= bindparam("_now")),
    )
    .values(
        lease_owner=bindparam("_owner"),
        lease_token=tasks.c.lease_token + 1,
        lease_expires_at=bindparam("_expires"),
    )
    .returning(tasks.c.uuid, tasks.c.lease_token)
)
_HELD = select(
    tasks.c.uuid, tasks.c.lease_owner, tasks.c.lease_token, tasks.c.lease_expires_at
).where(
    tasks.c.uuid.in_(bindparam("_uuids", expanding=True)),
    unindexed(tasks.c.stage_uuid) == bindparam("_stage"),
)
_HELD_LOCKED = _HELD.with_for_update()
_MOVE = (
    update(tasks)
    .where(
        tasks.c.uuid.in_(bindparam("_uuids", expanding=True)),
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
        updated_at=bindparam("_now"),
        last_actioned_by=bindparam("_actor"),
    )
)


def claimable_uuids(
    conn: Connection, stage_uuid: str, now: float, limit: int | None = None
) -> list[str]:
    """Uuids of the tasks in a stage nobody holds, highest priority first."""
    query = (
        select(tasks.c.uuid)
        .where(_claimable(stage_uuid, now))
        .order_by(tasks.c.priority.desc(), tasks.c.created_at, tasks.c.uuid)
    )
    if limit is not None:
        query = query.limit(limit)
    return [str(r.uuid) for r in conn.execute(query)]


def count_claimable(conn: Connection, stage_uuid: str, now: float) -> int:
    """How many tasks of a stage nobody holds (and none waits out a backoff)."""
    query = select(func.count()).select_from(tasks).where(_claimable(stage_uuid, now))
    return int(conn.execute(query).scalar_one())


def claim(
    conn: Connection,
    stage_uuid: str,
    uuids: Sequence[str],
    *,
    owner: str,
    expires_at: float,
    now: float,
) -> dict[str, Lease]:
    """Lease those of ``uuids`` that are still claimable in the stage; return their leases.

    One ``UPDATE … RETURNING`` per chunk. On PostgreSQL, a row another transaction is
    claiming right now is waited for, then re-checked: whoever commits first holds it.
    """
    leases: dict[str, Lease] = {}
    for start in range(0, len(uuids), _CHUNK):
        result = conn.execute(
            _CLAIM,
            {
                "_uuids": list(uuids[start : start + _CHUNK]),
                "_stage": stage_uuid,
                "_now": now,
                "_owner": owner,
                "_expires": expires_at,
            },
        )
        leases.update({str(r.uuid): Lease(owner, int(r.lease_token), expires_at) for r in result})
    return leases


def claim_next(
    conn: Connection,
    stage_uuid: str,
    limit: int,
    *,
    owner: str,
    expires_at: float,
    now: float,
) -> list[TaskRecord]:
    """Lease up to ``limit`` claimable tasks of a stage and read them, in one statement;
    return them highest priority first, as claimed (their ``lease_*`` fields are the lease).

    On PostgreSQL rows that another transaction is claiming are skipped (``SKIP LOCKED``),
    so runners sharing a stage take disjoint batches without waiting for each other.
    """
    result = conn.execute(
        _claim_next(conn.dialect.name == "postgresql"),
        {
            "_stage": stage_uuid,
            "_now": now,
            "_limit": limit,
            "_owner": owner,
            "_expires": expires_at,
        },
    )
    return sorted(map(TaskRecord._make, result.all()), key=_claim_order)


def _claim_order(record: TaskRecord) -> tuple[float, Any, str]:
    return (-record.priority, record.created_at, record.uuid)


@cache
def _claim_next(skip_locked: bool) -> Any:
    now: BindParameter[float] = bindparam("_now")
    chosen = (
        select(tasks.c.uuid)
        .where(
            tasks.c.stage_uuid == bindparam("_stage"),
            or_(tasks.c.lease_expires_at.is_(None), tasks.c.lease_expires_at < now),
            or_(tasks.c.retry_after.is_(None), tasks.c.retry_after <= now),
        )
        .order_by(tasks.c.priority.desc(), tasks.c.created_at, tasks.c.uuid)
        .limit(bindparam("_limit"))
    )
    if skip_locked:
        chosen = chosen.with_for_update(skip_locked=True)
    # spelled out: SQLite's RETURNING drops table names, which would leave the correlation
    # to name resolution
    title = literal_column(
        "(SELECT storage_items.name FROM storage_items WHERE storage_items.uuid = tasks.data_hash)",
        storage_items.c.name.type,
    ).label("data_title")
    # RETURNING the whole record (columns in TaskRecord's order) saves reading it again
    return (
        update(tasks)
        .where(tasks.c.uuid.in_(chosen.scalar_subquery()))
        .values(
            lease_owner=bindparam("_owner"),
            lease_token=tasks.c.lease_token + 1,
            lease_expires_at=bindparam("_expires"),
        )
        .returning(
            *(title if name == "data_title" else tasks.c[name] for name in TaskRecord._fields)
        )
    )


def held_by(conn: Connection, stage_uuid: str, leases: Mapping[str, Lease], now: float) -> set[str]:
    """Which of the leased tasks are still in the stage under the same lease (fencing check).

    Locks those rows on PostgreSQL until the transaction ends, so the commit that follows
    cannot race a new claim.
    """
    held: set[str] = set()
    if conn.dialect.name == "sqlite":  # the write transaction holds the database already
        by_owner: dict[str, dict[str, int]] = {}
        for uuid, lease in leases.items():
            by_owner.setdefault(lease.owner, {})[uuid] = lease.token
        for owner, tokens in by_owner.items():
            params = {"_tokens": json_text(tokens), "_owner": owner, "_stage": stage_uuid}
            held.update(conn.execute(_held_by_token(), params).scalars().all())
        return held
    items = list(leases.items())
    query = _HELD_LOCKED if conn.dialect.name == "postgresql" else _HELD
    for start in range(0, len(items), _CHUNK):
        chunk = dict(items[start : start + _CHUNK])
        for row in conn.execute(query, {"_uuids": list(chunk), "_stage": stage_uuid}):
            lease = chunk[row.uuid]
            if row.lease_owner == lease.owner and row.lease_token == lease.token:
                held.add(str(row.uuid))
    return held


@cache
def _held_by_token() -> Any:
    """SQLite: the tasks of a JSON object of uuid → lease token still held in the stage."""
    given = func.json_each(bindparam("_tokens")).table_valued("key", "value").alias("given")
    return (
        select(tasks.c.uuid)
        .select_from(given.join(tasks, tasks.c.uuid == given.c.key))
        .where(
            tasks.c.lease_token == given.c.value,
            tasks.c.lease_owner == bindparam("_owner"),
            unindexed(tasks.c.stage_uuid) == bindparam("_stage"),
        )
    )


def _update_fenced(
    conn: Connection, rows: Sequence[dict[str, Any]], values: Mapping[str, Any]
) -> None:
    """One executemany UPDATE of tasks still under the given leases (rows carry ``_uuid``,
    ``_owner`` and ``_token``, plus any bound values ``values`` refer to)."""
    if rows:
        conn.execute(
            update(tasks)
            .where(
                tasks.c.uuid == bindparam("_uuid"),
                tasks.c.lease_owner == bindparam("_owner"),
                tasks.c.lease_token == bindparam("_token"),
            )
            .values(**values),
            list(rows),
        )


def _lease_row(uuid: str, lease: Lease) -> dict[str, Any]:
    return {"_uuid": uuid, "_owner": lease.owner, "_token": lease.token}


def _lease_rows(leases: Mapping[str, Lease]) -> list[dict[str, Any]]:
    return [_lease_row(uuid, lease) for uuid, lease in leases.items()]


def extend_leases(conn: Connection, leases: Mapping[str, Lease], expires_at: float) -> None:
    """Push back the expiry of leases that are still ours (a runner still working on them)."""
    _update_fenced(conn, _lease_rows(leases), {"lease_expires_at": expires_at})


def release(conn: Connection, leases: Mapping[str, Lease]) -> None:
    """Give up leases that are still ours; tasks stay where they are."""
    _update_fenced(conn, _lease_rows(leases), {"lease_owner": None, "lease_expires_at": None})


def move_tasks(
    conn: Connection, moves: Sequence[Move], *, notify: Collection[str] | None = None
) -> int:
    """Move tasks out of their stage (guarded by ``from_stage``) and record one event each.

    Returns how many tasks moved. A caller that gets fewer than it asked for raises, which
    rolls the transaction (events included) back; batch callers have fenced their tasks with
    :func:`held_by` in the same transaction. Listeners are told of the stages tasks entered
    (only those in ``notify``, when given: the stages runners watch).
    """
    if not moves:
        return 0
    now = utcnow()
    # Moves that differ only in their task share one UPDATE … WHERE uuid IN (…).
    groups: dict[tuple[str, str, str, str | None, str], list[str]] = {}
    for m in moves:
        key = (m.from_stage, m.to_stage, m.status, m.assignee, m.actor)
        groups.setdefault(key, []).append(m.task_uuid)
    moved = 0
    for (from_stage, to_stage, status, assignee, actor), uuids in groups.items():
        for start in range(0, len(uuids), _CHUNK):
            result = conn.execute(
                _MOVE,
                {
                    "_uuids": uuids[start : start + _CHUNK],
                    "_from": from_stage,
                    "_to": to_stage,
                    "_status": status,
                    "_assignee": assignee,
                    "_now": now,
                    "_actor": actor,
                },
            )
            moved += int(result.rowcount)
    insert_events(conn, moves, now)
    entered = {m.to_stage for m in moves}
    notify_stages(conn, entered if notify is None else entered & set(notify))
    return moved


def insert_events(conn: Connection, moves: Iterable[Move], at: Any = None) -> None:
    """Record task events (one per move).

    On SQLite, moves that differ only in their task share one ``INSERT … SELECT`` over a
    JSON array of their task uuids (events in the order given), so that the values they
    share are bound once rather than once per task.
    """
    at = at or utcnow()
    if conn.dialect.name == "sqlite":
        groups: dict[tuple[str | None, ...], list[str]] = {}
        for m in moves:
            groups.setdefault(_event_key(m), []).append(m.task_uuid)
        for key, uuids in groups.items():
            params = dict(zip(_EVENT_SHARED, key, strict=True))
            conn.execute(_events_of_uuids(), {**params, "_at": at, "_uuids": json_text(uuids)})
        return
    rows = [
        {"task_uuid": m.task_uuid, **dict(zip(_EVENT_SHARED, _event_key(m), strict=True)), "at": at}
        for m in moves
    ]
    if rows:
        conn.execute(insert(task_events), rows)


_EVENT_SHARED = (
    "project_uuid",
    "action",
    "from_stage_uuid",
    "to_stage_uuid",
    "pathway_uuid",
    "pathway_name",
    "actor",
    "detail",
    "agent_name",
    "agent_version",
)
"""The columns of an event besides its task and time, as :func:`_event_key` gives them."""


def _event_key(m: Move) -> tuple[str | None, ...]:
    return (
        m.project_uuid,
        m.action,
        m.from_stage,
        m.to_stage,
        m.pathway_uuid,
        m.pathway_name,
        m.actor,
        m.detail,
        m.agent_name,
        m.agent_version,
    )


@cache
def _events_of_uuids() -> Any:
    given = func.json_each(bindparam("_uuids")).table_valued("value", "key").alias("given")
    shared = [bindparam(name, type_=task_events.c[name].type) for name in _EVENT_SHARED]
    return insert(task_events).from_select(
        ["task_uuid", *_EVENT_SHARED, "at"],
        select(given.c.value, *shared, bindparam("_at", type_=task_events.c.at.type)).order_by(
            given.c.key
        ),
    )


def set_assignee(
    conn: Connection, task_uuid: str, stage_uuid: str, assignee: str | None, actor: str
) -> bool:
    """Assign (or unassign) a task that is still in ``stage_uuid``; False if it moved."""
    result = conn.execute(
        update(tasks)
        .where(tasks.c.uuid == task_uuid, tasks.c.stage_uuid == stage_uuid)
        .values(
            assignee=assignee,
            status="assigned" if assignee else "new",
            updated_at=utcnow(),
            last_actioned_by=actor,
        )
    )
    return int(result.rowcount) == 1


def set_priorities(conn: Connection, priorities: Mapping[str, float]) -> None:
    """Set task priorities by task uuid."""
    if priorities:
        conn.execute(
            update(tasks)
            .where(tasks.c.uuid == bindparam("_uuid"))
            .values(priority=bindparam("_p")),
            [{"_uuid": u, "_p": p} for u, p in priorities.items()],
        )


def set_label_priorities(conn: Connection, priorities: Mapping[str, float]) -> None:
    """Set task priorities by the label hash of their row (a label row's priority)."""
    if priorities:
        # by the row's data item: a row on any label branch sets its task's priority
        of_row = label_rows.c.uuid == bindparam("_hash")
        project = select(label_rows.c.project_uuid).where(of_row).scalar_subquery()
        data = select(label_rows.c.data_hash).where(of_row).scalar_subquery()
        conn.execute(
            update(tasks)
            .where(tasks.c.project_uuid == project, tasks.c.data_hash == data)
            .values(priority=bindparam("_p")),
            [{"_hash": h, "_p": p} for h, p in priorities.items()],
        )


def record_failures(
    conn: Connection,
    failures: Sequence[Failure],
    leases: Mapping[str, Lease],
    *,
    release_leases: bool = True,
) -> None:
    """Record failed attempts on tasks still under our lease, releasing the lease (unless
    ``release_leases`` is false: a runner holding them to the end of its pass)."""
    rows = [
        {
            **_lease_row(f.task_uuid, leases[f.task_uuid]),
            "_attempts": f.attempts,
            "_error": f.error,
            "_retry": f.retry_after,
            "_status": f.status,
        }
        for f in failures
    ]
    released = {"lease_owner": None, "lease_expires_at": None} if release_leases else {}
    _update_fenced(
        conn,
        rows,
        {
            "attempts": bindparam("_attempts"),
            "last_error": bindparam("_error"),
            "retry_after": bindparam("_retry"),
            "status": bindparam("_status"),
            "updated_at": utcnow(),
            **released,
        },
    )


def clear_failures(conn: Connection, project_uuid: str, uuids: Collection[str] | None) -> int:
    """Forget failures (attempts, error, backoff) so tasks are picked up again."""
    query = update(tasks).where(
        tasks.c.project_uuid == project_uuid, tasks.c.last_error.is_not(None)
    )
    if uuids is not None:
        query = query.where(tasks.c.uuid.in_(list(uuids)))
    result = conn.execute(
        query.values(
            attempts=0, last_error=None, retry_after=None, status="new", updated_at=utcnow()
        ).returning(tasks.c.stage_uuid)
    )
    stages = [str(r.stage_uuid) for r in result]
    notify_stages(conn, stages)
    return len(stages)


def list_events(
    conn: Connection,
    project_uuid: str,
    task_uuid: str | None = None,
    after_id: int | None = None,
    *,
    agent_name: str | None = None,
    agent_version: str | None = None,
) -> list[EventRecord]:
    """A project's task events in the order they happened (those after event ``after_id``;
    optionally those of one task, or those one agent, or one version of it, decided)."""
    query = select(task_events).where(task_events.c.project_uuid == project_uuid)
    if after_id is not None:
        query = query.where(task_events.c.id > after_id)
    if task_uuid is not None:
        query = query.where(task_events.c.task_uuid == task_uuid)
    if agent_name is not None:
        query = query.where(task_events.c.agent_name == agent_name)
    if agent_version is not None:
        query = query.where(task_events.c.agent_version == agent_version)
    return [EventRecord(**r._mapping) for r in conn.execute(query.order_by(task_events.c.id))]
