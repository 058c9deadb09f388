"""A project's activity for its overview: moves per stage and pathway, last change."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from annotask.client.stage_activity import project_activity
from annotask.server.api.lookup import project_of
from annotask.server.auth import CallerClient

__all__ = ["router"]

router = APIRouter(prefix="/api/projects/{project_hash}", tags=["projects"])


class StageActivityOut(BaseModel):
    """Tasks that left a stage along each pathway (all time) and in the last hour."""

    moved: dict[str, int]
    last_hour: int


class ActivityOut(BaseModel):
    """Per stage name, what left it; and when the project last changed."""

    stages: dict[str, StageActivityOut]
    last_event_at: datetime | None


@router.get("/activity", response_model=ActivityOut)
def get_activity(project_hash: str, client: CallerClient) -> ActivityOut:
    """Tasks moved per stage and pathway, in total and over the last hour."""
    activity = project_activity(project_of(client, project_hash), 3600.0)
    return ActivityOut(
        stages={
            name: StageActivityOut(moved=s.moved, last_hour=s.recent)
            for name, s in activity.stages.items()
        },
        last_event_at=activity.last_event_at,
    )
