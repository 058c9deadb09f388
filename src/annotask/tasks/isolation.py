"""Keeping one task's bad outcome from costing the others theirs.

When the store refuses a batch commit for data reasons (a value the database will not take,
a broken constraint, a value the driver cannot bind), the batch is committed again in
halves, and halves of those, until each refused outcome stands alone; each of those is then
recorded as a failure of its task, with the database's reason, and the rest land. A batch of
``n`` outcomes with ``k`` bad ones takes about ``2·k·log2(n)`` extra transactions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from annotask.store.engine import is_data_error
from annotask.tasks.outcome import TaskOutcome

__all__ = ["RETRY_REFUSED_AFTER_S", "commit_isolating", "refusal_reason"]

logger = logging.getLogger(__name__)

RETRY_REFUSED_AFTER_S = 300.0
"""How long a task whose outcome the store refused waits before runners try it again."""

_REASON_MAX_CHARS = 500


def commit_isolating(
    outcomes: Sequence[TaskOutcome],
    attempt: Callable[[list[TaskOutcome]], object],
    refused: BaseException,
    stage_name: str,
) -> None:
    """Commit ``outcomes`` with ``attempt`` (one transaction per call) after the whole batch
    was ``refused``; outcomes refused alone are committed as failures of their tasks.

    Errors that are not data errors (the store unreachable, read-only, full) propagate.
    """
    logger.warning(
        "stage %r: the store refused a batch of %d outcome(s) (%s); committing it in parts "
        "to find the outcome(s) it refuses",
        stage_name,
        len(outcomes),
        refusal_reason(refused),
    )
    _split(list(outcomes), attempt, refused, stage_name)


def _split(
    part: list[TaskOutcome],
    attempt: Callable[[list[TaskOutcome]], object],
    refused: BaseException,
    stage_name: str,
) -> None:
    if len(part) == 1:
        _record_refused(part[0], attempt, refused, stage_name)
        return
    middle = len(part) // 2
    for half in (part[:middle], part[middle:]):
        try:
            attempt(half)
        except Exception as exc:
            if not is_data_error(exc):
                raise
            _split(half, attempt, exc, stage_name)


def _record_refused(
    outcome: TaskOutcome,
    attempt: Callable[[list[TaskOutcome]], object],
    refused: BaseException,
    stage_name: str,
) -> None:
    reason = refusal_reason(refused)
    logger.error(
        "stage %r: the store refused the outcome of task %s (%s); it stays in the stage, "
        "marked failed",
        stage_name,
        outcome.task_uuid,
        reason,
    )
    outcome.status = None
    outcome.message = None
    outcome.fail(
        f"StoreError: the store refused this task's outcome: {reason}",
        retry_after=time.time() + RETRY_REFUSED_AFTER_S,
    )
    attempt([outcome])


def refusal_reason(exc: BaseException) -> str:
    """The database's (or driver's) reason in one short line, without the SQL."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    text = f"{type(cause).__name__}: {lines[0] if lines else ''}".strip()
    return text if len(text) <= _REASON_MAX_CHARS else text[:_REASON_MAX_CHARS] + "…"
