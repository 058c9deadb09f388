"""Running an agent on one task: inject, call, retry, and settle the outcome.

Each attempt gets fresh resources (a label row built anew from the loaded record, a new task
object, new generator dependencies), so an attempt that consumed an iterator or half-edited
the labels leaves nothing behind for the next one.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple
from uuid import UUID

from annotask.client import Client, Project, StorageItem
from annotask.client.label_rows import StoreLabelBackend, label_row_from_record
from annotask.errors import PathwayError, ValidationError
from annotask.labels import LabelRow
from annotask.labels.encoded import document_json
from annotask.labels.label_row import checked_priority
from annotask.store.records import LabelRowRecord, StorageItemRecord, TaskRecord
from annotask.tasks.hooks import RunnerHook
from annotask.tasks.injection import Call, Resource, resolve
from annotask.tasks.models import TaskAgentReturnStruct
from annotask.tasks.outcome import OutcomeKind, TaskOutcome
from annotask.tasks.recorder import AttemptRecorder
from annotask.tasks.stage_options import DEFAULT_OPTIONS, StageOptions
from annotask.workflow import AgentStage, AgentTask, Pathway

__all__ = [
    "AgentBinding",
    "Attempt",
    "Backoff",
    "RunEnv",
    "TaskResources",
    "failed_outcome",
    "run_task",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """How long a task that used up its retries waits before a runner tries it again."""

    base_s: float = 30.0
    max_s: float = 3600.0

    def delay(self, rounds: int) -> float:
        """Seconds to wait after ``rounds`` failed rounds (doubling, capped)."""
        return float(min(self.max_s, self.base_s * 2 ** min(max(rounds - 1, 0), 20)))


@dataclass(frozen=True)
class AgentBinding:
    """An agent function bound to a stage of a project, with its plan and options."""

    fn: Callable[..., Any]
    plan: Call
    stage: AgentStage
    initialise_args: dict[str, Any]
    will_set_priority: bool
    on_failure: Pathway | None
    options: StageOptions = DEFAULT_OPTIONS
    version: str = ""
    """The agent's declared version, or a hash of its source."""
    branch_name: str = "main"
    """The label branch whose rows the agent receives and saves."""

    @cached_property
    def name(self) -> str:
        """The agent function's name."""
        return self.plan.name

    def find_pathway(self, ref: str | UUID) -> Pathway:
        """The stage's pathway an agent returned (a name, else a UUID), looked up once per
        distinct return value (:class:`PathwayError` listing the pathways if none)."""
        found = self._pathways.get(ref)
        if found is None:
            found = _find_pathway(self.stage, ref)
            self._pathways[ref] = found
        return found

    @cached_property
    def _pathways(self) -> dict[str | UUID, Pathway]:
        return {}

    @property
    def needs_label_rows(self) -> bool:
        """Whether label rows must be loaded for this agent's tasks."""
        return Resource.LABEL_ROW in self.plan.resources or self.will_set_priority

    @property
    def needs_storage_items(self) -> bool:
        """Whether storage items must be loaded for this agent's tasks."""
        return Resource.STORAGE_ITEM in self.plan.resources


@dataclass(frozen=True)
class RunEnv:
    """What every task of a run shares: the client, the project and how to label-load."""

    client: Client
    project: Project
    store_backend: StoreLabelBackend
    stage_names: dict[str, str]
    backoff: Backoff

    @classmethod
    def for_project(cls, client: Client, project: Project, backoff: Backoff) -> RunEnv:
        """The environment of a run on ``project``."""
        names = {str(s.uuid): s.name for s in project.workflow.stages}
        return cls(client, project, project.label_backend(), names, backoff)


class TaskResources(NamedTuple):
    """A task and what was bulk-loaded for it."""

    task: TaskRecord
    label_row: LabelRowRecord | None
    storage_item: StorageItemRecord | None


