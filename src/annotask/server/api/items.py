"""A project's storage items: metadata, the media bytes (with Range), thumbnails, frames.

Items are named by data hash only; the file served is the one the item's stored URI names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from annotask.client import StorageItem
from annotask.client.project_items import project_item
from annotask.server.api.lookup import project_of
from annotask.server.auth import CallerClient
from annotask.server.limits import STORE_INT_MAX
from annotask.server.media import FRAME_FORMATS, asset_file, frame_image, thumbnail_file
from annotask.server.ranges import RangeFileResponse
from annotask.server.state import state_of

__all__ = ["ItemOut", "router"]

router = APIRouter(prefix="/api/projects/{project_hash}/items", tags=["storage items"])

_CACHE = "private, max-age=3600"


class ItemOut(BaseModel):
    """A storage item's metadata."""

    data_hash: str
    dataset_hash: str
    name: str
    data_type: str
    mime_type: str
    file_size: int | None
    width: int | None
    height: int | None
    fps: float | None
    frame_count: int | None
    duration: float | None
    client_metadata: dict[str, Any]
    created_at: datetime


def _item(client: CallerClient, project_hash: str, data_hash: str) -> StorageItem:
    return project_item(project_of(client, project_hash), data_hash)


@router.get("/{data_hash}", response_model=ItemOut)
def get_item(project_hash: str, data_hash: str, client: CallerClient) -> ItemOut:
    """The item's metadata: type, size, probed properties, client metadata."""
    item = _item(client, project_hash, data_hash)
    return ItemOut(
        data_hash=item.data_hash,
        dataset_hash=item.dataset_hash,
        name=item.name,
        data_type=item.item_type.value,
        mime_type=item.mime_type,
        file_size=item.file_size,
        width=item.width,
        height=item.height,
        fps=item.fps,
        frame_count=item.frame_count,
        duration=item.duration,
        client_metadata=item.client_metadata,
        created_at=item.created_at,
    )


@router.get("/{data_hash}/media", response_class=RangeFileResponse)
def get_media(
    project_hash: str, data_hash: str, client: CallerClient, request: Request
) -> RangeFileResponse:
    """The asset's bytes; ``Range`` requests are answered ``206`` (video seeks), an
    unsatisfiable one ``416``, and a malformed one is ignored (the whole file, ``200``)."""
    item = _item(client, project_hash, data_hash)
    path = asset_file(item, state_of(request).settings.cache_dir)
    return RangeFileResponse(path, media_type=item.mime_type, headers={"Cache-Control": _CACHE})


@router.get("/{data_hash}/thumbnail", response_class=RangeFileResponse)
def get_thumbnail(
    project_hash: str,
    data_hash: str,
    *,
    client: CallerClient,
    request: Request,
    size: Annotated[int, Query(ge=16, le=512, description="longest edge, pixels")] = 256,
) -> RangeFileResponse:
    """A JPEG of the first frame fitting in ``size`` x ``size`` (cached)."""
    item = _item(client, project_hash, data_hash)
    path = thumbnail_file(item, size, state_of(request).settings.cache_dir)
    return RangeFileResponse(path, media_type="image/jpeg", headers={"Cache-Control": _CACHE})


@router.get("/{data_hash}/frames/{index}")
def get_frame(
    project_hash: str,
    data_hash: str,
    index: Annotated[int, Path(ge=0, le=STORE_INT_MAX, description="0-based frame")],
    *,
    client: CallerClient,
    request: Request,
    image_format: Annotated[str, Query(alias="format", pattern="^(png|jpeg)$")] = "png",
) -> Response:
    """Frame ``index`` (0-based) of an image, video, sequence or DICOM, as PNG or JPEG."""
    item = _item(client, project_hash, data_hash)
    body = frame_image(item, index, image_format, state_of(request).settings.cache_dir)
    return Response(
        body,
        media_type=FRAME_FORMATS[image_format][1],
        headers={"Cache-Control": _CACHE},
    )
