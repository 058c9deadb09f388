"""Tasks a page at a time, in list order (priority high to low, then oldest, then uuid).

Paging is by key, not offset: a page starts after the last task of the one before, so the
last page costs what the first does, and tasks that move meanwhile neither repeat nor push
others off a page. Each page is at most two index seeks: the rest of the cursor's priority,
then the lower priorities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, String, func, literal, select, tuple_

from annotask.store.records import TaskRecord
from annotask.store.schema import UTCDateTime, task_events, tasks
from annotask.store.tasks import TaskFilter, _filtered, _task_select

__all__ = ["PageFilter", "PageKey", "page_tasks"]


@dataclass(frozen=True, slots=True)
class PageKey:
    """Where a page starts: just after the task with this sort key."""

    priority: float
    created_at: datetime
    uuid: str


@dataclass(frozen=True, slots=True)
class PageFilter:
    """What :class:`TaskFilter` selects, plus a priority range and the last pathway taken."""

    base: TaskFilter = field(default_factory=TaskFilter)
    priority_min: float | None = None
    priority_max: float | None = None
    last_pathway: str | None = None


def _query(project_uuid: str, flt: PageFilter) -> Select[Any]:
    query = _filtered(_task_select(), project_uuid, flt.base)
    if flt.priority_min is not None:
        query = query.where(tasks.c.priority >= flt.priority_min)
    if flt.priority_max is not None:
        query = query.where(tasks.c.priority <= flt.priority_max)
    if flt.last_pathway is not None:
        moves = task_events.alias("moves")
        latest = (
            select(func.max(moves.c.id))
            .where(moves.c.task_uuid == tasks.c.uuid, moves.c.pathway_name.is_not(None))
            .correlate(tasks)
            .scalar_subquery()
        )
        taken = select(task_events.c.pathway_name).where(task_events.c.id == latest)
        query = query.where(taken.correlate(tasks).scalar_subquery() == flt.last_pathway)
    return query


def page_tasks(
    conn: Connection,
    project_uuid: str,
    flt: PageFilter,
    *,
    after: PageKey | None,
    limit: int,
) -> list[TaskRecord]:
    """Up to ``limit`` tasks matching ``flt`` that sort after ``after`` (from the start if None)."""
    query = _query(project_uuid, flt)
    order = (tasks.c.priority.desc(), tasks.c.created_at, tasks.c.uuid)
    if after is None:
        return [TaskRecord(*r) for r in conn.execute(query.order_by(*order).limit(limit))]
    same = query.where(
        tasks.c.priority == after.priority,
        tuple_(tasks.c.created_at, tasks.c.uuid)
        > tuple_(literal(after.created_at, UTCDateTime()), literal(after.uuid, String())),
    )
    found = [TaskRecord(*r) for r in conn.execute(same.order_by(*order).limit(limit))]
    if len(found) < limit:
        lower = query.where(tasks.c.priority < after.priority).order_by(*order)
        found += [TaskRecord(*r) for r in conn.execute(lower.limit(limit - len(found)))]
    return found
