"""Label rows: the labels document with its version as ``ETag``; saves need ``If-Match``.

A save whose ``If-Match`` is not the row's current version is ``412`` (with the current
version), and a save that loses a race with another is ``409``: never an overwrite.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from annotask.client.label_documents import label_document, save_label_document
from annotask.labels import LabelRow
from annotask.limits import shown
from annotask.server.api.lookup import label_row_of, project_of
from annotask.server.auth import CallerClient
from annotask.server.limits import parse_id
from annotask.server.problems import Problem
from annotask.server.schemas import (
    LabelHistoryOut,
    LabelRowOut,
    LabelRowPut,
    LabelVersionOut,
    RevertBody,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/projects/{project_hash}/label-rows", tags=["label rows"])

IfMatch = Annotated[
    str | None,
    Header(description='the version the change was based on: the ETag GET gave, e.g. "3"'),
]


def _etag(version: int) -> str:
    return f'"{version}"'


def _row_out(row: LabelRow) -> LabelRowOut:
    return LabelRowOut(
        label_hash=row.label_hash,
        data_hash=row.data_hash,
        data_title=row.data_title,
        data_type=row.data_type.value,
        width=row.width,
        height=row.height,
        number_of_frames=row.number_of_frames,
        fps=row.fps,
        priority=row.priority,
        workflow_stage=row.workflow_stage,
        version=row.version,
        labels=label_document(row),
    )


def _base_version(if_match: str | None, row: LabelRow) -> int:
    if if_match is None:
        raise Problem(
            428,
            f"saving the label row of {row.data_title!r} needs an If-Match header with the "
            f"version it is based on (its ETag, now {_etag(row.version)})",
        )
    base = parse_id(if_match.strip().removeprefix("W/").strip('"'))
    if base is None:
        raise Problem(
            412,
            f"If-Match {shown(if_match)} is not a label row version; send the ETag GET gave "
            f"(now {_etag(row.version)})",
        )
    if base != row.version:
        raise Problem(
            412,
            f"the label row of {row.data_title!r} is at version {row.version}, not {base}: "
            "someone saved it meanwhile. Nothing was changed; load it again and redo the change",
            headers={"ETag": _etag(row.version)},
            current_version=row.version,
        )
    return base


@router.get("/{data}", response_model=LabelRowOut)
def get_label_row(
    project_hash: str, data: str, client: CallerClient, response: Response
) -> LabelRowOut:
    """The label row of one data item (data hash or exact title); ``ETag`` is its version."""
    row = label_row_of(project_of(client, project_hash), data)
    response.headers["ETag"] = _etag(row.version)
    return _row_out(row)


@router.put("/{data}", response_model=LabelRowOut)
def put_label_row(
    project_hash: str,
    data: str,
    *,
    body: LabelRowPut,
    client: CallerClient,
    response: Response,
    if_match: IfMatch = None,
) -> LabelRowOut:
    """Replace the labels (and optionally the priority), if the row is still at ``If-Match``."""
    project = project_of(client, project_hash)
    row = label_row_of(project, data)
    base = _base_version(if_match, row)
    save_label_document(project, row, body.labels, base, body.priority)
    saved = label_row_of(project, row.data_hash)
    response.headers["ETag"] = _etag(saved.version)
    return _row_out(saved)


@router.get("/{data}/history", response_model=LabelHistoryOut)
def label_history(project_hash: str, data: str, client: CallerClient) -> LabelHistoryOut:
    """Every saved version of the row, oldest first."""
    row = label_row_of(project_of(client, project_hash), data)
    return LabelHistoryOut(
        versions=[
            LabelVersionOut(
                version=v.version,
                saved_at=v.saved_at,
                saved_by=v.saved_by,
                workflow_stage=v.workflow_stage,
            )
            for v in row.history()
        ]
    )


@router.post("/{data}/revert", response_model=LabelRowOut)
def revert_label_row(
    project_hash: str,
    data: str,
    *,
    body: RevertBody,
    client: CallerClient,
    response: Response,
    if_match: IfMatch = None,
) -> LabelRowOut:
    """Save an earlier version's labels as the newest version (``If-Match`` as for PUT)."""
    project = project_of(client, project_hash)
    row = label_row_of(project, data)
    _base_version(if_match, row)
    project.revert_label_row(row.data_hash, body.version)
    saved = label_row_of(project, row.data_hash)
    response.headers["ETag"] = _etag(saved.version)
    return _row_out(saved)
