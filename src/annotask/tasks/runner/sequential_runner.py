"""The in-process runner: claims batches of tasks per agent stage, runs the agents, commits.

``Runner`` is the same class under the reference API's shorter name.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar
from uuid import UUID

from annotask.client import Client
from annotask.errors import AnnotaskError, ValidationError
from annotask.store import tasks as task_store
from annotask.store.notifications import TaskListener
from annotask.tasks.execution import AgentBinding, Backoff, RunEnv, TaskResources
from annotask.tasks.heap_freeze import heap_frozen
from annotask.tasks.models import LabelRowInitialiseLabelsArgs, LabelRowMetadataIncludeArgs
from annotask.tasks.modes import Execution
from annotask.tasks.outcome import CommitStatus, TaskOutcome
from annotask.tasks.progress import LogProgress, RunProgress, progress_for_terminal
from annotask.tasks.report import RunReport, StageReport
from annotask.tasks.runner.runner_base import RunnerBase, caller_names, chunks
from annotask.tasks.stage_options import StageOptions

__all__ = ["Runner", "SequentialRunner"]

logger = logging.getLogger(__name__)

DecoratedCallable = TypeVar("DecoratedCallable", bound=Callable[..., Any])


class SequentialRunner(RunnerBase):
    """Runs agents against a project's agent stages until they are empty (or forever).

    Example::

        runner = Runner(project_hash="<project hash>")

        @runner.stage("Pre-label")
        def pre_label(task: AgentTask, label_row: LabelRow) -> str | None:
            ...
            return "has objects"

        if __name__ == "__main__":
            runner.run()   # python agent.py --help
    """

    def __init__(
        self,
        project_hash: str | UUID | None = None,
        *,
        pre_execution_callback: Callable[[SequentialRunner], None] | None = None,
        client: Client | None = None,
        user_client: Client | None = None,
        lease_seconds: float = 300.0,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(
            project_hash,
            client=client,
            user_client=user_client,
            lease_seconds=lease_seconds,
            backoff=backoff,
        )
        self.pre_execution_callback = pre_execution_callback
        self._stop = threading.Event()
        self.progress: RunProgress | None = None
        """How progress is shown; by default Rich bars on a terminal, log lines otherwise."""

    def stage(
        self,
        stage: str | UUID,
        *,
        label_row_metadata_include_args: LabelRowMetadataIncludeArgs | None = None,
        label_row_initialise_labels_args: LabelRowInitialiseLabelsArgs | None = None,
        overwrite: bool = False,
        will_set_priority: bool = False,
        on_failure: str | None = None,
        batch_size: int | None = None,
        timeout_s: float | None = None,
        max_calls_per_second: float | None = None,
        version: str | None = None,
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """Make the decorated function the agent of an agent stage (by name or UUID).

        Its parameters are checked now: each must be a type the runner provides or carry a
        ``Depends``. With a project known, the stage is checked too. ``on_failure`` names a
        pathway for tasks whose attempts are used up (instead of leaving them failed).

        ``batch_size`` makes a batch stage: the injected parameters are lists (one element per
        task, ``label_rows: list[LabelRow]``) and the agent returns a list of results in the
        same order. ``timeout_s`` fails (and retries) an attempt that runs longer;
        ``max_calls_per_second`` spaces the agent's calls; ``version`` is recorded on the
        events the agent's outcomes write (default: a hash of its source).
        """
        options = StageOptions(batch_size, timeout_s, max_calls_per_second, version)

        def decorator(fn: DecoratedCallable) -> DecoratedCallable:
            self._register(
                stage,
                fn,
                label_row_metadata_include_args=label_row_metadata_include_args,
                label_row_initialise_labels_args=label_row_initialise_labels_args,
                overwrite=overwrite,
                will_set_priority=will_set_priority,
                on_failure=on_failure,
                localns=caller_names(),
                options=options,
            )
            return fn

        return decorator

    def __call__(
        self,
        refresh_every: int | None = None,
        num_retries: int = 3,
        task_batch_size: int = 300,
        project_hash: str | None = None,
        max_tasks_per_stage: int | None = None,
        *,
        dry_run: bool = False,
        max_concurrency: int | None = None,
        threads: int | None = None,
    ) -> RunReport:
        """Run every agent stage until it is empty; with ``refresh_every``, poll forever.

        Polls start ``refresh_every`` seconds apart (or right away when a pass took longer);
        on PostgreSQL a poll also starts as soon as tasks enter one of the agent stages.
        :meth:`stop` (from another thread) ends polling after the current pass. Ctrl-C
        commits what finished, releases the rest and raises KeyboardInterrupt.
        ``dry_run`` runs the agents and reports what each task would get, committing nothing.
        ``max_concurrency`` is how many tasks an ``async def`` agent works on at once (default
        :attr:`max_concurrency`); ``threads`` runs blocking ``def`` agents on that many threads.
        """
        _check_options(refresh_every, num_retries, task_batch_size, max_tasks_per_stage)
        _check_concurrency(max_concurrency, threads)
        project = self.use_project(project_hash)
        bindings = self.bind_all(project)
        if self.pre_execution_callback is not None:
            self.pre_execution_callback(self)
        env = self.environment(project)
        report = RunReport()
        self._stop.clear()
        listener = (
            None
            if refresh_every is None
            else TaskListener(self.client.store, [str(b.stage.uuid) for b in bindings], self._stop)
        )
        progress_shown = self.progress or (LogProgress() if dry_run else progress_for_terminal())
        try:
            with progress_shown as progress:
                while True:
                    started = time.monotonic()
                    for binding in bindings:
                        stage_report = self._run_pass(
                            env,
                            binding,
                            progress,
                            num_retries=num_retries,
                            task_batch_size=task_batch_size,
                            cap=max_tasks_per_stage,
                            dry_run=dry_run,
                            concurrency=(max_concurrency, threads),
                        )
                        report.stages.append(stage_report)
                        del report.stages[:-_KEPT_STAGE_REPORTS]
                    if listener is None or refresh_every is None or self._stop.is_set():
                        return report
                    if listener.wait(started + refresh_every - time.monotonic()):
                        logger.debug("woken by new tasks")
        finally:
            if listener is not None:
                listener.close()

    def stop(self) -> None:
        """Make a polling run return after its current pass (safe from any thread)."""
        self._stop.set()

    def run_stage(
        self,
        stage: str | UUID,
        *,
        num_retries: int = 3,
        task_batch_size: int = 300,
        project_hash: str | None = None,
        max_tasks: int | None = None,
        dry_run: bool = False,
    ) -> StageReport:
        """Run one registered stage once (for web handlers and schedulers).

        Like a full run, it checks the stages and calls ``pre_execution_callback`` first.
        """
        _check_options(None, num_retries, task_batch_size, max_tasks)
        project = self.use_project(project_hash)
        wanted = project.workflow.find_stage(stage)
        binding = next((b for b in self.bind_all(project) if b.stage.uuid == wanted.uuid), None)
        if binding is None:
            raise ValidationError(
                f"stage {wanted.name!r} has no agent in this runner; decorate one with "
                f"@runner.stage({wanted.name!r})"
            )
        if self.pre_execution_callback is not None:
            self.pre_execution_callback(self)
        with self.progress or LogProgress() as progress:
            return self._run_pass(
                self.environment(project),
                binding,
                progress,
                num_retries=num_retries,
                task_batch_size=task_batch_size,
                cap=max_tasks,
                dry_run=dry_run,
            )

    def dry_run(
        self,
        project_hash: str | None = None,
        *,
        max_tasks_per_stage: int | None = None,
        num_retries: int = 0,
    ) -> RunReport:
        """Run the agents on real tasks and report what each would get; commit nothing."""
        return self(
            project_hash=project_hash,
            max_tasks_per_stage=max_tasks_per_stage,
            num_retries=num_retries,
            dry_run=True,
        )

    def run(self) -> NoReturn:
        """Run from the command line with the options of ``__call__`` (``--help`` lists them),
        then end the program as a command does (``SystemExit``: 0 on success, 1 on an error,
        130 when interrupted); ``--help`` prints the options and exits."""
        from annotask.tasks.runner.command import run_command  # noqa: PLC0415 - Typer on demand

        run_command(self, exit_when_done=True)
        raise SystemExit(0)  # pragma: no cover - run_command exits

    # one stage, one pass --------------------------------------------------------------------
    def _run_pass(
        self,
        env: RunEnv,
        binding: AgentBinding,
        progress: RunProgress,
        *,
        num_retries: int,
        task_batch_size: int,
        cap: int | None,
        dry_run: bool,
        concurrency: tuple[int | None, int | None] = (None, None),
    ) -> StageReport:
        max_concurrency, threads = concurrency
        execution = self.execution(
            env, binding, num_retries, max_concurrency=max_concurrency, threads=threads
        )
        stage_pass = _StagePass(self, env, binding, progress, execution)
        try:
            with heap_frozen():
                if dry_run:
                    stage_pass.plan(task_batch_size, cap)
                else:
                    stage_pass.run(task_batch_size, cap)
        finally:
            try:
                stage_pass.finish()
            finally:
                execution.close()
        return stage_pass.report


@dataclass
class _Budget:
    """How many tasks one pass claims next: a batch, or what is left of the cap."""

    batch_size: int
    cap: int | None
    claimed: int = 0

    def next(self) -> int:
        """The size of the next claim (0: the cap is reached)."""
        if self.cap is None:
            return self.batch_size
        return max(0, min(self.batch_size, self.cap - self.claimed))


class _StagePass:
    """One pass over one stage: claim batches until the stage is empty (or the cap is hit).

    Tasks the agent leaves in place keep their lease until the pass ends, so the pass does
    not claim them again; they are released together at the end.
    """

    def __init__(
        self,
        runner: SequentialRunner,
        env: RunEnv,
        binding: AgentBinding,
        progress: RunProgress,
        execution: Execution,
    ) -> None:
        self.runner = runner
        self.env = env
        self.binding = binding
        self.progress = progress
        self.execution = execution
        self.report = StageReport(binding.stage.name)
        self.started = time.monotonic()
        self.stays: dict[str, task_store.Lease] = {}
        self.waiting = runner.with_reconnect(f"stage {binding.stage.name!r}", self._count)
        runner.hooks.tasks_waiting(binding.stage.name, self.waiting)
        progress.start(self.report, self.waiting)

    def _count(self) -> int:
        with self.runner.client.store.read() as conn:
            return task_store.count_claimable(conn, str(self.binding.stage.uuid), time.time())

    def plan(self, batch_size: int, cap: int | None) -> None:
        """Dry run: read the claimable tasks, run the agents, keep the outcomes unsaved."""
        with self.runner.client.store.read() as conn:
            uuids = task_store.claimable_uuids(conn, str(self.binding.stage.uuid), time.time(), cap)
        for chunk in chunks(uuids, batch_size):
            loaded = self.runner.load(self.env, self.binding, chunk)
            with closing(self.execution.outcomes(loaded)) as outcomes:
                self.report.plan(o for o in outcomes if o is not None)
            self._tick()

    def run(self, batch_size: int, cap: int | None) -> None:
        """Claim, run and commit batches until nothing claimable is left.

        Each batch's final commit claims the next batch in the same transaction; a mode that
        runs many tasks at once is handed the next batch earlier, by the commit that finds
        few of its tasks unfinished, so that its slots stay full across batches.
        """
        budget = _Budget(batch_size, cap)
        what = f"stage {self.binding.stage.name!r}: claiming tasks"
        leases, loaded = self.runner.with_reconnect(
            what, lambda: self.runner.claim_and_load(self.env, self.binding, budget.next())
        )
        while leases:
            budget.claimed += len(loaded)
            leases, loaded = self._batch(leases, loaded, budget)
            self._tick()

    def _batch(
        self,
        leases: dict[str, task_store.Lease],
        loaded: list[TaskResources],
        budget: _Budget,
    ) -> tuple[dict[str, task_store.Lease], list[TaskResources]]:
        runner = self.runner
        leases = dict(leases)
        pending = dict(leases)
        finished: list[TaskOutcome] = []
        last_commit = time.monotonic()
        extend_every = runner.lease_seconds / 3
        refill_below = self.execution.refill_below
        more = refill_below > 0
        try:
            with closing(self.execution.outcomes(loaded)) as outcomes:
                for outcome in outcomes:
                    if outcome is not None:
                        finished.append(outcome)
                        del pending[outcome.task_uuid]
                    since = time.monotonic() - last_commit
                    refill = more and len(pending) < refill_below and budget.next() > 0
                    if pending and (
                        refill
                        or (finished and since >= runner.flush_every_s)
                        or since >= extend_every
                    ):  # commit what finished; extend the leases of tasks still in flight
                        claimed, more_loaded = self._commit(
                            finished, leases, pending, budget.next() if refill else 0
                        )
                        finished = []
                        last_commit = time.monotonic()
                        if refill and not claimed:
                            more = False  # the stage is empty for now
                        elif claimed:
                            budget.claimed += len(more_loaded)
                            leases.update(claimed)
                            pending.update(claimed)
                            self.execution.feed(more_loaded)
                        self._tick()
            following = self._commit(finished, leases, {}, budget.next())
            finished = []
            return following
        finally:
            if finished or pending:
                self._settle_interrupted(finished, leases, pending)

    def _commit(
        self,
        finished: list[TaskOutcome],
        leases: dict[str, task_store.Lease],
        pending: dict[str, task_store.Lease],
        then_claim: int = 0,
    ) -> tuple[dict[str, task_store.Lease], list[TaskResources]]:
        claimed = self.runner.with_reconnect(
            f"stage {self.binding.stage.name!r}: committing {len(finished)} task(s)",
            lambda: self.runner.commit(
                self.env,
                self.binding,
                finished,
                leases,
                {**pending, **self.stays},
                release_stays=False,
                then_claim=then_claim,
            ),
        )
        self.report.add(finished)
        # left in place (returned None, failed, or their labels changed meanwhile): held to
        # the end of the pass so that it does not claim them again
        kept = (CommitStatus.STAYED, CommitStatus.CONFLICT, CommitStatus.FAILED)
        self.stays.update({o.task_uuid: leases[o.task_uuid] for o in finished if o.status in kept})
        return claimed

    def _tick(self) -> None:
        self.report.seconds = time.monotonic() - self.started
        self.progress.update(self.report)

    def _settle_interrupted(
        self,
        finished: list[TaskOutcome],
        leases: dict[str, task_store.Lease],
        pending: dict[str, task_store.Lease],
    ) -> None:
        """On an interruption, commit what finished and release the rest."""
        try:
            self._commit(finished, leases, {})
            self.runner.release(pending)
            logger.warning(
                "stage %r interrupted: committed %d task(s) in this run (%d of them just now), "
                "released %d unfinished",
                self.binding.stage.name,
                self.report.attempted,
                len(finished),
                len(pending),
            )
        except Exception as exc:
            held = {**{o.task_uuid: leases[o.task_uuid] for o in finished}, **pending}
            released = self._release_quietly(held)
            logger.log(
                logging.WARNING if isinstance(exc, AnnotaskError) else logging.ERROR,
                "stage %r: could not commit after an interruption (%s); released %d of %d "
                "lease(s), the rest expire in %.0f s",
                self.binding.stage.name,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                released,
                len(held),
                self.runner.lease_seconds,
                exc_info=not isinstance(exc, AnnotaskError),
            )

    def _release_quietly(self, held: dict[str, task_store.Lease]) -> int:
        """Release ``held`` if the store lets us; how many were released."""
        try:
            self.runner.release(held)
        except Exception as exc:
            logger.debug("could not release leases: %s", exc)
            return 0
        return len(held)

    def finish(self) -> None:
        """Release the tasks left in place and close the stage's progress."""
        try:
            self.runner.with_reconnect(
                f"stage {self.binding.stage.name!r}: releasing",
                lambda: self.runner.release(self.stays),
            )
        finally:
            self.report.seconds = time.monotonic() - self.started
            self.progress.finish(self.report)


