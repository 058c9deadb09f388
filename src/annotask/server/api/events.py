"""Task events of a project: pages by id, and a live Server-Sent Events stream.

The stream sends each event as ``id: <event id>`` / ``event: task`` / ``data: <json>``; a
client that reconnects with ``Last-Event-ID`` (browsers do it themselves) gets every event
after that one, so nothing is missed or repeated across reconnects.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from annotask.client import Project
from annotask.client.event_log import events_after
from annotask.errors import AnnotaskError
from annotask.server.api.lookup import project_of
from annotask.server.api.tasks import event_out
from annotask.server.auth import CallerClient
from annotask.server.limits import STORE_INT_MAX, parse_id
from annotask.server.schemas import EventOut
from annotask.server.state import state_of

__all__ = ["router"]

router = APIRouter(prefix="/api/projects/{project_hash}", tags=["events"])

_HEARTBEAT_S = 15.0
_BATCH = 500


class EventPageOut(BaseModel):
    """Events after ``after``, oldest first; ask again with ``after=last_id`` for more."""

    events: list[EventOut]
    last_id: int


@router.get("/events", response_model=EventPageOut)
def list_events(
    project_hash: str,
    client: CallerClient,
    after: Annotated[int, Query(ge=0, le=STORE_INT_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventPageOut:
    """The project's task events with ids above ``after``."""
    events = events_after(project_of(client, project_hash), after, limit=limit)
    return EventPageOut(
        events=[event_out(e) for e in events], last_id=events[-1].id if events else after
    )


@router.get("/tasks/{task_uuid}/events", response_model=EventPageOut)
def task_events(
    project_hash: str,
    task_uuid: str,
    client: CallerClient,
    after: Annotated[int, Query(ge=0, le=STORE_INT_MAX)] = 0,
) -> EventPageOut:
    """One task's events with ids above ``after``."""
    project = project_of(client, project_hash)
    task = project.get_task(task_uuid)
    events = events_after(project, after, task_uuid=str(task.uuid), limit=10_000)
    return EventPageOut(
        events=[event_out(e) for e in events], last_id=events[-1].id if events else after
    )


@router.get("/events/stream", response_class=StreamingResponse)
def stream_events(
    project_hash: str,
    client: CallerClient,
    request: Request,
    after: Annotated[
        int | None, Query(ge=0, le=STORE_INT_MAX, description="start after this event id")
    ] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Server-Sent Events: every task event of the project from ``Last-Event-ID`` on.

    A ``Last-Event-ID`` that is not an event id we could have sent (not ASCII digits, or
    past the largest id a store holds) is ignored, as if absent: the stream starts after
    ``after`` (or at the first event). Refusing it instead would end a browser's EventSource
    for good on a header the browser itself repeats, and answering 200 then failing would make
    it reconnect in a loop; a stream from the start is the one answer it handles sanely.
    """
    project = project_of(client, project_hash)
    start = after or 0
    resumed = None if last_event_id is None else parse_id(last_event_id.strip())
    if resumed is not None:
        start = resumed
    return StreamingResponse(
        _stream(project, start, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(project: Project, start: int, request: Request) -> AsyncIterator[str]:
    state = state_of(request)
    last = start
    idle = 0.0
    yield "retry: 2000\n\n"
    while not await request.is_disconnected() and not state.closing:
        try:
            events = await run_in_threadpool(events_after, project, last, limit=_BATCH)
        except AnnotaskError as exc:  # e.g. the caller was removed from the project
            yield f"event: error\ndata: {str(exc)!r}\n\n"
            return
        for event in events:
            last = event.id
            yield f"id: {event.id}\nevent: task\ndata: {event_out(event).model_dump_json()}\n\n"
        if len(events) == _BATCH:
            continue
        if idle >= _HEARTBEAT_S:
            yield ": keep-alive\n\n"
            idle = 0.0
        poll = state.settings.event_poll_s
        await state.waker.wait(poll)
        idle += poll
        await asyncio.sleep(0)
