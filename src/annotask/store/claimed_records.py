"""Claiming named tasks and reading their records back in one statement (PostgreSQL).

A queue worker names the tasks it wants (from the specs of a message); the claim leases those
still claimable and returns their records, which the agent receives. On PostgreSQL that is
one ``WITH claimed AS (UPDATE tasks … RETURNING …) SELECT … FROM claimed JOIN
storage_items``; run in autocommit (:meth:`annotask.store.Store.single_statement`) it costs
one round trip. SQLite has no data-modifying CTE: there it is the claim, then the read, in
the caller's write transaction.

On PostgreSQL the claim's commit does not wait for its WAL record to reach the disk
(``synchronous_commit`` off, for that transaction only). A server crash in the fraction of a
second before the record is flushed forgets the lease: the task is claimable again and its
agent may run twice, which leases allow (agents run at least once). The move that ends the
lease is fenced by owner and token and commits durably, so a transition still happens once.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, String, any_, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from annotask.store.records import TaskRecord
from annotask.store.schema import storage_items, tasks
from annotask.store.tasks import Lease, TaskFilter, claim, list_tasks

__all__ = ["claim_records"]


def claim_records(
    conn: Connection,
    project_uuid: str,
    stage_uuid: str,
    uuids: Sequence[str],
    *,
    owner: str,
    expires_at: float,
    now: float,
) -> tuple[dict[str, Lease], list[TaskRecord]]:
    """Lease those of ``uuids`` that are still claimable in the project's stage; return their
    leases and their records (as claimed: new owner, token and expiry), highest priority
    first."""
    if not uuids:
        return {}, []
    if conn.dialect.name != "postgresql":
        leases = claim(conn, stage_uuid, uuids, owner=owner, expires_at=expires_at, now=now)
        if not leases:
            return {}, []
        flt = TaskFilter(stage_uuid=stage_uuid, uuids=list(leases))
        return leases, list_tasks(conn, project_uuid, flt)
    params = {
        "_uuids": list(uuids),
        "_project": project_uuid,
        "_stage": stage_uuid,
        "_now": now,
        "_owner": owner,
        "_expires": expires_at,
    }
    records = [TaskRecord(*row) for row in conn.execute(_claim_returning_records(), params)]
    leases = {r.uuid: Lease(owner, r.lease_token, expires_at) for r in records}
    return leases, records


@cache
def _claim_returning_records() -> Select[Any]:
    claimed = (
        update(tasks)
        .where(
            tasks.c.uuid == any_(bindparam("_uuids", type_=ARRAY(String))),
            tasks.c.project_uuid == bindparam("_project"),
            tasks.c.stage_uuid == bindparam("_stage"),
            or_(tasks.c.lease_expires_at.is_(None), tasks.c.lease_expires_at < bindparam("_now")),
            or_(tasks.c.retry_after.is_(None), tasks.c.retry_after <= bindparam("_now")),
        )
        .values(
            lease_owner=bindparam("_owner"),
            lease_token=tasks.c.lease_token + 1,
            lease_expires_at=bindparam("_expires"),
        )
        .returning(*(c for c in tasks.c))
        .cte("claimed")
    )
    # columns in TaskRecord's field order, so that rows build records positionally
    columns = [
        storage_items.c.name.label("data_title") if name == "data_title" else claimed.c[name]
        for name in TaskRecord._fields
    ]
    # The claim commits without waiting for its WAL record to reach the disk (this
    # transaction only: ``set_config(…, true)``); the move that ends the lease waits as usual,
    # and flushes the claim's record with its own.
    relaxed = select(func.set_config("synchronous_commit", "off", True)).scalar_subquery()
    return (
        select(*columns)
        .join_from(claimed, storage_items, storage_items.c.uuid == claimed.c.data_hash)
        .where(relaxed == "off")
        .order_by(claimed.c.priority.desc(), claimed.c.created_at, claimed.c.uuid)
    )
