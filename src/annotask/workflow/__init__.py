"""Workflows: definitions, stages, pathways and the tasks moving through them."""

from annotask.workflow.context import Action, Context, Role
from annotask.workflow.definition import StageType, WorkflowSpec, parse_workflow
from annotask.workflow.stages import (
    AgentStage,
    AnnotationStage,
    CompleteStage,
    FinalStage,
    Pathway,
    ReviewStage,
    Workflow,
    WorkflowStage,
)
from annotask.workflow.tasks import (
    AgentTask,
    AnnotationTask,
    CompleteTask,
    ReviewTask,
    TaskStatus,
    WorkflowTask,
)

__all__ = [
    "Action",
    "AgentStage",
    "AgentTask",
    "AnnotationStage",
    "AnnotationTask",
    "CompleteStage",
    "CompleteTask",
    "Context",
    "FinalStage",
    "Pathway",
    "ReviewStage",
    "ReviewTask",
    "Role",
    "StageType",
    "TaskStatus",
    "Workflow",
    "WorkflowSpec",
    "WorkflowStage",
    "WorkflowTask",
    "parse_workflow",
]
