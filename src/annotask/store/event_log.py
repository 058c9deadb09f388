"""Task events in id order, from a point on: what event feeds and streams read."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from annotask.store.records import EventRecord
from annotask.store.schema import task_events

__all__ = ["events_after", "last_event_id"]


def events_after(
    conn: Connection,
    project_uuid: str,
    after_id: int,
    *,
    task_uuid: str | None = None,
    limit: int = 1000,
) -> list[EventRecord]:
    """Up to ``limit`` events of a project (or of one task) with ids above ``after_id``."""
    query = select(task_events).where(
        task_events.c.project_uuid == project_uuid, task_events.c.id > after_id
    )
    if task_uuid is not None:
        query = query.where(task_events.c.task_uuid == task_uuid)
    rows = conn.execute(query.order_by(task_events.c.id).limit(limit))
    return [EventRecord(**r._mapping) for r in rows]


def last_event_id(conn: Connection, project_uuid: str) -> int:
    """The id of the project's newest event (0 when it has none)."""
    query = select(func.max(task_events.c.id)).where(task_events.c.project_uuid == project_uuid)
    return int(conn.execute(query).scalar_one() or 0)
