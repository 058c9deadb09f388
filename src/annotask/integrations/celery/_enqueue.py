"""``enqueue``: put every claimable task of a queue runner's stages on the Celery queue."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kombu.exceptions import KombuError
from kombu.utils.url import maybe_sanitize_url

from annotask.errors import AnnotaskError, ValidationError
from annotask.integrations.celery._register import task_name
from annotask.store import tasks as task_store
from annotask.tasks import QueueRunner
from annotask.tasks.runner.runner_base import chunks
from annotask.workflow import AgentStage

__all__ = [
    "BROKER_TIMEOUT_S",
    "BrokerError",
    "Enqueued",
    "check_broker",
    "claimable_specs",
    "enqueue",
]

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_S = 5.0


class BrokerError(AnnotaskError):
    """Raised when a message cannot be sent to the Celery broker (down, refused, timed out)."""


@dataclass(frozen=True)
class Enqueued:
    """What :func:`enqueue` sent: how many specs, in how many messages, and each message's
    ``AsyncResult`` (its ``get()`` returns the list of result JSON strings)."""

    specs: int
    messages: int
    results: list[Any] = field(default_factory=list, repr=False)


def claimable_specs(runner: QueueRunner, stage: AgentStage) -> list[str]:
    """Spec JSON of the stage's tasks that nobody holds and that wait out no failure
    backoff, highest priority first."""
    with runner.client.store.read() as conn:
        free = set(task_store.claimable_uuids(conn, str(stage.uuid), time.time()))
    return [t.model_dump_json() for t in stage.get_tasks() if str(t.uuid) in free]


def enqueue(
    app: Any, runner: QueueRunner, *, chunk_size: int = 100, **send_options: Any
) -> Enqueued:
    """Send the spec of every claimable task of the runner's stages to its Celery task, in
    messages of up to ``chunk_size`` specs; ``send_options`` go to ``apply_async``
    (``queue=``, ``priority=`` …).

    ``register(app, runner)`` must have been called. Enqueuing twice is harmless: a spec
    whose task has moved on returns ``success=false`` saying where it is, and moves nothing.
    """
    if chunk_size < 1:
        raise ValidationError(f"chunk_size must be at least 1, got {chunk_size!r}")
    check_broker(app)
    project = runner.get_project()
    runner.bind_all(project)  # checks the stages and the user's right to run agents
    specs = messages = 0
    results: list[Any] = []
    for registration in runner.agents:
        stage_key = registration.stage
        name = task_name(runner, stage_key)
        task = app.tasks.get(name)
        if task is None:
            raise ValidationError(
                f"the Celery app has no task {name!r} for stage {stage_key!r}: call "
                "register(app, runner) in the agent file, after every @runner.stage"
            )
        stage = runner.bind(project, registration).stage
        found = claimable_specs(runner, stage)
        results.extend(_send(app, task, chunk, send_options) for chunk in chunks(found, chunk_size))
        sent = -(-len(found) // chunk_size)
        logger.info("stage %r: %d specs in %d messages to %s", stage.name, len(found), sent, name)
        specs += len(found)
        messages += sent
    return Enqueued(specs=specs, messages=messages, results=results)


def check_broker(app: Any, timeout: float = BROKER_TIMEOUT_S) -> None:
    """Connect to the app's broker once, within ``timeout`` seconds; a :class:`BrokerError`
    naming its URL if it does not answer (instead of Celery's publish retries, ~25 s)."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, interval_max=0, timeout=timeout
            )
    except (KombuError, OSError) as exc:
        raise BrokerError(
            f"cannot reach the Celery broker {_broker(app)}: {exc}; start it, or point the "
            "agent file's Celery app at one that runs"
        ) from exc


def _send(app: Any, task: Any, specs: Sequence[str], options: dict[str, Any]) -> Any:
    try:
        return task.apply_async(args=[list(specs)], **options)
    except (KombuError, OSError) as exc:
        raise BrokerError(
            f"cannot send task {task.name!r} to the broker {_broker(app)}: {exc}"
        ) from exc


def _broker(app: Any) -> str:
    return str(maybe_sanitize_url(app.conf.broker_url or "(default amqp://localhost)"))
