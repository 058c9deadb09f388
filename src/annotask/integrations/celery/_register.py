"""``register``: every stage of a queue runner as a Celery task (late acks, retried
infrastructure errors, agent errors reported in the result)."""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from annotask.errors import ValidationError
from annotask.store import tasks as task_store
from annotask.store.transient import is_transient
from annotask.tasks import QueueRunner, TaskCompletionResult

try:
    import celery
    from celery.signals import worker_process_init
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "annotask.integrations.celery needs Celery: pip install 'annotask[celery]'"
    ) from exc

__all__ = ["is_infrastructure_error", "register", "task_name"]

logger = logging.getLogger(__name__)

Specs = str | Sequence[str]


def is_infrastructure_error(exc: BaseException) -> bool:
    """True for errors worth retrying later: the store's one classification of transient
    errors (:func:`annotask.store.transient.transient_kind`: connection lost, server
    restarting, serialization failure, deadlock, database busy). Agent errors never get
    here: the queue runner records them on the task and reports them in the result."""
    return is_transient(exc)


def task_name(runner: QueueRunner, stage: str) -> str:
    """The Celery name of the task for ``stage`` (as registered with ``@runner.stage``):
    ``annotask.<first 8 characters of the project hash>.<stage>``."""
    project = runner.project_hash or "noproject"
    return f"annotask.{project[:8]}.{stage}"


def register(
    app: celery.Celery,
    runner: QueueRunner,
    *,
    max_retries: int = 5,
    retry_backoff: float = 1.0,
    retry_backoff_max: float = 60.0,
    **task_options: Any,
) -> dict[str, celery.Task]:
    """Make each stage of ``runner`` a task of ``app``; return them keyed by stage.

    Call it in the agent file after every ``@runner.stage``. Each task is named by
    :func:`task_name`, takes a spec JSON string or a list of them and returns result JSON (a
    string, or a list with one result per spec in order). Tasks acknowledge their message
    after they finish (``acks_late``) and are redelivered if the worker dies
    (``reject_on_worker_lost``). An infrastructure error (:func:`is_infrastructure_error`) is
    retried up to ``max_retries`` times, after about ``retry_backoff * 2**n`` seconds (at
    most ``retry_backoff_max``, with jitter); any other error fails the Celery task at once.
    ``task_options`` go to ``app.task`` (``queue=``, ``rate_limit=``, ``time_limit=`` …).

    A spec whose task another worker holds (one still at work, or one that died before its
    lease expired and whose message came back early) is retried once that lease expires,
    counting against ``max_retries``; the results of the message's other specs are kept, so
    the final result still has one entry per spec, in order.

    The runner's ``lease_seconds`` should be shorter than the broker's visibility timeout
    (Redis: ``broker_transport_options={"visibility_timeout": ...}``, default one hour), so
    that a message redelivered after a worker died finds the dead worker's lease expired.
    """
    if not runner.agents:
        raise ValidationError(
            "the runner has no agents: call register(app, runner) after every @runner.stage"
        )
    if max_retries < 0 or retry_backoff <= 0 or retry_backoff_max < retry_backoff:
        raise ValidationError(
            "need max_retries >= 0 and 0 < retry_backoff <= retry_backoff_max, got "
            f"{max_retries!r}, {retry_backoff!r}, {retry_backoff_max!r}"
        )
    _check_visibility_timeout(app, runner)
    _reset_after_fork(runner)
    options = {
        "bind": True,
        "shared": False,
        "acks_late": True,
        "reject_on_worker_lost": True,
        "max_retries": max_retries,
        **task_options,
    }
    registered: dict[str, celery.Task] = {}
    for registration in runner.agents:
        stage = registration.stage
        body = _task_body(runner, stage, retry_backoff, retry_backoff_max)
        body.__doc__ = registration.fn.__doc__ or f"The annotask agent of stage {stage!r}."
        registered[stage] = app.task(name=task_name(runner, stage), **options)(body)
    return registered


