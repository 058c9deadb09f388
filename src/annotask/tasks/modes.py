"""Execution modes: how the tasks of one claimed batch are run, behind one interface.

A runner hands a mode the loaded tasks of a batch and reads their outcomes as they finish
(``None`` now and then while nothing finished, so that it can commit and extend leases on
time). A mode that runs many tasks at once takes more while a stream runs, so that its
slots do not empty out at every batch boundary. The commit path does not know which mode
ran the agent:

- :class:`Inline`: one task after another in the caller's thread (plain ``def`` agents).
- :class:`Concurrent`: an event loop on a background thread running up to
  ``max_concurrency`` tasks at once (``async def`` agents and dependencies), or a pool of
  ``threads`` for blocking ``def`` agents; per-attempt timeouts; a per-stage rate limit; and
  batch stages (one call for many tasks, the next batch's dependencies resolved in
  background threads while the agent works, a failing batch split down to single tasks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from annotask.tasks.concurrent import Concurrent, Outcomes
from annotask.tasks.execution import AgentBinding, RunEnv, TaskResources, run_task
from annotask.tasks.hooks import RunnerHook

__all__ = ["Execution", "Inline", "execution_for"]


class Execution(Protocol):
    """Runs the agent of one stage on loaded tasks."""

    def outcomes(self, loaded: Sequence[TaskResources]) -> Outcomes:
        """One outcome per task, in the order they finish, with ``None`` while waiting.

        Closing the iterator early cancels what is still running.
        """
        ...

    @property
    def refill_below(self) -> int:
        """While an ``outcomes()`` stream runs, the runner claims more tasks and hands them
        to :meth:`feed` once fewer than this many are unfinished (0: never)."""
        ...

    def feed(self, loaded: Sequence[TaskResources]) -> None:
        """Add tasks to the running ``outcomes()`` stream."""
        ...

    def close(self) -> None:
        """Free threads and the event loop."""
        ...


def execution_for(
    env: RunEnv,
    binding: AgentBinding,
    num_retries: int,
    hooks: RunnerHook,
    *,
    max_concurrency: int,
    threads: int | None,
) -> Execution:
    """The mode a stage's agent needs: inline unless it is async, a batch stage, or asks
    for threads, a timeout or a rate limit."""
    options = binding.options
    plain = (
        options.batch_size is None
        and not binding.plan.any_async
        and threads is None
        and options.timeout_s is None
        and options.max_calls_per_second is None
    )
    if plain:
        return Inline(env, binding, num_retries, hooks)
    return Concurrent(
        env, binding, num_retries, hooks, max_concurrency=max_concurrency, threads=threads
    )


class Inline:
    """One task after another in the caller's thread."""

    def __init__(
        self, env: RunEnv, binding: AgentBinding, num_retries: int, hooks: RunnerHook
    ) -> None:
        self._env = env
        self._binding = binding
        self._num_retries = num_retries
        self._hooks = hooks

    def outcomes(self, loaded: Sequence[TaskResources]) -> Outcomes:
        """Run each task in turn."""
        stage = self._binding.stage.name
        hooks = self._hooks
        if not hooks:  # nothing to tell
            for resources in loaded:
                yield run_task(self._env, self._binding, resources, self._num_retries, hooks)
            return
        for resources in loaded:
            hooks.task_started(stage)
            try:
                yield run_task(self._env, self._binding, resources, self._num_retries, hooks)
            finally:
                hooks.task_finished(stage)

    refill_below = 0
    """One task at a time: a claimed batch runs to its end before the next is claimed."""

    def feed(self, loaded: Sequence[TaskResources]) -> None:
        """Not used: :attr:`refill_below` is 0."""
        raise RuntimeError("the inline mode runs one claimed batch at a time")

    def close(self) -> None:
        """Nothing to free."""
