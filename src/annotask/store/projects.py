"""Projects, the datasets they cover, and their workflow stages and pathways."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import Connection, insert, select

from annotask.store.clock import utcnow
from annotask.store.records import PathwayRecord, ProjectRecord, StageRecord
from annotask.store.schema import pathways, project_datasets, projects, stages

__all__ = [
    "get_pathways",
    "get_projects",
    "get_stages",
    "insert_project",
    "link_datasets",
    "project_dataset_uuids",
    "projects_of_dataset",
]


def insert_project(
    conn: Connection,
    *,
    uuid: str,
    title: str,
    description: str,
    ontology_uuid: str,
    created_by: str,
    stage_rows: Sequence[StageRecord],
    pathway_rows: Sequence[PathwayRecord],
    start_stage_uuid: str,
) -> ProjectRecord:
    """Create a project with its workflow's stages and pathways."""
    record = ProjectRecord(
        uuid, title, description, ontology_uuid, start_stage_uuid, created_by, utcnow()
    )
    conn.execute(insert(projects).values({k: getattr(record, k) for k in record.__slots__}))
    conn.execute(insert(stages), [{k: getattr(s, k) for k in s.__slots__} for s in stage_rows])
    if pathway_rows:
        conn.execute(
            insert(pathways), [{k: getattr(p, k) for k in p.__slots__} for p in pathway_rows]
        )
    return record


def link_datasets(conn: Connection, project_uuid: str, dataset_uuids: Sequence[str]) -> None:
    """Attach datasets to a project."""
    conn.execute(
        insert(project_datasets),
        [{"project_uuid": project_uuid, "dataset_uuid": d} for d in dataset_uuids],
    )


def get_projects(conn: Connection, uuids: Collection[str] | None = None) -> list[ProjectRecord]:
    """Projects by uuid (all when ``uuids`` is None), oldest first."""
    query = select(projects).order_by(projects.c.created_at)
    if uuids is not None:
        query = query.where(projects.c.uuid.in_(list(uuids)))
    return [ProjectRecord(**r._mapping) for r in conn.execute(query)]


def project_dataset_uuids(conn: Connection, project_uuid: str) -> list[str]:
    """The datasets a project covers."""
    rows = conn.execute(
        select(project_datasets.c.dataset_uuid).where(
            project_datasets.c.project_uuid == project_uuid
        )
    )
    return [str(r.dataset_uuid) for r in rows]


def projects_of_dataset(conn: Connection, dataset_uuid: str) -> list[ProjectRecord]:
    """Projects that cover a dataset."""
    query = (
        select(projects)
        .join(project_datasets, project_datasets.c.project_uuid == projects.c.uuid)
        .where(project_datasets.c.dataset_uuid == dataset_uuid)
    )
    return [ProjectRecord(**r._mapping) for r in conn.execute(query)]


def get_stages(conn: Connection, project_uuid: str) -> list[StageRecord]:
    """A project's stages in definition order."""
    query = select(stages).where(stages.c.project_uuid == project_uuid).order_by(stages.c.position)
    return [StageRecord(**r._mapping) for r in conn.execute(query)]


def get_pathways(conn: Connection, project_uuid: str) -> list[PathwayRecord]:
    """Every pathway of a project's stages, in definition order."""
    query = (
        select(pathways)
        .join(stages, stages.c.uuid == pathways.c.stage_uuid)
        .where(stages.c.project_uuid == project_uuid)
        .order_by(stages.c.position, pathways.c.position)
    )
    return [PathwayRecord(**r._mapping) for r in conn.execute(query)]
