"""What every runner shares: registering agents on stages, binding them to a project's
stages, claiming and loading batches of tasks, and committing their outcomes."""

from __future__ import annotations

import inspect
import logging
import os
import socket
import time
import uuid as uuidlib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Connection

from annotask.client import Client, Project
from annotask.client.label_rows import check_branch_name
from annotask.errors import AuthorizationError, NotFoundError, StoreError, ValidationError
from annotask.store import (
    DATABASE_URL_ENV,
    catalog,
    default_url,
    is_transient,
    missing_store,
    store_exists,
)
from annotask.store import labels as label_store
from annotask.store import tasks as task_store
from annotask.store.engine import is_data_error
from annotask.store.records import TaskRecord
from annotask.tasks.commit import mark_committed, write_outcomes
from annotask.tasks.dependencies import DEPRECATED
from annotask.tasks.execution import AgentBinding, Backoff, RunEnv, TaskResources
from annotask.tasks.hooks import Hooks, RunnerHook
from annotask.tasks.injection import Call, compile_plan
from annotask.tasks.isolation import commit_isolating, refusal_reason
from annotask.tasks.models import (
    MAIN_BRANCH,
    LabelRowInitialiseLabelsArgs,
    LabelRowMetadataIncludeArgs,
)
from annotask.tasks.modes import Execution, execution_for
from annotask.tasks.outcome import CommitStatus, TaskOutcome
from annotask.tasks.stage_options import DEFAULT_OPTIONS, StageOptions, agent_version
from annotask.workflow import AgentStage, StageType, Workflow
from annotask.workflow.context import Action

