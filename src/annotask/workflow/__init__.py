"""Workflows: definitions, stages, pathways and the tasks moving through them."""

from typing import TYPE_CHECKING

from annotask._lazy import lazy_attributes
from annotask.workflow.vocabulary import Role, TaskStatus

if TYPE_CHECKING:
    from annotask.workflow.context import Action, Context
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

__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        "Action": "annotask.workflow.context",
        "Context": "annotask.workflow.context",
        "StageType": "annotask.workflow.definition",
        "WorkflowSpec": "annotask.workflow.definition",
        "parse_workflow": "annotask.workflow.definition",
        **dict.fromkeys(
            [
                "AgentStage",
                "AnnotationStage",
                "CompleteStage",
                "FinalStage",
                "Pathway",
                "ReviewStage",
                "Workflow",
                "WorkflowStage",
            ],
            "annotask.workflow.stages",
        ),
        **dict.fromkeys(
            ["AgentTask", "AnnotationTask", "CompleteTask", "ReviewTask", "WorkflowTask"],
            "annotask.workflow.tasks",
        ),
    },
)
