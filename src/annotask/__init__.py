"""annotask: task agents for annotation workflows, on an embedded workflow platform.

The public API is what this module and :mod:`annotask.tasks` export; everything else is
internal and may change.
"""

from typing import TYPE_CHECKING

from annotask._lazy import lazy_attributes
from annotask.datatypes import DataType, StorageItemType
from annotask.errors import (
    AnnotaskError,
    AuthenticationError,
    AuthorizationError,
    ConflictError,
    LabelError,
    MediaError,
    NotFoundError,
    PathwayError,
    PrintableError,
    StoreError,
    ValidationError,
)
from annotask.workflow.vocabulary import Role, TaskStatus

if TYPE_CHECKING:
    from annotask.client import Client, Dataset, OntologyInfo, Project, StorageItem, TaskEvent
    from annotask.labels import LabelRow
    from annotask.workflow import (
        AgentStage,
        AgentTask,
        AnnotationStage,
        AnnotationTask,
        CompleteStage,
        CompleteTask,
        FinalStage,
        Pathway,
        ReviewStage,
        ReviewTask,
        StageType,
        Workflow,
        WorkflowStage,
        WorkflowTask,
    )

__version__ = "0.1.0"

__all__ = [
    "AgentStage",
    "AgentTask",
    "AnnotaskError",
    "AnnotationStage",
    "AnnotationTask",
    "AuthenticationError",
    "AuthorizationError",
    "Client",
    "CompleteStage",
    "CompleteTask",
    "ConflictError",
    "DataType",
    "Dataset",
    "FinalStage",
    "LabelError",
    "LabelRow",
    "MediaError",
    "NotFoundError",
    "OntologyInfo",
    "Pathway",
    "PathwayError",
    "PrintableError",
    "Project",
    "ReviewStage",
    "ReviewTask",
    "Role",
    "StageType",
    "StorageItem",
    "StorageItemType",
    "StoreError",
    "TaskEvent",
    "TaskStatus",
    "ValidationError",
    "Workflow",
    "WorkflowStage",
    "WorkflowTask",
    "__version__",
]

# Loaded on first use: ``import annotask`` (and so the CLI) stays fast.
__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        **dict.fromkeys(
            ["Client", "Dataset", "OntologyInfo", "Project", "StorageItem", "TaskEvent"],
            "annotask.client",
        ),
        "LabelRow": "annotask.labels",
        **dict.fromkeys(
            [
                "AgentStage",
                "AgentTask",
                "AnnotationStage",
                "AnnotationTask",
                "CompleteStage",
                "CompleteTask",
                "FinalStage",
                "Pathway",
                "ReviewStage",
                "ReviewTask",
                "StageType",
                "Workflow",
                "WorkflowStage",
                "WorkflowTask",
            ],
            "annotask.workflow",
        ),
    },
)