__all__ = ["AgentRegistration", "RunnerBase"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class AgentRegistration:
    """An agent as decorated: the stage it names and its options, not yet bound to a project.

    ``identity`` (the stage name or UUID as given) and ``callable`` (the function) are the
    seed's names for ``stage`` and ``fn``.
    """

    stage: str
    fn: Callable[..., Any]
    plan: Call
    initialise_args: dict[str, Any]
    will_set_priority: bool
    on_failure: str | None
    identity: str | UUID = ""
    options: StageOptions = DEFAULT_OPTIONS
    version: str = ""
    branch_name: str = MAIN_BRANCH
    """The label branch whose rows the agent receives and saves."""

    @property
    def callable(self) -> Callable[..., Any]:
        """The decorated function itself."""
        return self.fn


class RunnerBase:
    """Holds agent implementations per stage and the machinery to run them on tasks.

    ``project_hash`` allows checking stages when agents are decorated; without it, stages
    are checked when the runner starts. ``client`` is the store connection (by default
    ``annotask.Client()``: ``$ANNOTASK_DATABASE_URL`` or ``./annotask.db``).
    ``user_client`` is the seed's name for ``client``. With both a project and a client
    given, a user who may not run agents on the project is refused here
    (:class:`AuthorizationError`). ``lease_seconds`` is how long a claimed task stays
    reserved for this runner before others may take it; a runner working on a batch extends
    its leases as it commits.
    """

    flush_every_s = 5.0
    """Finished outcomes are committed at least this often, even within a batch."""

    reconnect_timeout_s = 600.0
    """How long store operations are retried while the database is unreachable."""

    max_concurrency = 16
    """Tasks an ``async def`` agent works on at once (a run's ``max_concurrency`` overrides)."""

    threads: int | None = None
    """Worker threads for blocking ``def`` agents (None: run them one at a time inline)."""

    def __init__(
        self,
        project_hash: str | UUID | None = None,
        *,
        client: Client | None = None,
        user_client: Client | None = None,
        lease_seconds: float = 300.0,
        backoff: Backoff | None = None,
    ) -> None:
        if lease_seconds <= 0:
            raise ValidationError(f"lease_seconds must be positive, got {lease_seconds!r}")
        if client is not None and user_client is not None and client is not user_client:
            raise ValidationError("pass client= or user_client= (the same thing), not both")
        self.project_hash = None if project_hash is None else str(project_hash)
        self._client = client if client is not None else user_client
        self.lease_seconds = float(lease_seconds)
        self.backoff = backoff or Backoff()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuidlib.uuid4().hex[:8]}"
        self._agents: dict[str, AgentRegistration] = {}
        self._projects: dict[str, Project] = {}
        self.hooks = Hooks()
        """Observers of the runner's work (see :meth:`add_hook`)."""
        self._current: Project | None = None
        if self.project_hash is not None and self._client is not None:
            self._check_membership()

    def _check_membership(self) -> None:
        """Refuse now a user who may not run agents on the runner's project (as the seed
        does); a project this store lacks is left for the run, where --project-hash may
        name another."""
        try:
            project = self.get_project()
        except NotFoundError:
            return
        with self.client.store.read() as conn:
            self.client.ctx.require(conn, project.project_hash, Action.AGENT, project.what)

    @property
    def agents(self) -> list[AgentRegistration]:
        """The registered agents, in the order their stages were first decorated."""
        return list(self._agents.values())

    def agent_for(self, stage: str) -> AgentRegistration:
        """The agent registered for ``stage`` (the name or UUID it was decorated with)."""
        return self._agents[stage]

    @property
    def project(self) -> Project | None:
        """The project the runner runs on: the one of the latest run (``--project-hash``
        included), else the one it was made for; None when it names none (or this store
        does not have it)."""
        if self._current is not None:
            return self._current
        if self.project_hash is None:
            return None
        try:
            return self.get_project()
        except NotFoundError:
            return None

    # clients and projects ------------------------------------------------------------------
    @property
    def client(self) -> Client:
        """The client the runner reads and writes the store with (opened on first use).

        Without one given, it opens ``$ANNOTASK_DATABASE_URL`` or ``./annotask.db``, which
        must exist: a runner never makes an empty store to look for its project in.
        """
        if self._client is None:
            url = default_url()
            if not store_exists(url):
                raise StoreError(
                    f"{missing_store(url)}. A runner used while its file is imported (say "
                    "`runner.project` at module level) opens its store before the command "
                    "line is read: run the file with `annotask --db URL run FILE`, or set "
                    f"${DATABASE_URL_ENV}"
                )
            self._client = Client(url)
        return self._client

    @property
    def has_client(self) -> bool:
        """Whether a client is open or was given (else :attr:`client` opens the default)."""
        return self._client is not None

    def use_client(self, client: Client) -> None:
        """Run on another store or as another user (``--db``); forgets cached projects."""
        self._client = client
        self._projects.clear()
        self._current = None

    def _store_is_known(self) -> bool:
        """Whether stages can be checked at decoration: with a client given, or a store named
        by $ANNOTASK_DATABASE_URL. A default ./annotask.db is not assumed, since ``--db``
        may still choose another store when the runner starts."""
        return self._client is not None or bool(os.environ.get(DATABASE_URL_ENV))

    def get_project(self, project_hash: str | UUID | None = None) -> Project:
        """The project to run on: the argument, else the one the runner was made for."""
        key = str(project_hash) if project_hash is not None else self.project_hash
        if key is None:
            raise ValidationError(
                "no project to run on: pass project_hash to the runner, to the call, or "
                "--project-hash on the command line"
            )
        if key not in self._projects:
            self._projects[key] = self.client.get_project(key)
        return self._projects[key]

    def use_project(self, project_hash: str | UUID | None = None) -> Project:
        """Resolve the project a run works on (the argument wins over the runner's own)
        and remember it as :attr:`project`."""
        self._current = self.get_project(project_hash)
        return self._current

    def add_hook(self, hook: RunnerHook) -> None:
        """Tell ``hook`` what the runner does from now on (metrics, tracing)."""
        self.hooks.add(hook)

    def execution(
        self,
        env: RunEnv,
        binding: AgentBinding,
        num_retries: int,
        *,
        max_concurrency: int | None = None,
        threads: int | None = None,
    ) -> Execution:
        """How ``binding``'s agent runs its tasks (close it when done)."""
        concurrency = self.max_concurrency if max_concurrency is None else max_concurrency
        return execution_for(
            env,
            binding,
            num_retries,
            self.hooks,
            max_concurrency=concurrency,
            threads=self.threads if threads is None else threads,
        )

    # registration --------------------------------------------------------------------------
    def _register(
        self,
        stage: str | UUID,
        fn: Callable[..., Any],
        *,
        label_row_metadata_include_args: LabelRowMetadataIncludeArgs | None,
        label_row_initialise_labels_args: LabelRowInitialiseLabelsArgs | None,
        overwrite: bool,
        will_set_priority: bool,
        on_failure: str | None,
        localns: Mapping[str, Any] | None = None,
        options: StageOptions | None = None,
    ) -> AgentRegistration:
        key = str(stage)
        if key in self._agents and not overwrite:
            raise ValidationError(
                f"stage {key!r} already has the agent {self._agents[key].plan.name}; pass "
                "overwrite=True to replace it"
            )
        include = label_row_metadata_include_args or LabelRowMetadataIncludeArgs()
        branch_name = check_branch_name(include.branch_name, f"stage {key!r}")
        init = label_row_initialise_labels_args or LabelRowInitialiseLabelsArgs()
        options = options or StageOptions()
        plan = compile_plan(fn, localns, batch=options.batch_size is not None)
        options.check(plan.name)
        for call in plan.calls():
            if call.fn in DEPRECATED:
                # stacklevel: warn() < _register < the decorator < the user's decorated agent
                warnings.warn(DEPRECATED[call.fn], DeprecationWarning, stacklevel=3)
                logger.warning("agent %s: %s", plan.name, DEPRECATED[call.fn])
        registration = AgentRegistration(
            stage=key,
            fn=fn,
            plan=plan,
            initialise_args=init.as_kwargs(),
            will_set_priority=will_set_priority,
            on_failure=on_failure,
            identity=stage,
            options=options,
            version=agent_version(fn, options.version),
            branch_name=branch_name,
        )
        if self.project_hash is not None and self._store_is_known():
            try:
                project = self.get_project()
            except NotFoundError:
                # resolved lazily: the command line may name another project (--project-hash)
                logger.debug("project %s not found at decoration; checked at run", key)
            else:
                self.bind(project, registration)
        self._agents[key] = registration
        return registration

    def bind(self, project: Project, registration: AgentRegistration) -> AgentBinding:
        """The registration bound to the project's stage; errors list the agent stages."""
        workflow = project.workflow
        try:
            stage = workflow.find_stage(registration.stage)
        except NotFoundError:
            stage = None
        if not isinstance(stage, AgentStage):
            what = "has no stage" if stage is None else f"has a {stage.stage_type.value} stage"
            raise ValidationError(
                f"{project.what} {what} {registration.stage!r} for agent "
                f"{registration.plan.name}; its agent stages are {_agent_stages(workflow)}"
            )
        on_failure = None
        if registration.on_failure is not None:
            on_failure = stage.get_pathway(name=registration.on_failure)
        return AgentBinding(
            fn=registration.fn,
            plan=registration.plan,
            stage=stage,
            initialise_args=registration.initialise_args,
            will_set_priority=registration.will_set_priority,
            on_failure=on_failure,
            options=registration.options,
            version=registration.version,
            branch_name=registration.branch_name,
        )

    def bind_all(self, project: Project) -> list[AgentBinding]:
        """Every registered agent bound to the project, in registration order."""
        if not self._agents:
            raise ValidationError(
                "the runner has no agents: decorate a function with @runner.stage(...)"
            )
        bindings = [self.bind(project, r) for r in self._agents.values()]
        seen: dict[UUID, str] = {}
        for binding in bindings:
            if binding.stage.uuid in seen:
                raise ValidationError(
                    f"stage {binding.stage.name!r} has two agents ({seen[binding.stage.uuid]} "
                    f"and {binding.plan.name}), registered by name and by UUID; keep one"
                )
            seen[binding.stage.uuid] = binding.plan.name
        with self.client.store.read() as conn:
            self.client.ctx.require(conn, project.project_hash, Action.AGENT, project.what)
        return bindings

    def environment(self, project: Project) -> RunEnv:
        """What the tasks of a run on ``project`` share."""
        return RunEnv.for_project(self.client, project, self.backoff)

    # batches --------------------------------------------------------------------------------
    def claim_and_load(
        self, env: RunEnv, binding: AgentBinding, uuids: Sequence[str] | int
    ) -> tuple[dict[str, task_store.Lease], list[TaskResources]]:
        """Lease tasks and load their resources, in one transaction: one query for the
        tasks, one for label rows, one for storage items.

        ``uuids`` names the tasks wanted (those still free are leased), or is a number: that
        many of the stage's claimable tasks, highest priority first.
        """
        with self.client.store.write() as conn:
            leases, loaded = self._claim_and_load(conn, env, binding, uuids)
        if leases:
            self.hooks.tasks_claimed(binding.stage.name, len(leases))
        return leases, loaded

    def _claim_and_load(
        self, conn: Connection, env: RunEnv, binding: AgentBinding, uuids: Sequence[str] | int
    ) -> tuple[dict[str, task_store.Lease], list[TaskResources]]:
        now = time.time()
        stage_uuid = str(binding.stage.uuid)
        expires_at = now + self.lease_seconds
        if isinstance(uuids, int):
            # the claim reads the tasks as it leases them
            records = task_store.claim_next(
                conn, stage_uuid, uuids, owner=self.owner, expires_at=expires_at, now=now
            )
            leases = {
                r.uuid: task_store.Lease(self.owner, r.lease_token, expires_at) for r in records
            }
            return leases, self._resources(conn, env, binding, records)
        leases = task_store.claim(
            conn, stage_uuid, uuids, owner=self.owner, expires_at=expires_at, now=now
        )
        loaded = self._load(conn, env, binding, list(leases)) if leases else []
        return leases, loaded

    def load(self, env: RunEnv, binding: AgentBinding, uuids: Sequence[str]) -> list[TaskResources]:
        """Load tasks and their resources without leasing them (for dry runs).

        On a label branch other than main, the branch's rows that the tasks lack are made
        (empty, version 0), as a run would."""
        on_branch = binding.branch_name != MAIN_BRANCH and binding.needs_label_rows
        transaction = self.client.store.write if on_branch else self.client.store.read
        with transaction() as conn:
            return self._load(conn, env, binding, uuids)

    def _load(
        self, conn: Connection, env: RunEnv, binding: AgentBinding, uuids: Sequence[str]
    ) -> list[TaskResources]:
        records = task_store.list_tasks(
            conn,
            env.project.project_hash,
            task_store.TaskFilter(stage_uuid=str(binding.stage.uuid), uuids=uuids),
        )
        return self._resources(conn, env, binding, records)

    def _resources(
        self, conn: Connection, env: RunEnv, binding: AgentBinding, records: list[TaskRecord]
    ) -> list[TaskResources]:
        """The tasks' label rows and storage items, one query each (as the agent needs)."""
        project_hash = env.project.project_hash
        hashes = [r.data_hash for r in records]
        if binding.needs_label_rows and hashes and binding.branch_name != MAIN_BRANCH:
            label_store.ensure_branch_rows(conn, project_hash, binding.branch_name, hashes)
        rows = (
            {
                r.data_hash: r
                for r in label_store.get_label_rows(
                    conn,
                    project_hash,
                    data_hashes=hashes,
                    branch_name=binding.branch_name,
                    ordered=False,
                )
            }
            if binding.needs_label_rows and hashes
            else {}
        )
        items = {}
        if binding.needs_storage_items and hashes:
            items = (
                {h: row.item for h, row in rows.items()}
                if rows
                else catalog.get_storage_items(conn, hashes)
            )
        return [TaskResources(r, rows.get(r.data_hash), items.get(r.data_hash)) for r in records]

    def commit(
        self,
        env: RunEnv,
        binding: AgentBinding,
        outcomes: Sequence[TaskOutcome],
        leases: dict[str, task_store.Lease],
        pending: dict[str, task_store.Lease] | None = None,
        *,
        release_stays: bool = True,
        then_claim: int | None = None,
    ) -> tuple[dict[str, task_store.Lease], list[TaskResources]]:
        """Commit finished outcomes (and extend the leases of ``pending`` tasks).

        With ``release_stays=False`` tasks left in place (or failed) keep their lease (the
        caller releases them later, so that one pass does not claim them again). With
        ``then_claim``, the next batch of that many tasks is claimed and loaded in the same
        transaction, and returned.

        The commit checks, in its own transaction, that the client's user may still run
        agents on the project; when not, it releases every lease given and raises
        :class:`AuthorizationError`. When the store refuses the batch for data reasons, the
        outcomes it refuses are found and recorded as failures, and the others land.
        """
        try:
            return self._commit_once(
                env, binding, outcomes, leases, pending, release_stays, then_claim
            )
        except AuthorizationError:
            self._give_up(binding, outcomes, leases, pending)
            raise
        except Exception as exc:
            if not outcomes or not is_data_error(exc):
                raise
            refused = exc
        commit_isolating(
            outcomes,
            lambda part: self._commit_once(env, binding, part, leases, None, release_stays),
            refused,
            binding.stage.name,
        )
        return self._commit_once(env, binding, [], leases, pending, release_stays, then_claim)

    def _commit_once(  # noqa: PLR0917 - commit's arguments, passed through
        self,
        env: RunEnv,
        binding: AgentBinding,
        outcomes: Sequence[TaskOutcome],
        leases: dict[str, task_store.Lease],
        pending: dict[str, task_store.Lease] | None,
        release_stays: bool,
        then_claim: int | None = None,
    ) -> tuple[dict[str, task_store.Lease], list[TaskResources]]:
        workflow = binding.stage.workflow
        project = env.project
        started = time.perf_counter()
        with self.client.store.write() as conn:
            self.client.ctx.require(conn, project.project_hash, Action.AGENT, project.what)
            live = write_outcomes(
                conn,
                self.client.ctx,
                project.project_hash,
                str(binding.stage.uuid),
                outcomes,
                leases,
                stage_names=env.stage_names,
                destination_types={str(s.uuid): s.stage_type for s in workflow.stages},
                extend=pending,
                extend_to=time.time() + self.lease_seconds,
                release_stays=release_stays,
            )
            claimed = (
                self._claim_and_load(conn, env, binding, then_claim) if then_claim else ({}, [])
            )
        mark_committed(live)
        if outcomes:
            self.hooks.batch_committed(binding.stage.name, outcomes, time.perf_counter() - started)
        if claimed[0]:
            self.hooks.tasks_claimed(binding.stage.name, len(claimed[0]))
        return claimed

    def _give_up(
        self,
        binding: AgentBinding,
        outcomes: Sequence[TaskOutcome],
        leases: dict[str, task_store.Lease],
        pending: dict[str, task_store.Lease] | None,
    ) -> None:
        """The user may no longer run agents here: release every lease of the stage's work
        (nothing of it was committed) and say so in one line."""
        held = {o.task_uuid: leases[o.task_uuid] for o in outcomes if o.task_uuid in leases}
        held.update(pending or {})
        for outcome in outcomes:
            outcome.status = CommitStatus.LOST
            outcome.message = "not committed: the runner's user may no longer run agents"
        try:
            self.release(held)
        except Exception as exc:  # the leases expire on their own
            logger.warning("could not release %d lease(s): %s", len(held), refusal_reason(exc))
        logger.error(
            "stage %r: user %r may no longer run agents on this project; stopping its work "
            "(%d task(s) released, nothing of them committed)",
            binding.stage.name,
            self.client.user,
            len(held),
        )

    def with_reconnect(self, what: str, operation: Callable[[], T]) -> T:
        """Run a store operation, retrying with backoff while the database is unreachable
        (a restart, a dropped connection); give up after ``reconnect_timeout_s``."""
        deadline = time.monotonic() + self.reconnect_timeout_s
        delay = 0.5
        while True:
            try:
                return operation()
            except Exception as exc:
                if not is_transient(exc) or time.monotonic() + delay > deadline:
                    raise
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                logger.warning(
                    "%s: the store is unreachable (%s); retrying in %.1f s", what, first, delay
                )
                time.sleep(delay)
                delay = min(delay * 2, 10.0)

    def release(self, leases: dict[str, task_store.Lease]) -> None:
        """Give back leases of tasks this runner will not work on after all."""
        if leases:
            with self.client.store.write() as conn:
                task_store.release(conn, leases)


def _agent_stages(workflow: Workflow) -> str:
    stages = [s for s in workflow.stages if s.stage_type is StageType.AGENT]
    if not stages:
        return "none (the workflow has no agent stage)"
    return ", ".join(f"{s.name!r} ({s.uuid})" for s in stages)


def caller_names() -> dict[str, Any]:
    """The local names where a decorator was applied (two frames up from the caller)."""
    frame = inspect.currentframe()
    target = frame.f_back.f_back if frame is not None and frame.f_back is not None else None
    return dict(target.f_locals) if target is not None else {}


def chunks(values: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """``values`` in slices of ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
