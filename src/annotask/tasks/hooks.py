"""Runner hooks: what a runner tells observers (metrics, tracing) as it works.

A hook subclasses :class:`RunnerHook` and overrides the methods it cares about; every method
is a no-op by default. Hooks are called from the runner's threads (the agent-call and
in-flight ones also from worker threads and the event loop), so they must be quick and
thread-safe. A hook that raises is logged and never stops the runner or the other hooks.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from annotask.tasks.outcome import TaskOutcome

__all__ = ["Hooks", "RunnerHook"]

logger = logging.getLogger(__name__)


class RunnerHook:
    """No-op base for runner observers; ``stage`` is the stage's name in every method."""

    def tasks_waiting(self, stage: str, count: int) -> None:
        """A pass over ``stage`` begins with ``count`` claimable tasks."""

    def tasks_claimed(self, stage: str, count: int) -> None:
        """``count`` tasks were leased."""

    def task_started(self, stage: str) -> None:
        """A task's agent run (all its attempts) began."""

    def task_finished(self, stage: str) -> None:
        """A task's agent run ended (its outcome waits for the next commit)."""

    def agent_called(self, stage: str, seconds: float, tasks: int) -> None:
        """One call of the agent returned or raised after ``seconds``, for ``tasks`` tasks."""

    def batch_committed(self, stage: str, outcomes: Sequence[TaskOutcome], seconds: float) -> None:
        """A commit of ``outcomes`` (each with its status) took ``seconds``."""


class Hooks(RunnerHook):
    """The hooks of one runner, called in the order they were added."""

    def __init__(self) -> None:
        self._hooks: list[RunnerHook] = []

    def add(self, hook: RunnerHook) -> None:
        """Call ``hook`` from now on."""
        self._hooks.append(hook)

    def __bool__(self) -> bool:
        return bool(self._hooks)

    def _each(self, method: str, *args: object) -> None:
        for hook in self._hooks:
            try:
                getattr(hook, method)(*args)
            except Exception:
                logger.exception("runner hook %r failed in %s", hook, method)

    def tasks_waiting(self, stage: str, count: int) -> None:
        """Tell every hook."""
        self._each("tasks_waiting", stage, count)

    def tasks_claimed(self, stage: str, count: int) -> None:
        """Tell every hook."""
        self._each("tasks_claimed", stage, count)

    def task_started(self, stage: str) -> None:
        """Tell every hook."""
        self._each("task_started", stage)

    def task_finished(self, stage: str) -> None:
        """Tell every hook."""
        self._each("task_finished", stage)

    def agent_called(self, stage: str, seconds: float, tasks: int) -> None:
        """Tell every hook."""
        self._each("agent_called", stage, seconds, tasks)

    def batch_committed(self, stage: str, outcomes: Sequence[TaskOutcome], seconds: float) -> None:
        """Tell every hook."""
        self._each("batch_committed", stage, outcomes, seconds)
