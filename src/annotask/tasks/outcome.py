"""The settled outcome of one task: what to commit for it, and what came of the commit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from annotask.store.records import TaskRecord
from annotask.workflow import Pathway

__all__ = ["CommitStatus", "OutcomeKind", "TaskOutcome"]


class OutcomeKind(StrEnum):
    """What the agent decided for a task."""

    MOVE = "move"
    STAY = "stay"
    FAIL = "fail"


class CommitStatus(StrEnum):
    """What happened to an outcome when its batch committed."""

    MOVED = "moved"
    STAYED = "stayed"
    FAILED = "failed"
    LOST = "lost"
    """The runner's lease was gone (it expired and another runner took the task)."""
    CONFLICT = "conflict"
    """The label row changed since it was loaded; the task stays for another try."""


@dataclass
class TaskOutcome:
    """Everything one task's agent run changes, committed together or not at all."""

    task: TaskRecord
    kind: OutcomeKind
    pathway: Pathway | None = None
    action: str = "proceed"
    label_document: Mapping[str, Any] | None = None
    label_json: str | None = None
    """The document encoded once, before the commit's transaction opens."""
    label_hash: str | None = None
    """The label row the document is saved to (None: the task's row on main)."""
    label_earlier: tuple[str, ...] = ()
    """Documents the agent saved before ``label_json``, oldest first: a version each."""
    base_version: int = 0
    priority: float | None = None
    item_updates: dict[str, dict[str, Any]] = field(default_factory=dict)
    item_datasets: dict[str, str] = field(default_factory=dict)
    attempts: int = 0
    error: str | None = None
    retry_after: float | None = None
    status: CommitStatus | None = None
    message: str | None = None
    tries: int = 1
    """Attempts made on the task in this run (1 unless it was retried)."""
    agent: str | None = None
    """The agent function that decided the outcome, recorded on the task's event."""
    agent_version: str | None = None

    @property
    def task_uuid(self) -> str:
        """The task's UUID."""
        return self.task.uuid

    @property
    def row_hash(self) -> str:
        """The label hash of the row the outcome saves (on the agent's label branch)."""
        return self.label_hash or self.task.label_hash

    def drop_changes(self) -> None:
        """Leave the task where it is and commit none of its changes."""
        self.kind = OutcomeKind.STAY
        self.pathway = None
        self.label_document = None
        self.label_json = None
        self.label_earlier = ()
        self.priority = None
        self.item_updates = {}

    def fail(self, error: str, retry_after: float | None) -> None:
        """Turn the outcome into a failure: nothing it changed will be committed."""
        self.drop_changes()
        self.kind = OutcomeKind.FAIL
        self.attempts = max(self.attempts, self.task.attempts + 1)
        self.error = error
        self.retry_after = retry_after
