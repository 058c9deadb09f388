"""``annotask events PROJECT [--task T] [--follow]``: what happened to a project's tasks."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from annotask.cli.args import ProjectArg
from annotask.cli.session import Session, get_session

if TYPE_CHECKING:
    from annotask.client import TaskEvent

__all__ = ["event_line", "events"]


def event_line(event: TaskEvent, *, short: bool) -> str:
    """One event as one line: when, task, action, move, pathway, who, and the error if any."""
    when = event.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    task = str(event.task_uuid)[:8] if short else str(event.task_uuid)
    parts = [when, task, event.action]
    if event.from_stage or event.to_stage:
        parts.append(f"{event.from_stage or '-'} → {event.to_stage or '-'}")
    if event.pathway:
        parts.append(f"via {event.pathway!r}")
    parts.append(f"by {event.actor}")
    if event.detail:
        last = [line for line in event.detail.strip().splitlines() if line.strip()][-1:]
        parts.append(f"({last[0] if last else ''})")
    return "  ".join(parts)


def events(
    ctx: typer.Context,
    project: ProjectArg,
    task: Annotated[
        str | None,
        typer.Option(
            "--task", "-t", metavar="TASK", help="Only this task (UUID or its first characters)."
        ),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events until Ctrl-C.")
    ] = False,
    interval: Annotated[
        float,
        typer.Option("--interval", metavar="SECONDS", min=0.1, help="How often --follow looks."),
    ] = 1.0,
) -> None:
    """A project's task events, oldest first: moves, submissions, failures, who and when."""
    session = get_session(ctx)
    found = session.client().get_project(project)
    task_uuid = None if task is None else found.get_task(task).uuid
    try:
        last = _print_new(session, found.events(task_uuid))
        if last is None and not follow:
            session.note(f"no events recorded for {found.what}")
        while follow:
            time.sleep(interval)
            last = _print_new(session, found.events(task_uuid, after=last), last)
    except KeyboardInterrupt:
        return


def _print_new(session: Session, new: list[TaskEvent], last: int | None = None) -> int | None:
    short = session.out.is_terminal
    for event in new:
        session.say(event_line(event, short=short))
    if new:
        session.out.file.flush()  # a pipe (| grep, a log file) sees each event as it comes
    return new[-1].event_id if new else last
