"""One earlier version of a label row with its labels, so the web app can show what changed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel

from annotask.client.label_versions import label_version
from annotask.server.api.lookup import project_of
from annotask.server.auth import CallerClient
from annotask.server.limits import STORE_INT_MAX

__all__ = ["router"]

router = APIRouter(prefix="/api/projects/{project_hash}/label-rows", tags=["label rows"])


class SavedVersionOut(BaseModel):
    """A saved version of a label row and its labels document."""

    version: int
    saved_at: datetime
    saved_by: str
    labels: dict[str, Any]


@router.get("/{data}/versions/{version}", response_model=SavedVersionOut)
def get_label_version(
    project_hash: str,
    data: str,
    version: Annotated[int, Path(ge=1, le=STORE_INT_MAX)],
    client: CallerClient,
) -> SavedVersionOut:
    """Version ``version`` of the label row of one data item (data hash or exact title)."""
    saved = label_version(project_of(client, project_hash), data, version)
    return SavedVersionOut(
        version=saved.version, saved_at=saved.saved_at, saved_by=saved.saved_by, labels=saved.labels
    )
