"""The concurrent execution mode: an event loop on a background thread.

``async def`` agents run up to ``max_concurrency`` tasks at once; blocking agents and
dependencies run on a pool of ``threads``. Attempts may time out; a stage's calls may be
rate-limited; batch stages resolve the next batch's dependencies while the agent works on
this one, and split a failing batch down to single tasks. See :mod:`annotask.tasks.modes`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import queue
import threading
import time
import traceback
from collections.abc import Callable, Generator, Sequence
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from typing import Any

from annotask.errors import PathwayError, ValidationError
from annotask.tasks.execution import AgentBinding, Attempt, RunEnv, TaskResources, failed_outcome
from annotask.tasks.hooks import RunnerHook
from annotask.tasks.injection import Default, resolve, resolve_async
from annotask.tasks.outcome import TaskOutcome

__all__ = ["TICK_S", "Concurrent", "Outcomes"]

logger = logging.getLogger(__name__)

Outcomes = Generator[TaskOutcome | None, None, None]
"""Outcomes as tasks finish, with ``None`` while waiting."""

TICK_S = 0.25
"""How often a waiting runner gets ``None`` from ``outcomes()``."""

GATHER_S = 0.005
"""How long the runner's thread lets outcomes gather before it looks again: waking it for
each outcome would take the interpreter lock from the event loop a few hundred times a
second."""


class _Spacing:
    """Calls start at least ``1 / rate`` seconds apart (no bursts), across threads: a call
    that wakes late pushes the next one back rather than letting it catch up."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._last = -float("inf")
        self._lock = threading.Lock()

    def take(self) -> float:
        """Start now (0.0, recorded as the latest start), or the seconds to wait before
        asking again."""
        with self._lock:
            now = time.monotonic()
            wait = self._last + self._interval - now
            if wait <= 0:
                self._last = now
                return 0.0
            return wait

    def wait(self) -> None:
        """Block until this thread may start a call."""
        while (delay := self.take()) > 0:
            time.sleep(delay)

    async def wait_async(self) -> None:
        """Wait on the event loop until this task may start a call."""
        while (delay := self.take()) > 0:
            await asyncio.sleep(delay)


@dataclass(eq=False)
class _Stream:
    """The tasks of one :meth:`Concurrent.outcomes` call: their outcomes as they arrive,
    how many are still to come, the drivers running them and the slots they share."""

    slots: asyncio.Semaphore
    arrived: queue.SimpleQueue[TaskOutcome] = field(default_factory=queue.SimpleQueue)
    remaining: int = 0
    drivers: list[concurrent.futures.Future[None]] = field(default_factory=list)