class Attempt:
    """Builds the resources of one attempt on demand and settles its result."""

    def __init__(self, env: RunEnv, binding: AgentBinding, loaded: TaskResources) -> None:
        self.env = env
        self.binding = binding
        self.loaded = loaded
        self._recorder: AttemptRecorder | None = None
        self.label_row: LabelRow | None = None

    @property
    def recorder(self) -> AttemptRecorder:
        """Where the injected resources record their changes (made when first injected: an
        agent that takes nothing changes nothing)."""
        if self._recorder is None:
            row = self.loaded.label_row
            label_hash = self.loaded.task.label_hash if row is None else row.label_hash
            self._recorder = AttemptRecorder(label_hash, self.env.store_backend)
        return self._recorder

    def provide(self, resource: Resource) -> Any:
        if resource is Resource.PROJECT:
            return self.env.project
        if resource is Resource.CLIENT:
            return self.env.client
        if resource is Resource.STAGE:
            return self.binding.stage
        if resource is Resource.TASK:
            task = self.binding.stage.workflow.task_from_record(self.loaded.task)
            assert isinstance(task, AgentTask)
            task._on_proceed = self.recorder.record_proceed
            task.label_branch_name = self.binding.branch_name
            return task
        if resource is Resource.LABEL_ROW:
            return self._label_row()
        return self._storage_item()

    def _label_row(self) -> LabelRow:
        if self.label_row is None:
            record = self.loaded.label_row
            if record is None:
                raise ValidationError(f"task {self.loaded.task.uuid} has no label row loaded")
            row = label_row_from_record(
                record, self.env.project.ontology, self.recorder, self.env.stage_names
            )
            row.initialise_labels(**self.binding.initialise_args)
            self.label_row = row
        return self.label_row

    def _storage_item(self) -> StorageItem:
        record = self.loaded.storage_item
        if record is None:
            raise ValidationError(f"task {self.loaded.task.uuid} has no storage item loaded")
        return StorageItem(self.env.client.ctx, record, sink=self.recorder)

    def settle(self, result: Any) -> TaskOutcome:
        """Turn the agent's return value and recorded changes into an outcome."""
        pathway_ref: str | UUID | None
        priority: float | None = None
        if isinstance(result, TaskAgentReturnStruct):
            pathway_ref = result.pathway
            row = result.label_row
            if row is not None and (row.has_unsaved_changes or row.priority_changed):
                row.save()
            if result.label_row_priority is not None:
                if not self.binding.needs_label_rows:
                    raise ValidationError(
                        f"agent {self.binding.plan.name} returned label_row_priority but takes "
                        "no LabelRow; decorate it with @runner.stage(..., "
                        "will_set_priority=True) to set priorities"
                    )
                task = self.loaded.task
                priority = checked_priority(
                    result.label_row_priority,
                    f"task {task.uuid} ({task.data_title!r})",
                    "label_row_priority",
                )
        elif result is None or isinstance(result, str | UUID):
            pathway_ref = result
        else:
            raise ValidationError(
                f"agent {self.binding.plan.name} returned {type(result).__name__}; return a "
                "pathway name or UUID, None, or TaskAgentReturnStruct"
            )
        rec = self._recorder
        if rec is None:  # nothing was injected that could record a change
            pathway = None if pathway_ref is None else self.binding.find_pathway(pathway_ref)
            return TaskOutcome(
                task=self.loaded.task,
                kind=OutcomeKind.STAY if pathway is None else OutcomeKind.MOVE,
                pathway=pathway,
                priority=priority,
            )
        injected = self.label_row
        if priority is None and injected is not None and injected.priority_changed:
            priority = injected.priority
        if priority is None:
            priority = rec.priority
        pathway = self.binding.find_pathway(pathway_ref) if pathway_ref is not None else rec.proceed
        saves = rec.saves
        document = saves[-1] if saves else None
        return TaskOutcome(
            task=self.loaded.task,
            kind=OutcomeKind.STAY if pathway is None else OutcomeKind.MOVE,
            pathway=pathway,
            label_document=document,
            label_json=None if document is None else document_json(document),
            label_hash=rec.label_hash,
            label_earlier=tuple(map(document_json, saves[:-1])) if len(saves) > 1 else (),
            base_version=rec.base_version or 0,
            priority=priority,
            item_updates=rec.item_updates,
            item_datasets=self._item_datasets() if rec.item_updates else {},
        )

    def finish(self, outcome: TaskOutcome, tries: int) -> TaskOutcome:
        """Stamp a settled outcome with the task's attempts and the agent that decided it."""
        outcome.attempts = self.loaded.task.attempts
        outcome.tries = tries
        outcome.agent = self.binding.name
        outcome.agent_version = self.binding.version
        return outcome

    def _item_datasets(self) -> dict[str, str]:
        item = self.loaded.storage_item or (
            self.loaded.label_row.item if self.loaded.label_row is not None else None
        )
        return {} if item is None else {item.uuid: item.dataset_uuid}


