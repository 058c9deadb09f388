"""Projects the caller is a member of: list, one with its counts, its workflow, its members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from annotask.client import Project
from annotask.errors import AuthorizationError
from annotask.server.api.lookup import project_of
from annotask.server.auth import CallerClient
from annotask.server.schemas import (
    MemberBody,
    MemberOut,
    PathwayOut,
    ProjectDetailOut,
    ProjectOut,
    StageOut,
    WorkflowOut,
)
from annotask.server.state import state_of
from annotask.workflow.context import Role

__all__ = ["project_out", "router"]

router = APIRouter(prefix="/api/projects", tags=["projects"])

_MANAGERS = frozenset({Role.OWNER, Role.ADMIN})


def project_out(project: Project, role: str) -> ProjectOut:
    """A project as the API shows it."""
    return ProjectOut(
        project_hash=project.project_hash,
        title=project.title,
        description=project.description,
        ontology_hash=project.ontology_hash,
        created_at=project.created_at,
        role=role,
    )


def _role(project: Project, user: str) -> str:
    return project.members()[user].value


@router.get("", response_model=list[ProjectOut])
def list_projects(client: CallerClient) -> list[ProjectOut]:
    """Projects the caller is a member of."""
    return [project_out(p, _role(p, client.user)) for p in client.list_projects()]


@router.get("/{project_hash}", response_model=ProjectDetailOut)
def get_project(project_hash: str, client: CallerClient) -> ProjectDetailOut:
    """One project, its task counts per stage and status, and its ontology."""
    project = project_of(client, project_hash)
    base = project_out(project, _role(project, client.user))
    return ProjectDetailOut(
        **base.model_dump(),
        counts=project.task_counts(),
        ontology=dict(project.ontology_info.structure),
    )


@router.get("/{project_hash}/workflow", response_model=WorkflowOut)
def get_workflow(project_hash: str, client: CallerClient) -> WorkflowOut:
    """The project's stages in order, each with its pathways."""
    project = project_of(client, project_hash)
    stages = [
        StageOut(
            uuid=s.uuid,
            name=s.name,
            type=s.stage_type.value,
            pathways=[
                PathwayOut(
                    uuid=p.uuid,
                    name=p.name,
                    destination=p.destination,
                    destination_uuid=p.destination_uuid,
                )
                for p in s.pathways
            ],
        )
        for s in project.workflow.stages
    ]
    return WorkflowOut(start_stage=project.start_stage.name, stages=stages)


def _require_manager(project: Project, user: str, what: str) -> dict[str, Role]:
    members = project.members()
    if members.get(user) not in _MANAGERS:
        raise AuthorizationError(
            f"only owners and admins of {project.what} {what}; ask one of them"
        )
    return members


@router.get("/{project_hash}/members", response_model=list[MemberOut])
def list_members(project_hash: str, client: CallerClient) -> list[MemberOut]:
    """The project's members and roles (owners and admins only)."""
    project = project_of(client, project_hash)
    members = _require_manager(project, client.user, "see its members")
    return [MemberOut(user=u, role=r.value) for u, r in sorted(members.items())]


@router.put("/{project_hash}/members/{user}", response_model=MemberOut)
def set_member(
    project_hash: str,
    user: Annotated[str, Path(min_length=1, max_length=200)],
    body: MemberBody,
    client: CallerClient,
    request: Request,
) -> MemberOut:
    """Give a user a role on the project (owners and admins; the user must exist)."""
    project = project_of(client, project_hash)
    # managers first, so that nobody else learns which accounts exist
    _require_manager(project, client.user, "give roles")
    name = state_of(request).accounts.get_user(user).name  # 404 naming `annotask users create`
    project.add_member(name, Role(body.role))
    return MemberOut(user=name, role=body.role)
