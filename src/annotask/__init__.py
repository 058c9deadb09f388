"""annotask: task agents for annotation workflows, on an embedded workflow platform.

The public API is what this module and :mod:`annotask.tasks` export; everything else is
internal and may change.
"""

from annotask.client import Client, Dataset, OntologyInfo, Project, StorageItem, TaskEvent
from annotask.datatypes import DataType
from annotask.errors import (
    AnnotaskError,
    AuthenticationError,
    AuthorizationError,
    ConflictError,
    LabelError,
    MediaError,
    NotFoundError,
    PathwayError,
    StoreError,
    ValidationError,
)
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
    Role,
    StageType,
    TaskStatus,
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
    "Project",
    "ReviewStage",
    "ReviewTask",
    "Role",
    "StageType",
    "StorageItem",
    "StoreError",
    "TaskEvent",
    "TaskStatus",
    "ValidationError",
    "Workflow",
    "WorkflowStage",
    "WorkflowTask",
    "__version__",
]