def _task_body(
    runner: QueueRunner, stage: str, backoff: float, backoff_max: float
) -> Callable[..., str | list[str]]:
    def run_specs(task: Any, specs: Specs, done: dict[str, str] | None = None) -> str | list[str]:
        """``done``: result JSON by index of the specs an earlier attempt settled."""
        spec_list = _as_list(specs)
        settled = dict(done or {})
        todo = [i for i in range(len(spec_list)) if str(i) not in settled]
        try:
            results = runner.execute(stage, [spec_list[i] for i in todo]) if todo else []
        except Exception as exc:
            if not is_infrastructure_error(exc):
                raise
            delay = _backoff(int(task.request.retries), backoff, backoff_max)
            _log_retry(task, stage, f"{type(exc).__name__}: {exc}", delay)
            raise task.retry(kwargs={"done": settled}, countdown=delay, exc=exc) from exc
        by_index = dict(zip(todo, results, strict=True))
        busy = _leased_elsewhere(runner, by_index)
        if busy is not None and int(task.request.retries) < int(task.max_retries):
            settled.update(
                {str(i): r.model_dump_json() for i, r in by_index.items() if i not in busy[0]}
            )
            _log_retry(task, stage, f"{len(busy[0])} task(s) leased by another worker", busy[1])
            raise task.retry(kwargs={"done": settled}, countdown=busy[1])
        settled.update({str(i): r.model_dump_json() for i, r in by_index.items()})
        out = [settled[str(i)] for i in range(len(spec_list))]
        return out[0] if isinstance(specs, str) else out

    name = getattr(runner.agent_for(stage).fn, "__name__", "")
    run_specs.__name__ = run_specs.__qualname__ = name if name.isidentifier() else "agent"
    return run_specs


def _as_list(specs: Specs) -> list[str]:
    if isinstance(specs, str):
        return [specs]
    if not isinstance(specs, list | tuple):
        raise ValidationError(
            f"a task message carries a spec JSON string or a list of them, got "
            f"{type(specs).__name__}"
        )
    return list(specs)


def _backoff(retries: int, backoff: float, backoff_max: float) -> float:
    return float(min(backoff * 2**retries, backoff_max) * random.uniform(0.5, 1.0))


def _log_retry(task: Any, stage: str, why: str, delay: float) -> None:
    logger.warning(
        "stage %r: %s; retry %d of %d in %.1f s",
        stage,
        why,
        int(task.request.retries) + 1,
        task.max_retries,
        delay,
    )


def _leased_elsewhere(
    runner: QueueRunner, results: dict[int, TaskCompletionResult]
) -> tuple[set[int], float] | None:
    """The specs whose tasks were not run because another worker holds their lease (which
    may be a worker that died: its message was redelivered before the lease expired), and
    how long until the last of those leases expires; ``None`` when there are none."""
    failed = {i: r for i, r in results.items() if not r.success and r.stage_uuid is not None}
    if not failed:
        return None
    project = runner.get_project()
    with runner.client.store.read() as conn:
        records = task_store.list_tasks(
            conn,
            project.project_hash,
            task_store.TaskFilter(uuids=sorted({str(r.task_uuid) for r in failed.values()})),
        )
    now = time.time()
    held = {
        (r.uuid, r.stage_uuid): r.lease_expires_at
        for r in records
        if r.lease_expires_at is not None and r.lease_expires_at >= now
    }
    expiries = {
        i: held[key]
        for i, r in failed.items()
        if (key := (str(r.task_uuid), str(r.stage_uuid))) in held
    }
    if not expiries:
        return None
    wait = min(max(expiries.values()) - now, runner.lease_seconds) + 0.5
    return set(expiries), wait


def _check_visibility_timeout(app: celery.Celery, runner: QueueRunner) -> None:
    options = app.conf.broker_transport_options or {}
    timeout = options.get("visibility_timeout")
    if timeout is not None and float(timeout) <= runner.lease_seconds:
        logger.warning(
            "the broker's visibility_timeout (%s s) is not longer than the runner's "
            "lease_seconds (%s s): a message redelivered after a worker died may find the "
            "task still leased, and report it as being worked on instead of running it",
            timeout,
            runner.lease_seconds,
        )


def _reset_after_fork(runner: QueueRunner) -> None:
    """Worker processes forked from the main one must not share its pooled connections; and
    each holds its leases under a name of its own (its pid, not the main process's), so that
    a task's lease says which process works on it."""

    def reset(**_: Any) -> None:
        client = runner._client
        if client is not None:
            client.store.engine.dispose(close=False)
        runner.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    worker_process_init.connect(reset, weak=False)