@dataclass(eq=False)
class _Prepared:
    """One task of a batch with its attempt, its resolved arguments and their cleanup."""

    loaded: TaskResources
    attempt: Attempt
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    kwargs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class Concurrent:
    """Tasks on an event loop in a background thread: async agents up to
    ``max_concurrency`` at once, blocking agents and dependencies on ``threads`` workers."""

    def __init__(
        self,
        env: RunEnv,
        binding: AgentBinding,
        num_retries: int,
        hooks: RunnerHook,
        *,
        max_concurrency: int,
        threads: int | None,
    ) -> None:
        self._env = env
        self._binding = binding
        self._num_retries = num_retries
        self._hooks = hooks
        self._async_agent = asyncio.iscoroutinefunction(binding.fn)
        self._sync_plan = not binding.plan.any_async
        workers = threads or (1 if self._sync_plan and binding.options.batch_size is None else 4)
        self._workers = workers
        self._concurrency = workers if self._sync_plan else max_concurrency
        self._pool = self._new_pool()
        rate = binding.options.max_calls_per_second
        self._spacing = _Spacing(rate) if rate else None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"annotask-loop-{binding.name}", daemon=True
        )
        self._thread.start()
        self._stream: _Stream | None = None

    def _new_pool(self) -> concurrent.futures.ThreadPoolExecutor:
        return concurrent.futures.ThreadPoolExecutor(
            self._workers, thread_name_prefix=f"annotask-{self._binding.name}"
        )

    # the runner's side ----------------------------------------------------------------------
    @property
    def refill_below(self) -> int:
        """Hand more tasks to :meth:`feed` once fewer than this many are unfinished: twice
        the concurrency, so that slots never wait on the next claim. Batch stages take no
        more (each claimed batch runs as its own sequence of model batches)."""
        return 0 if self._binding.options.batch_size else 2 * self._concurrency

    def outcomes(self, loaded: Sequence[TaskResources]) -> Outcomes:
        """Start every task on the loop; hand back outcomes as they arrive (and those of
        tasks :meth:`feed` adds meanwhile)."""
        if not loaded:
            return
        stream = self._stream = _Stream(asyncio.Semaphore(self._concurrency))
        self.feed(loaded)
        try:
            while stream.remaining:
                try:
                    outcome = stream.arrived.get(timeout=TICK_S)
                except queue.Empty:
                    broken = next((f for f in stream.drivers if f.done() and f.exception()), None)
                    if broken is not None and stream.arrived.empty():
                        broken.result()  # an error of a driver itself
                    if all(f.done() for f in stream.drivers) and stream.arrived.empty():
                        raise RuntimeError(f"{stream.remaining} task(s) got no outcome") from None
                    yield None
                    continue
                stream.remaining -= 1
                yield outcome
                if stream.remaining and stream.arrived.empty():
                    time.sleep(GATHER_S)
        finally:
            self._stream = None
            for driver in stream.drivers:
                if not driver.done():
                    driver.cancel()

    def feed(self, loaded: Sequence[TaskResources]) -> None:
        """Run more tasks in the current :meth:`outcomes` stream, behind those started."""
        stream = self._stream
        if stream is None or not loaded:
            raise RuntimeError("feed() needs a running outcomes() stream and tasks")
        stream.remaining += len(loaded)
        if self._binding.options.batch_size:
            drive = self._drive_batches(list(loaded), stream.arrived.put)
        else:
            drive = self._drive_tasks(list(loaded), stream.arrived.put, stream.slots)
        stream.drivers.append(asyncio.run_coroutine_threadsafe(drive, self._loop))

    def close(self) -> None:
        """Cancel what still runs (its dependencies clean up), stop the loop, and let idle
        workers go (a hung blocking call keeps its thread)."""
        cleanup = asyncio.run_coroutine_threadsafe(_cancel_the_rest(), self._loop)
        try:
            cleanup.result(timeout=_CLEANUP_S + 1)
        except Exception:
            logger.warning("agent %s: tasks still running were abandoned", self._binding.name)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # one task at a time per slot ------------------------------------------------------------
    async def _drive_tasks(
        self,
        loaded: list[TaskResources],
        put: Callable[[TaskOutcome], None],
        slots: asyncio.Semaphore,
    ) -> None:
        stage = self._binding.stage.name

        async def one(resources: TaskResources) -> None:
            async with slots:
                self._hooks.task_started(stage)
                try:
                    put(await self._run_task(resources))
                finally:
                    self._hooks.task_finished(stage)

        async with asyncio.TaskGroup() as group:
            for resources in loaded:
                group.create_task(one(resources))

    async def _run_task(
        self, loaded: TaskResources, tries_used: int = 0, error: str = ""
    ) -> TaskOutcome:
        """Attempts after the ``tries_used`` already made, each with fresh dependencies."""
        tries = tries_used
        for tries in range(tries_used + 1, self._num_retries + 2):
            attempt = Attempt(self._env, self._binding, loaded)
            try:
                outcome = await self._timed(self._attempt(attempt), _describe(loaded))
                return attempt.finish(outcome, tries)
            except PathwayError:
                error = traceback.format_exc()
                break
            except Exception:
                error = traceback.format_exc()
                logger.debug("agent %s failed on task %s", self._binding.name, loaded.task.uuid)
        return failed_outcome(self._env, self._binding, loaded.task, max(tries, 1), error)

    async def _timed(self, work: Any, what: str) -> Any:
        timeout = self._binding.options.timeout_s
        if timeout is None:
            return await work
        try:
            return await asyncio.wait_for(work, timeout)
        except TimeoutError:
            if self._sync_plan:  # the stuck thread cannot be stopped: let it go, use new ones
                stuck, self._pool = self._pool, self._new_pool()
                stuck.shutdown(wait=False)
            raise TimeoutError(
                f"agent {self._binding.name} did not finish {what} within timeout_s={timeout:g} s"
            ) from None

    async def _attempt(self, attempt: Attempt) -> TaskOutcome:
        if self._binding.options.batch_size:  # one task alone, as a batch of one
            item = _Prepared(attempt.loaded, attempt)
            async with item.stack:
                item.kwargs = await resolve_async(
                    self._binding.plan, attempt.provide, item.stack, self._in_thread
                )
                (result,) = await self._call_batch([item])
                return attempt.settle(result)
        if self._sync_plan:
            outcome: TaskOutcome = await self._in_thread(
                functools.partial(self._sync_attempt, attempt)
            )
            return outcome
        async with AsyncExitStack() as stack:
            kwargs = await resolve_async(
                self._binding.plan, attempt.provide, stack, self._in_thread
            )
            result = await self._call(kwargs, 1)
            return attempt.settle(result)

    def _sync_attempt(self, attempt: Attempt) -> TaskOutcome:
        with ExitStack() as stack:
            kwargs = resolve(self._binding.plan, attempt.provide, stack)
            if self._spacing is not None:
                self._spacing.wait()
            started = time.perf_counter()
            try:
                result = self._binding.fn(**kwargs)
            finally:
                self._hooks.agent_called(self._binding.stage.name, time.perf_counter() - started, 1)
            return attempt.settle(result)

    async def _call(self, kwargs: dict[str, Any], tasks: int) -> Any:
        """Call the agent (awaited, or on a worker thread) once its rate-limit slot comes."""
        if self._spacing is not None:
            await self._spacing.wait_async()
        started = time.perf_counter()
        try:
            if self._async_agent:
                return await self._binding.fn(**kwargs)
            return await self._in_thread(functools.partial(self._binding.fn, **kwargs))
        finally:
            self._hooks.agent_called(self._binding.stage.name, time.perf_counter() - started, tasks)

    async def _in_thread(self, work: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    # batch stages ---------------------------------------------------------------------------
    async def _drive_batches(
        self, loaded: list[TaskResources], put: Callable[[TaskOutcome], None]
    ) -> None:
        size = self._binding.options.batch_size or 1
        stage = self._binding.stage.name
        chunks = [loaded[i : i + size] for i in range(0, len(loaded), size)]

        def emit(outcome: TaskOutcome) -> None:
            self._hooks.task_finished(stage)
            put(outcome)

        for _ in chunks[0]:
            self._hooks.task_started(stage)
        upcoming = asyncio.ensure_future(self._prepare(chunks[0]))
        try:
            for index in range(len(chunks)):
                prepared = await upcoming
                if index + 1 < len(chunks):  # decode the next batch while this one runs
                    for _ in chunks[index + 1]:
                        self._hooks.task_started(stage)
                    upcoming = asyncio.ensure_future(self._prepare(chunks[index + 1]))
                await self._run_batch(prepared, emit)
        finally:
            if not upcoming.done():
                upcoming.cancel()
            elif not upcoming.cancelled() and upcoming.exception() is None:
                await _close_all(upcoming.result())

    async def _prepare(self, chunk: Sequence[TaskResources]) -> list[_Prepared]:
        """Resolve each task's arguments (blocking dependencies on worker threads)."""
        prepared = [_Prepared(r, Attempt(self._env, self._binding, r)) for r in chunk]

        async def one(item: _Prepared) -> None:
            try:
                item.kwargs = await resolve_async(
                    self._binding.plan, item.attempt.provide, item.stack, self._in_thread
                )
            except Exception:
                item.error = traceback.format_exc()
                await item.stack.aclose()

        try:
            await asyncio.gather(*(one(p) for p in prepared))
        except BaseException:
            await _close_all(prepared)
            raise
        return prepared

    async def _run_batch(
        self, prepared: list[_Prepared], emit: Callable[[TaskOutcome], None]
    ) -> None:
        ready = [p for p in prepared if p.error is None]
        try:
            for item in prepared:
                if item.error is not None:
                    emit(await self._run_task(item.loaded, 1, item.error))
            if not ready:
                return
            try:
                what = f"a batch of {len(ready)} tasks"
                results = await self._timed(self._call_batch(ready), what)
            except Exception:
                error = traceback.format_exc()
                await _close_all(ready)
                await self._split(ready, error, emit)
                return
            for item, result in zip(ready, results, strict=True):
                emit(await self._settle(item, result))
        finally:
            await _close_all(ready)

    async def _call_batch(self, ready: list[_Prepared]) -> Sequence[Any]:
        kwargs = {
            name: node.value if isinstance(node, Default) else [p.kwargs[name] for p in ready]
            for name, node in self._binding.plan.args
        }
        results = await self._call(kwargs, len(ready))
        if isinstance(results, str | bytes) or not isinstance(results, Sequence):
            raise ValidationError(
                f"batch agent {self._binding.name} returned {type(results).__name__}; return a "
                "list with one result per task, in the order of its arguments"
            )
        if len(results) != len(ready):
            raise ValidationError(
                f"batch agent {self._binding.name} returned {len(results)} result(s) for "
                f"{len(ready)} task(s); return one result per task, in order"
            )
        return results

    async def _settle(self, item: _Prepared, result: Any) -> TaskOutcome:
        try:
            return item.attempt.finish(item.attempt.settle(result), 1)
        except PathwayError:
            return failed_outcome(
                self._env, self._binding, item.loaded.task, 1, traceback.format_exc()
            )
        except Exception:
            return await self._run_task(item.loaded, 1, traceback.format_exc())

    async def _split(
        self, ready: list[_Prepared], error: str, emit: Callable[[TaskOutcome], None]
    ) -> None:
        """A whole batch call failed: retry it in halves (fresh dependencies) down to one
        task, so that one bad item fails alone; a single task is retried like any other."""
        if len(ready) == 1:
            emit(await self._run_task(ready[0].loaded, 1, error))
            return
        logger.debug(
            "batch agent %s failed on %d tasks; retrying in halves", self._binding.name, len(ready)
        )
        middle = len(ready) // 2
        for half in (ready[:middle], ready[middle:]):
            await self._run_batch(await self._prepare([p.loaded for p in half]), emit)


_CLEANUP_S = 5.0


async def _cancel_the_rest() -> None:
    """Cancel every other task on the running loop and wait (a while) for their cleanup."""
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in others:
        task.cancel()
    if others:
        await asyncio.wait(others, timeout=_CLEANUP_S)
    await asyncio.get_running_loop().shutdown_asyncgens()


def _describe(loaded: TaskResources) -> str:
    return f"task {loaded.task.uuid} ({loaded.task.data_title!r})"


async def _close_all(prepared: Sequence[_Prepared]) -> None:
    for item in prepared:
        try:
            await item.stack.aclose()
        except Exception:
            logger.exception(
                "cleaning up the dependencies of task %s failed", item.loaded.task.uuid
            )