def _find_pathway(stage: AgentStage, ref: str | UUID) -> Pathway:
    """A pathway by name, else by UUID: a string that names a pathway is a name."""
    if isinstance(ref, UUID):
        return stage.get_pathway(uuid=ref)
    for pathway in stage.pathways:
        if pathway.name == ref:
            return pathway
    try:
        as_uuid = UUID(ref)
    except ValueError:
        return stage.get_pathway(name=ref)
    return stage.get_pathway(uuid=as_uuid)


def run_task(
    env: RunEnv,
    binding: AgentBinding,
    loaded: TaskResources,
    num_retries: int,
    hooks: RunnerHook | None = None,
) -> TaskOutcome:
    """Run the agent on one task, retrying failures up to ``num_retries`` times.

    A wrong pathway is not retried: the same agent would return it again. When the
    attempts are used up the task either fails (with backoff) or, with ``on_failure``,
    moves along that pathway.
    """
    timed = bool(hooks)  # an empty set of hooks is told nothing, so nothing is timed
    hooks = hooks or _NO_HOOKS
    error = ""
    tries = 0
    # a stack only where a generator dependency has cleanup to run after the agent returns
    stack_for = ExitStack if binding.plan.any_generator else nullcontext
    for tries in range(1, num_retries + 2):
        attempt = Attempt(env, binding, loaded)
        try:
            with stack_for() as stack:
                kwargs = resolve(binding.plan, attempt.provide, stack)
                if timed:
                    started = time.perf_counter()
                    try:
                        result = binding.fn(**kwargs)
                    finally:
                        hooks.agent_called(binding.stage.name, time.perf_counter() - started, 1)
                else:
                    result = binding.fn(**kwargs)
                outcome = attempt.settle(result)
            return attempt.finish(outcome, tries)
        except PathwayError:
            error = traceback.format_exc()
            break
        except Exception:
            error = traceback.format_exc()
            logger.debug("agent %s failed on task %s", binding.plan.name, loaded.task.uuid)
    return failed_outcome(env, binding, loaded.task, tries, error)


_NO_HOOKS = RunnerHook()


def failed_outcome(
    env: RunEnv, binding: AgentBinding, task: TaskRecord, attempts: int, error: str
) -> TaskOutcome:
    """The outcome of a task whose ``attempts`` in this run all failed, the last with
    ``error``: moved along ``on_failure``, or failed with a backoff."""
    total = task.attempts + attempts
    error = _storable(error)
    last_line = error.strip().splitlines()[-1] if error.strip() else "unknown error"
    logger.warning(
        "task %s (%r) failed after %d attempt(s): %s", task.uuid, task.data_title, total, last_line
    )
    if binding.on_failure is not None:
        return TaskOutcome(
            task=task,
            kind=OutcomeKind.MOVE,
            pathway=binding.on_failure,
            action="on_failure",
            attempts=total,
            error=error,
            tries=attempts,
            agent=binding.name,
            agent_version=binding.version,
        )
    rounds = -(-total // max(attempts, 1))
    return TaskOutcome(
        task=task,
        kind=OutcomeKind.FAIL,
        attempts=total,
        error=error,
        retry_after=time.time() + env.backoff.delay(rounds),
        tries=attempts,
        agent=binding.name,
        agent_version=binding.version,
    )


_ERROR_MAX_CHARS = 20_000
"""Longest failure text kept with a task (the end of a traceback is what matters)."""


def _storable(error: str) -> str:
    """An agent's error as every store keeps it: no NUL characters, the last
    :data:`_ERROR_MAX_CHARS` characters at most."""
    error = error.replace("\x00", "\\x00")
    if len(error) > _ERROR_MAX_CHARS:
        error = "…" + error[-_ERROR_MAX_CHARS:]
    return error
