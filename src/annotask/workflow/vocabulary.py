"""Member roles and task statuses: plain enums, importable without the store (the CLI's
option choices are built from them before anything else loads)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Role", "TaskStatus"]


class Role(StrEnum):
    """A member's role on a project or dataset."""

    OWNER = "owner"
    ADMIN = "admin"
    ANNOTATOR = "annotator"
    REVIEWER = "reviewer"
    WORKER = "worker"


class TaskStatus(StrEnum):
    """Where a task stands within its stage."""

    NEW = "new"
    ASSIGNED = "assigned"
    FAILED = "failed"
    COMPLETED = "completed"
