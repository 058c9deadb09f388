"""A QueueRunner agent served by Celery workers, fed by ``annotask dispatch``.

Configure it with environment variables, start workers with Celery's own command from this
folder, then enqueue the project's claimable tasks:

    export ANNOTASK_DATABASE_URL=postgresql+psycopg://user@db:5432/annotask   # shared store
    export PROJECT=<project hash>
    export CELERY_BROKER_URL=redis://127.0.0.1:6379/0                        # the default
    celery -A celery_agent worker --loglevel=info --concurrency=2
    annotask dispatch celery_agent.py --project-hash $PROJECT --chunk-size 100

``ANNOTASK_QUEUE`` names the Celery queue (default ``annotask``). The agent routes each task
by the item's ``client_metadata["kind"]``. The scale-out tests run this file with a real
worker and Redis.
"""

from __future__ import annotations

import os

from celery import Celery

from annotask import StorageItem
from annotask.integrations.celery import register
from annotask.tasks import QueueRunner

broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
app = Celery("celery_agent", broker=broker, backend=broker)
app.conf.task_default_queue = os.environ.get("ANNOTASK_QUEUE", "annotask")
runner = QueueRunner(project_hash=os.environ["PROJECT"])


@runner.stage("Pre-label")
def route_by_kind(item: StorageItem) -> str:
    """Scenes go to review; anything else to a person first."""
    return "has objects" if item.client_metadata.get("kind") == "scene" else "empty"


register(app, runner)  # one Celery task per stage: annotask.<project hash[:8]>.<stage>
