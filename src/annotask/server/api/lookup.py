"""Finding what a request names, as the caller may see it: a project they are not a member of
is answered exactly like one that does not exist (no existence leak)."""

from __future__ import annotations

from annotask.client import Client, Project
from annotask.client.client import project_not_found
from annotask.errors import AuthorizationError
from annotask.labels import LabelRow
from annotask.workflow.tasks import WorkflowTask

__all__ = ["label_row_of", "project_of", "task_of"]


def project_of(client: Client, project_hash: str) -> Project:
    """The project by hash or title; 404 alike when missing or when the caller is no member."""
    try:
        return client.get_project(project_hash)
    except AuthorizationError:
        raise project_not_found(project_hash) from None


def task_of(project: Project, task_uuid: str) -> WorkflowTask:
    """One task of the project."""
    return project.get_task(task_uuid)


def label_row_of(project: Project, data: str) -> LabelRow:
    """The label row of one data item (by data hash or exact title)."""
    return project.get_label_row(data)
