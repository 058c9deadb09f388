"""What a run did, per stage: counts for people and tests, and per-task dry-run plans."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from annotask.tasks.outcome import CommitStatus, OutcomeKind, TaskOutcome

__all__ = ["PlannedOutcome", "RunReport", "StageReport"]


@dataclass(frozen=True)
class PlannedOutcome:
    """What a dry run found an agent would do with one task (nothing was committed)."""

    task_uuid: str
    data_title: str
    stage: str
    pathway: str | None
    destination: str | None
    priority: float | None
    objects: int | None
    classifications: int | None
    metadata_changes: dict[str, Any]
    error: str | None

    @classmethod
    def from_outcome(cls, stage: str, outcome: TaskOutcome) -> PlannedOutcome:
        """The plan an unsaved outcome describes."""
        document = outcome.label_document
        return cls(
            task_uuid=outcome.task_uuid,
            data_title=outcome.task.data_title,
            stage=stage,
            pathway=None if outcome.pathway is None else outcome.pathway.name,
            destination=None if outcome.pathway is None else outcome.pathway.destination,
            priority=outcome.priority,
            objects=None if document is None else len(document.get("objects", [])),
            classifications=None if document is None else len(document.get("classifications", [])),
            metadata_changes={k: dict(v) for k, v in outcome.item_updates.items()},
            error=outcome.error if outcome.kind is OutcomeKind.FAIL else None,
        )


@dataclass
class StageReport:
    """Counts for one stage of a run."""

    stage: str
    attempted: int = 0
    moved: Counter[str] = field(default_factory=Counter)
    stayed: int = 0
    failed: int = 0
    lost: int = 0
    conflicts: int = 0
    seconds: float = 0.0
    planned: list[PlannedOutcome] = field(default_factory=list)

    def add(self, outcomes: Iterable[TaskOutcome]) -> None:
        """Count committed outcomes."""
        for outcome in outcomes:
            self.attempted += 1
            status = outcome.status
            if status is CommitStatus.MOVED and outcome.pathway is not None:
                self.moved[outcome.pathway.name] += 1
                if outcome.action == "on_failure":
                    self.failed += 1
            elif status is CommitStatus.STAYED:
                self.stayed += 1
            elif status is CommitStatus.FAILED:
                self.failed += 1
            elif status is CommitStatus.LOST:
                self.lost += 1
            elif status is CommitStatus.CONFLICT:
                self.conflicts += 1

    def plan(self, outcomes: Iterable[TaskOutcome]) -> None:
        """Record dry-run outcomes."""
        for outcome in outcomes:
            self.attempted += 1
            self.planned.append(PlannedOutcome.from_outcome(self.stage, outcome))

    @property
    def moved_total(self) -> int:
        """Tasks moved along any pathway."""
        return sum(self.moved.values())

    @property
    def rate(self) -> float:
        """Tasks per second."""
        return self.attempted / self.seconds if self.seconds > 0 else 0.0


@dataclass
class RunReport:
    """Every stage of every pass of a run."""

    stages: list[StageReport] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        """Tasks attempted in all stages."""
        return sum(s.attempted for s in self.stages)

    @property
    def moved(self) -> int:
        """Tasks moved in all stages."""
        return sum(s.moved_total for s in self.stages)

    @property
    def failed(self) -> int:
        """Tasks that failed in all stages."""
        return sum(s.failed for s in self.stages)

    @property
    def planned(self) -> list[PlannedOutcome]:
        """Dry-run plans of all stages."""
        return [p for s in self.stages for p in s.planned]
