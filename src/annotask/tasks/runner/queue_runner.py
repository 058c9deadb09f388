"""The queue runner: agents as functions from a task spec (JSON) to a completion result.

Put ``task.model_dump_json()`` of every task in an agent stage on any queue; a worker calls
the decorated function with the spec and gets :class:`TaskCompletionResult` JSON back. The
spec names the task by UUID, so a spec delivered twice, or one for a task that a person has
moved on meanwhile, changes nothing the second time and says where the task is now.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import replace
from typing import Any
from uuid import UUID

from pydantic import ValidationError as PydanticValidationError

from annotask.client import Client, Project
from annotask.client.label_rows import MAIN_BRANCH, check_branch_name
from annotask.errors import AuthorizationError, ValidationError
from annotask.store import tasks as task_store
from annotask.store.claimed_records import claim_records
from annotask.store.engine import is_data_error
from annotask.store.records import TaskRecord
from annotask.tasks.commit import mark_committed, only_bare_moves, write_bare_moves
from annotask.tasks.execution import AgentBinding, Backoff, RunEnv, TaskResources
from annotask.tasks.models import (
    LabelRowInitialiseLabelsArgs,
    LabelRowMetadataIncludeArgs,
    TaskCompletionResult,
)
from annotask.tasks.outcome import CommitStatus, TaskOutcome
from annotask.tasks.runner.runner_base import RunnerBase, caller_names
from annotask.tasks.stage_options import StageOptions
from annotask.workflow import AgentStage, WorkflowTask
from annotask.workflow.context import Action

__all__ = ["QueueAgent", "QueueRunner"]

_RECHECK_S = 60.0


class QueueRunner(RunnerBase):
    """Holds agents for queue workers; every agent runs on one project.

    Example::

        runner = QueueRunner(project_hash="<project hash>")

        @runner.stage("Pre-label")
        def pre_label(task: AgentTask) -> str:
            return "has objects"

        for stage in runner.get_agent_stages():
            for task in stage.get_tasks():
                queue.put(task.model_dump_json())

        result = TaskCompletionResult.model_validate_json(pre_label(queue.get()))
    """

    def __init__(
        self,
        project_hash: str | UUID,
        *,
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
        self._agent_checked_at: dict[tuple[str, str, str], float] = {}

    def stage(
        self,
        stage: str | UUID,
        *,
        label_row_metadata_include_args: LabelRowMetadataIncludeArgs | None = None,
        label_row_initialise_labels_args: LabelRowInitialiseLabelsArgs | None = None,
        will_set_priority: bool = False,
        overwrite: bool = False,
        on_failure: str | None = None,
        batch_size: int | None = None,
        timeout_s: float | None = None,
        max_calls_per_second: float | None = None,
        version: str | None = None,
    ) -> Callable[[Callable[..., Any]], QueueAgent]:
        """Wrap an agent so that it takes task spec JSON and returns completion JSON.

        The wrapped function takes one spec (a string) and returns one result (a string), or
        takes a list of specs and returns one result whose fields hold lists, as the seed's
        does (``results`` holds each spec's own result, in order). Each task is leased while
        its agent runs, and the outcomes of one call commit in one transaction. An agent
        exception gives ``success=false`` with the traceback and leaves the task in its stage
        (retried by a later spec after a backoff).

        The other options are those of ``Runner.stage``: with ``batch_size``, the specs of one
        call run as batches of that size (one agent call each); ``async def`` agents run the
        specs of one call concurrently (up to ``max_concurrency``).
        """
        options = StageOptions(batch_size, timeout_s, max_calls_per_second, version)

        def decorator(fn: Callable[..., Any]) -> QueueAgent:
            registration = self._register(
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
            return QueueAgent(self, registration.stage, fn)

        return decorator

    def get_agent_stages(self) -> Iterable[AgentStage]:
        """The agent stages this runner has agents for, to enqueue their tasks (none
        without agents)."""
        if not self._agents:
            return []
        project = self.use_project()
        return [b.stage for b in self.bind_all(project)]

    def execute(self, stage: str, specs: Sequence[str]) -> list[TaskCompletionResult]:
        """Run the agent of ``stage`` on each spec; one result per spec, in order."""
        project = self.use_project()
        registration = self.agent_for(stage)
        binding = self.bind(project, registration)
        self._check_may_run_agents(project)
        env = self.environment(project)
        results: list[TaskCompletionResult | None] = [None] * len(specs)
        wanted: dict[str, int] = {}
        branches: dict[str, list[str]] = {}
        for index, spec in enumerate(specs):
            parsed = _parse_spec(spec, binding)
            if isinstance(parsed, TaskCompletionResult):
                results[index] = parsed
            elif parsed[0] in wanted:
                results[index] = TaskCompletionResult(
                    task_uuid=UUID(parsed[0]),
                    stage_uuid=binding.stage.uuid,
                    success=False,
                    error=(
                        f"task {parsed[0]} is also spec {wanted[parsed[0]]} of this call; "
                        "it runs once"
                    ),
                )
            else:
                wanted[parsed[0]] = index
                branches.setdefault(parsed[1], []).append(parsed[0])
        for branch, uuids in branches.items():
            on_branch = replace(binding, branch_name=branch)
            for uuid, result in self._run(env, on_branch, uuids).items():
                results[wanted[uuid]] = result
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:
            raise AssertionError(f"no result for spec(s) {missing}")  # a bug, never a user's
        return [r for r in results if r is not None]

    def _check_may_run_agents(self, project: Project) -> None:
        """Refuse a user who may not run agents before any task is claimed; the answer is
        reused for a minute (every commit checks again in its own transaction)."""
        now = time.monotonic()
        key = (self.client.url, self.client.user, project.project_hash)
        if now - self._agent_checked_at.get(key, -_RECHECK_S) < _RECHECK_S:
            return
        with self.client.store.read() as conn:
            self.client.ctx.require(conn, project.project_hash, Action.AGENT, project.what)
        self._agent_checked_at[key] = now

    def _run(
        self, env: RunEnv, binding: AgentBinding, uuids: list[str]
    ) -> dict[str, TaskCompletionResult]:
        leases, loaded = self._claim(env, binding, uuids)
        results = self._unclaimed(env, binding, [u for u in uuids if u not in leases])
        outcomes: list[TaskOutcome] = []
        execution = self.execution(env, binding, num_retries=0)
        try:
            with closing(execution.outcomes(loaded)) as arriving:
                outcomes = [o for o in arriving if o is not None]
            if outcomes:
                self._commit(env, binding, outcomes, leases)
        except BaseException:
            done = {o.task_uuid for o in outcomes if o.status is not None}
            self.release({u: lease for u, lease in leases.items() if u not in done})
            raise
        finally:
            execution.close()
        results.update({o.task_uuid: _result(binding, o) for o in outcomes})
        return results

    def _claim(
        self, env: RunEnv, binding: AgentBinding, uuids: list[str]
    ) -> tuple[dict[str, task_store.Lease], list[TaskResources]]:
        """Lease the tasks the specs name and load them; an agent that needs only the tasks
        (no label rows, no storage items) has them claimed and read in one statement,
        outside any BEGIN … COMMIT on PostgreSQL (:func:`claim_records`)."""
        if binding.needs_label_rows or binding.needs_storage_items:
            return self.claim_and_load(env, binding, uuids)
        now = time.time()
        with self.client.store.single_statement() as conn:
            leases, records = claim_records(
                conn,
                env.project.project_hash,
                str(binding.stage.uuid),
                uuids,
                owner=self.owner,
                expires_at=now + self.lease_seconds,
                now=now,
            )
        if leases:
            self.hooks.tasks_claimed(binding.stage.name, len(leases))
        return leases, [TaskResources(r, None, None) for r in records]

    def _commit(
        self,
        env: RunEnv,
        binding: AgentBinding,
        outcomes: list[TaskOutcome],
        leases: dict[str, task_store.Lease],
    ) -> None:
        """Commit the outcomes; when each only moves its task, the permission check, the
        fenced moves and their events are one statement on PostgreSQL
        (:func:`write_bare_moves`), else :meth:`commit` does it all in one transaction."""
        if not only_bare_moves(outcomes):
            self.commit(env, binding, outcomes, leases)
            return
        project = env.project
        started = time.perf_counter()
        try:
            with self.client.store.single_statement() as conn:
                live = write_bare_moves(
                    conn,
                    self.client.ctx,
                    project.project_hash,
                    str(binding.stage.uuid),
                    outcomes,
                    leases,
                    destination_types={
                        str(s.uuid): s.stage_type for s in binding.stage.workflow.stages
                    },
                    what=project.what,
                )
        except AuthorizationError:
            self._give_up(binding, outcomes, leases, None)
            raise
        except Exception as exc:
            if not is_data_error(exc):
                raise
            # the general commit finds the outcome(s) the store refuses, records them as
            # failures and lands the others
            self.commit(env, binding, outcomes, leases)
            return
        mark_committed(live)
        self.hooks.batch_committed(binding.stage.name, outcomes, time.perf_counter() - started)

    def _unclaimed(
        self, env: RunEnv, binding: AgentBinding, uuids: list[str]
    ) -> dict[str, TaskCompletionResult]:
        """Why each of ``uuids`` could not be claimed (one query for all of them)."""
        if not uuids:
            return {}
        with self.client.store.read() as conn:
            found = task_store.list_tasks(
                conn, env.project.project_hash, task_store.TaskFilter(uuids=uuids)
            )
        records = {r.uuid: r for r in found}
        return {
            uuid: TaskCompletionResult(
                task_uuid=UUID(uuid),
                stage_uuid=binding.stage.uuid,
                success=False,
                error=_why_unclaimed(binding, uuid, records.get(uuid)),
            )
            for uuid in uuids
        }


class QueueAgent:
    """An agent wrapped for queues: call it with spec JSON (or a list of them)."""

    def __init__(self, runner: QueueRunner, stage: str, fn: Callable[..., Any]) -> None:
        self.runner = runner
        self.stage = stage
        self.__wrapped__ = fn
        self.__name__ = getattr(fn, "__name__", "agent")
        self.__doc__ = fn.__doc__

    def __call__(self, spec: str | Sequence[str]) -> str:
        """Run the agent on the task(s) the spec(s) name; return one result's JSON.

        A list of specs gives one result whose fields hold lists (see
        :class:`TaskCompletionResult`); a list of one gives that spec's plain result, as
        the seed's does.
        """
        if isinstance(spec, str | bytes):
            return self.runner.execute(self.stage, [spec])[0].model_dump_json()
        results = self.runner.execute(self.stage, list(spec))
        if len(results) == 1:
            return results[0].model_dump_json()
        return TaskCompletionResult.combine(results).model_dump_json()

    def __repr__(self) -> str:
        return f"QueueAgent({self.__name__} on stage {self.stage!r})"


def _parse_spec(spec: object, binding: AgentBinding) -> tuple[str, str] | TaskCompletionResult:
    """The task a spec names and the label branch to load its row from (the spec's
    ``label_branch_name`` when it names one besides main, else the agent's branch); or the
    result that refuses the spec."""
    if not isinstance(spec, str | bytes):
        return _bad_spec(f"a task spec must be a JSON string, got {type(spec).__name__}")
    try:
        task = WorkflowTask.model_validate_json(spec)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "spec"
        return _bad_spec(
            f"not a task spec ({where}: {first.get('msg')}); put task.model_dump_json() "
            "of a task from stage.get_tasks() on the queue"
        )
    if task.stage_uuid != binding.stage.uuid:
        return TaskCompletionResult(
            task_uuid=task.uuid,
            stage_uuid=task.stage_uuid,
            success=False,
            error=(
                f"the spec is for stage {task.stage_uuid}, but this agent handles stage "
                f"{binding.stage.name!r} ({binding.stage.uuid}); route it to that stage's agent"
            ),
        )
    if task.label_branch_name == MAIN_BRANCH:
        return str(task.uuid), binding.branch_name
    try:
        branch = check_branch_name(task.label_branch_name, f"the spec of task {task.uuid}")
    except ValidationError as exc:
        return TaskCompletionResult(
            task_uuid=task.uuid, stage_uuid=task.stage_uuid, success=False, error=str(exc)
        )
    return str(task.uuid), branch


def _bad_spec(message: str) -> TaskCompletionResult:
    return TaskCompletionResult(task_uuid=UUID(int=0), success=False, error=message)


def _why_unclaimed(binding: AgentBinding, uuid: str, record: TaskRecord | None) -> str:
    stage = binding.stage
    if record is None:
        return f"task {uuid} does not exist in {stage.workflow.what}; nothing was changed"
    if record.stage_uuid != str(stage.uuid):
        now_in = stage.workflow.stage_by_uuid(record.stage_uuid).name
        return (
            f"task {uuid} ({record.data_title!r}) is no longer in stage {stage.name!r}; it is "
            f"now in {now_in!r}. Nothing was changed"
        )
    now = time.time()
    if record.lease_expires_at is not None and record.lease_expires_at >= now:
        return (
            f"task {uuid} ({record.data_title!r}) is being worked on by {record.lease_owner} "
            f"(lease until {time.strftime('%H:%M:%S', time.localtime(record.lease_expires_at))});"
            " nothing was changed"
        )
    if record.retry_after is not None and record.retry_after > now:
        return (
            f"task {uuid} ({record.data_title!r}) failed {record.attempts} time(s) and waits "
            f"until {time.strftime('%H:%M:%S', time.localtime(record.retry_after))} before it "
            "is tried again; run `annotask tasks retry` to clear that"
        )
    return f"task {uuid} could not be claimed; try again"


def _result(binding: AgentBinding, outcome: TaskOutcome) -> TaskCompletionResult:
    success = outcome.status in (CommitStatus.MOVED, CommitStatus.STAYED)
    moved = outcome.status is CommitStatus.MOVED and outcome.pathway is not None
    error = outcome.error if outcome.status is CommitStatus.FAILED else outcome.message
    if outcome.status is CommitStatus.MOVED and outcome.action == "on_failure":
        success = False
        error = outcome.error
    return TaskCompletionResult(
        task_uuid=UUID(outcome.task_uuid),
        stage_uuid=binding.stage.uuid,
        success=success,
        pathway=outcome.pathway.uuid if moved and outcome.pathway else None,
        pathway_name=outcome.pathway.name if moved and outcome.pathway else None,
        error=None if success else error,
    )