Runner = SequentialRunner

_KEPT_STAGE_REPORTS = 1000
"""A polling run keeps the reports of its latest stage passes only."""


def _check_options(
    refresh_every: int | None, num_retries: int, task_batch_size: int, cap: int | None
) -> None:
    problems = []
    if refresh_every is not None and refresh_every < 1:
        problems.append(
            f"refresh_every must be at least 1 second, got {refresh_every} (leave it out to "
            "stop when the stages are empty)"
        )
    if num_retries < 0:
        problems.append(f"num_retries must be at least 0, got {num_retries}")
    if task_batch_size < 1:
        problems.append(f"task_batch_size must be at least 1, got {task_batch_size}")
    if cap is not None and cap < 1:
        problems.append(
            f"max_tasks_per_stage must be at least 1, got {cap} (leave it out to do every task)"
        )
    if problems:
        raise ValidationError("; ".join(problems))


def _check_concurrency(max_concurrency: int | None, threads: int | None) -> None:
    problems = []
    if max_concurrency is not None and max_concurrency < 1:
        problems.append(f"max_concurrency must be at least 1, got {max_concurrency}")
    if threads is not None and threads < 1:
        problems.append(f"threads must be at least 1, got {threads} (leave it out for none)")
    if problems:
        raise ValidationError("; ".join(problems))
