"""A project's task events with their ids, read from a point on (feeds and live streams)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from annotask.client.projects import Project
from annotask.store import event_log

__all__ = ["LoggedEvent", "events_after", "last_event_id"]


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """A task event and its id (ids grow with time within a store)."""

    id: int
    task_uuid: UUID
    action: str
    from_stage: str | None
    to_stage: str | None
    pathway: str | None
    actor: str
    at: datetime
    detail: str | None


def events_after(
    project: Project, after_id: int = 0, *, task_uuid: str | None = None, limit: int = 1000
) -> list[LoggedEvent]:
    """Up to ``limit`` events of the project (or one task) newer than ``after_id``."""
    with project._reading() as conn:
        records = event_log.events_after(
            conn, project.project_hash, after_id, task_uuid=task_uuid, limit=limit
        )
    names = {str(s.uuid): s.name for s in project.workflow.stages}
    return [
        LoggedEvent(
            r.id,
            UUID(r.task_uuid),
            r.action,
            names.get(r.from_stage_uuid or ""),
            names.get(r.to_stage_uuid or ""),
            r.pathway_name,
            r.actor,
            r.at,
            r.detail,
        )
        for r in records
    ]


def last_event_id(project: Project) -> int:
    """The id of the project's newest event, 0 if none."""
    with project._reading() as conn:
        return event_log.last_event_id(conn, project.project_hash)
