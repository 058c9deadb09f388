"""Labels in and out: export (COCO, JSON) as a download, COCO import as an upload.

Both go through the same client functions as ``annotask export`` and ``annotask import``;
an import is all or nothing.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from annotask.client.interchange import (
    export_coco_labels,
    export_json_labels,
    import_coco_labels,
)
from annotask.errors import ValidationError
from annotask.limits import load_json, shown
from annotask.server.api.lookup import project_of
from annotask.server.auth import CallerClient

__all__ = ["router"]

router = APIRouter(prefix="/api/projects/{project_hash}", tags=["export and import"])


class ImportOut(BaseModel):
    """What an import changed."""

    annotations_imported: int
    objects_added: int
    rows_changed: list[str]
    unknown_categories: list[str]
    unmatched_images: list[str]


@router.get("/export", response_class=Response)
def export(
    project_hash: str,
    client: CallerClient,
    export_format: Annotated[str, Query(alias="format", pattern="^(json|coco)$")] = "json",
) -> Response:
    """Every label row of the project as a COCO or annotask JSON file (a download)."""
    project = project_of(client, project_hash)
    document: dict[str, Any] = (
        export_coco_labels(project) if export_format == "coco" else export_json_labels(project)
    )
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in project.title)[:80]
    filename = f"{safe or 'project'}-{export_format}.json"
    return Response(
        json.dumps(document).encode(),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/import", response_model=ImportOut)
def import_coco(
    project_hash: str,
    client: CallerClient,
    file: Annotated[UploadFile, File(description="a COCO JSON file")],
    skip_unknown: bool = False,
    skip_unmatched: bool = False,
) -> ImportOut:
    """Add a COCO file's annotations to the label rows, all or nothing (new versions)."""
    project = project_of(client, project_hash)
    name = f"upload {shown(file.filename)}" if file.filename else "the upload"
    try:
        # load_json refuses (ValidationError) undecodable bytes, NaN, and nesting too deep
        # for the parser (a RecursionError in json.loads) or past the store's MAX_DEPTH
        coco = load_json(file.file.read(), name)
    except ValidationError as exc:
        raise ValidationError(f"{exc}; nothing was imported; send a COCO JSON file") from exc
    if not isinstance(coco, dict):
        raise ValidationError(
            f"{name} holds {shown(coco)}, not a COCO object with images, annotations and "
            "categories; nothing was imported"
        )
    report = import_coco_labels(
        project, coco, skip_unknown=skip_unknown, skip_unmatched=skip_unmatched
    )
    return ImportOut(
        annotations_imported=report.annotations_imported,
        objects_added=report.objects_added,
        rows_changed=list(report.rows_changed),
        unknown_categories=list(report.unknown_categories),
        unmatched_images=list(report.unmatched_images),
    )
