"""A project's tasks a page at a time, filtered, with opaque cursors (for the HTTP API)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from annotask.client.projects import Project
from annotask.errors import ValidationError
from annotask.store import task_pages
from annotask.store import tasks as task_store
from annotask.workflow.tasks import WorkflowTask

__all__ = ["MAX_PAGE", "TaskPage", "TaskQuery", "page_tasks"]

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class TaskQuery:
    """Which tasks to list; every field optional."""

    stage: str | None = None
    """A stage name or UUID."""
    status: Sequence[str] | None = None
    assignee: str | None = None
    failed: bool | None = None
    priority_min: float | None = None
    priority_max: float | None = None
    last_pathway: str | None = None
    title_contains: str | None = None


@dataclass(frozen=True, slots=True)
class TaskPage:
    """One page of tasks, and the cursor of the next page (None after the last)."""

    tasks: list[WorkflowTask]
    next_cursor: str | None


def page_tasks(
    project: Project, query: TaskQuery, *, cursor: str | None = None, limit: int = 50
) -> TaskPage:
    """Tasks of ``project`` matching ``query``, highest priority first, ``limit`` at a time.

    Pass the page's ``next_cursor`` to get the next one; tasks moved between pages are
    neither repeated nor skipped on account of the others' moves.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be 1..{MAX_PAGE}, got {limit}")
    stage_uuid = None if query.stage is None else str(project.workflow.find_stage(query.stage).uuid)
    flt = task_pages.PageFilter(
        base=task_store.TaskFilter(
            stage_uuid=stage_uuid,
            status=query.status,
            assignee=query.assignee,
            failed=query.failed,
            title_contains=query.title_contains,
        ),
        priority_min=query.priority_min,
        priority_max=query.priority_max,
        last_pathway=query.last_pathway,
    )
    after = None if cursor is None else _decode(cursor)
    with project._reading() as conn:
        records = task_pages.page_tasks(
            conn, project.project_hash, flt, after=after, limit=limit + 1
        )
    more = len(records) > limit
    records = records[:limit]
    tasks = [project.workflow.task_from_record(r) for r in records]
    last = records[-1] if more else None
    next_cursor = (
        None
        if last is None
        else _encode(task_pages.PageKey(last.priority, last.created_at, last.uuid))
    )
    return TaskPage(tasks, next_cursor)


def _encode(key: task_pages.PageKey) -> str:
    raw = json.dumps([key.priority, key.created_at.isoformat(), key.uuid]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> task_pages.PageKey:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        priority, created_at, uuid = json.loads(raw)
        return task_pages.PageKey(float(priority), datetime.fromisoformat(created_at), str(uuid))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValidationError(
            f"cursor {cursor[:40]!r} is not one this API gave; use a next_cursor from a task list"
        ) from exc
