"""A :class:`~annotask.tasks.QueueRunner`'s stages as Celery tasks.

The agent file defines a Celery app and a queue runner at module level and registers one
with the other; the same file is then started as workers with Celery's own command and fed
with ``annotask dispatch``::

    # agent.py
    from celery import Celery
    from annotask import AgentTask
    from annotask.integrations.celery import register
    from annotask.tasks import QueueRunner

    app = Celery("agent", broker="redis://127.0.0.1:6379/0", backend="redis://127.0.0.1:6379/0")
    runner = QueueRunner(project_hash="<project hash>")

    @runner.stage("Pre-label")
    def pre_label(task: AgentTask) -> str:
        return "has objects"

    tasks = register(app, runner)   # after every @runner.stage

    # shell
    celery -A agent worker --loglevel=info        # as many as you like, on any machine
    annotask dispatch agent.py --project-hash <project hash>

Each stage becomes the task ``annotask.<first 8 characters of the project hash>.<stage>``
(:func:`task_name`), taking one spec JSON string (or a list of them) and returning
:class:`~annotask.tasks.TaskCompletionResult` JSON (a string, or a list in the same order).
Tasks acknowledge late and are redelivered when a worker dies; infrastructure errors are
retried with exponential backoff, agent errors are not (the task's failure is recorded in the
store and reported in the result). A spec delivered twice moves its task once.
"""

from annotask.integrations.celery._enqueue import BrokerError, Enqueued, claimable_specs, enqueue
from annotask.integrations.celery._register import (
    is_infrastructure_error,
    register,
    task_name,
)

__all__ = [
    "BrokerError",
    "Enqueued",
    "claimable_specs",
    "enqueue",
    "is_infrastructure_error",
    "register",
    "task_name",
]
