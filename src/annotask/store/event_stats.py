"""Task events summed per stage and pathway: what a project's overview shows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select

from annotask.store.schema import task_events

__all__ = ["last_event_at", "moves_per_pathway"]


def moves_per_pathway(
    conn: Connection, project_uuid: str, since: datetime | None = None
) -> dict[tuple[str, str], int]:
    """Tasks moved out of each stage along each pathway: ``(from stage, pathway) -> n``."""
    query = (
        select(task_events.c.from_stage_uuid, task_events.c.pathway_name, func.count())
        .where(
            task_events.c.project_uuid == project_uuid,
            task_events.c.from_stage_uuid.is_not(None),
            task_events.c.pathway_name.is_not(None),
        )
        .group_by(task_events.c.from_stage_uuid, task_events.c.pathway_name)
    )
    if since is not None:
        query = query.where(task_events.c.at >= since)
    return {(str(stage), str(pathway)): int(n) for stage, pathway, n in conn.execute(query)}


def last_event_at(conn: Connection, project_uuid: str) -> datetime | None:
    """When the project's newest event happened (None when it has none)."""
    newest = (
        select(func.max(task_events.c.id))
        .where(task_events.c.project_uuid == project_uuid)
        .scalar_subquery()
    )
    value = conn.execute(select(task_events.c.at).where(task_events.c.id == newest)).scalar()
    return value if isinstance(value, datetime) else None
