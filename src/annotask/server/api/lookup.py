"""Finding what a request names, as the caller may see it: a project they are not a member of
is answered exactly like one that does not exist (no existence leak)."""

from __future__ import annotations

from annotask.client import Client, Project
from annotask.errors import AuthorizationError, NotFoundError
from annotask.labels import LabelRow
from annotask.store import Store
from annotask.workflow.tasks import WorkflowTask

__all__ = ["forget_projects", "label_row_of", "project_of", "task_of"]


_CACHE_SIZE = 1024
_projects: dict[tuple[str, str], Project] = {}


def project_of(client: Client, project_hash: str) -> Project:
    """The project by hash or title; 404 alike when missing or when the caller is no member.

    A project found once is kept per user (its workflow and ontology, which do not change,
    are then read once): every later read or change still asks the client, whose permission
    check runs on each, and membership is never withdrawn, only changed.
    """
    key = (client.user, project_hash)
    found = _projects.get(key)
    if found is not None and found._ctx.store is client.store:
        return found
    try:
        project = client.get_project(project_hash)
    except AuthorizationError:
        raise NotFoundError(
            f"no project with hash or title {project_hash!r}; see list_projects()"
        ) from None
    if len(_projects) >= _CACHE_SIZE:
        _projects.pop(next(iter(_projects)))
    _projects[key] = project
    return project


def forget_projects(store: Store) -> None:
    """Drop the kept projects of a store (when its app shuts down)."""
    for key in [k for k, p in _projects.items() if p._ctx.store is store]:
        _projects.pop(key, None)


def task_of(project: Project, task_uuid: str) -> WorkflowTask:
    """One task of the project."""
    return project.get_task(task_uuid)


def label_row_of(project: Project, data: str) -> LabelRow:
    """The label row of one data item (by data hash or exact title)."""
    return project.get_label_row(data)
