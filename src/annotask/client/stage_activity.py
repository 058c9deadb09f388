"""What happened in each stage of a project: moves per pathway, in total and lately."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from annotask.client.projects import Project
from annotask.store import event_stats

__all__ = ["ProjectActivity", "StageActivity", "project_activity"]


@dataclass(frozen=True, slots=True)
class StageActivity:
    """Tasks that left one stage: per pathway in total, and in the recent window."""

    moved: dict[str, int] = field(default_factory=dict)
    recent: int = 0


@dataclass(frozen=True, slots=True)
class ProjectActivity:
    """Per stage name, what left it; and when the project last changed."""

    stages: dict[str, StageActivity]
    last_event_at: datetime | None
    window_s: float


def project_activity(project: Project, window_s: float = 3600.0) -> ProjectActivity:
    """Moves per stage and pathway (all time and in the last ``window_s`` seconds)."""
    since = datetime.now(UTC) - timedelta(seconds=window_s)
    with project._reading() as conn:
        total = event_stats.moves_per_pathway(conn, project.project_hash)
        recent = event_stats.moves_per_pathway(conn, project.project_hash, since)
        last = event_stats.last_event_at(conn, project.project_hash)
    stages: dict[str, StageActivity] = {}
    for stage in project.workflow.stages:
        key = str(stage.uuid)
        stages[stage.name] = StageActivity(
            moved={p: n for (s, p), n in total.items() if s == key},
            recent=sum(n for (s, _), n in recent.items() if s == key),
        )
    return ProjectActivity(stages, last, window_s)
