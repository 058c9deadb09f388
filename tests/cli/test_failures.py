"""Leases and failure records in ``tasks list``; ``tasks retry`` clears failures."""

from __future__ import annotations

import time

import annotask
from annotask.store import tasks as task_store
from tests.cli.helpers import Invoke, row_of, task_uuids

ERROR = "ValueError: the model could not load weights from a path that is far too long to show\n"


def _claim(db_url: str, project: str, task: str, owner: str) -> dict[str, task_store.Lease]:
    with annotask.Client(db_url, user="alice") as client:
        stage = client.get_project(project).workflow.get_stage(name="Pre-label")
        now = time.time()
        with client.store.write() as conn:
            return task_store.claim(
                conn, str(stage.uuid), uuids=[task], owner=owner, expires_at=now + 600, now=now
            )


def _fail(db_url: str, project: str, task: str) -> None:
    leases = _claim(db_url, project, task, "runner-1")
    failure = task_store.Failure(task, 3, ERROR + "Traceback: ...", None, "failed")
    with annotask.Client(db_url, user="alice") as client, client.store.write() as conn:
        task_store.record_failures(conn, [failure], leases)


def test_tasks_list_shows_lease_owner_and_expiry_only_when_leased(
    cli: Invoke, demo_project: str, db_url: str
) -> None:
    first, second, *_ = task_uuids(cli("tasks", "list", demo_project))
    assert "lease" not in cli("tasks", "list", demo_project).stdout
    _claim(db_url, demo_project, first, "runner-7")
    listed = cli("tasks", "list", demo_project)
    assert "runner-7 until " in row_of(listed, first)
    assert "runner-7" not in row_of(listed, second)


def test_failed_tasks_show_attempts_and_one_line_of_error_and_retry_clears_them(
    cli: Invoke, demo_project: str, db_url: str
) -> None:
    first, second, *_ = task_uuids(cli("tasks", "list", demo_project))
    _fail(db_url, demo_project, first)
    failed = cli("tasks", "list", demo_project, "--failed")
    assert task_uuids(failed) == [first]
    row = row_of(failed, first)
    assert "failed" in row and " 3 " in row
    assert "ValueError: the model could not load" in row and "…" in row
    assert "Traceback" not in failed.stdout
    assert task_uuids(cli("tasks", "list", demo_project, "--status", "failed")) == [first]

    assert "of 0 task(s)" in cli("tasks", "retry", demo_project, second).stdout
    assert "of 1 task(s)" in cli("tasks", "retry", demo_project).stdout
    assert "no tasks" in cli("tasks", "list", demo_project, "--failed").stdout
    assert row_of(cli("tasks", "list", demo_project), first).endswith(" 0")  # attempts, no error
