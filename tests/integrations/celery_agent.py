"""The agent file the Celery tests start workers with: ``celery -A celery_agent worker``.

Configured by environment variables (set by the tests for each worker): the store, the
project, the broker, a prefix that keeps each test's queue and Redis keys apart, and a folder
where the agent notes each call. Items named ``boom…`` make the agent raise; items named
``slow…`` make it sleep until a file ``fast`` appears in that folder.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from celery import Celery

from annotask import AgentTask, Client
from annotask.integrations.celery import register
from annotask.tasks import QueueRunner

ENV_PREFIX = "ANNOTASK_TEST_CELERY_"


def build(
    *,
    store_url: str,
    project_hash: str,
    broker_url: str,
    prefix: str,
    markers: Path,
    lease_seconds: float = 30.0,
    visibility_timeout: float = 60.0,
) -> tuple[Celery, QueueRunner]:
    """The Celery app and the queue runner, registered with each other."""
    app = Celery(f"agent_{prefix}", broker=broker_url, backend=broker_url)
    app.conf.update(
        task_default_queue=prefix,
        broker_transport_options={
            "visibility_timeout": visibility_timeout,
            "global_keyprefix": f"{prefix}:",
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        },
        result_backend_transport_options={"global_keyprefix": f"{prefix}:"},
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        result_expires=600,
    )
    client = Client(store_url, user="alice")
    runner = QueueRunner(project_hash, client=client, lease_seconds=lease_seconds)

    @runner.stage("Pre-label")
    def route(task: AgentTask) -> str:
        with (markers / "calls").open("a") as log:
            log.write(f"{os.getpid()} {task.data_title}\n")
        if task.data_title.startswith("boom"):
            raise RuntimeError("boom from the agent")
        while task.data_title.startswith("slow") and not (markers / "fast").exists():
            time.sleep(0.1)
        return "has objects"

    register(app, runner, max_retries=3, retry_backoff=0.2, retry_backoff_max=1.0)
    return app, runner


if ENV_PREFIX + "PREFIX" in os.environ:
    env = {
        k.removeprefix(ENV_PREFIX).lower(): v
        for k, v in os.environ.items()
        if k.startswith(ENV_PREFIX)
    }
    app, runner = build(
        store_url=env["store"],
        project_hash=env["project"],
        broker_url=env["broker"],
        prefix=env["prefix"],
        markers=Path(env["markers"]),
        lease_seconds=float(env.get("lease", "30")),
        visibility_timeout=float(env.get("visibility", "60")),
    )
