"""Task agents: functions bound to agent stages, and the runners that feed them tasks.

``Runner``/``SequentialRunner`` loop over a project's agent stages in-process;
``QueueRunner`` wraps agents as JSON-in, JSON-out functions for queue workers. ``Depends``
marks parameters computed by dependency functions (see :mod:`annotask.tasks.dependencies`).
"""

from annotask.errors import PrintableError
from annotask.tasks.batches import batch_iterator
from annotask.tasks.execution import Backoff
from annotask.tasks.injection import Depends
from annotask.tasks.models import (
    LabelRowInitialiseLabelsArgs,
    LabelRowMetadataIncludeArgs,
    TaskAgentReturnStruct,
    TaskCompletionResult,
)
from annotask.tasks.report import PlannedOutcome, RunReport, StageReport
from annotask.tasks.runner import QueueRunner, Runner, SequentialRunner

__all__ = [
    "Backoff",
    "Depends",
    "LabelRowInitialiseLabelsArgs",
    "LabelRowMetadataIncludeArgs",
    "PlannedOutcome",
    "PrintableError",
    "QueueRunner",
    "RunReport",
    "Runner",
    "SequentialRunner",
    "StageReport",
    "TaskAgentReturnStruct",
    "TaskCompletionResult",
    "batch_iterator",
]
