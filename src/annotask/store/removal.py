"""Deleting a project or a dataset with everything that belongs only to it, and counting
first what that would be."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, select

from annotask.store.schema import (
    datasets,
    label_row_versions,
    label_rows,
    members,
    pathways,
    project_datasets,
    projects,
    stages,
    storage_items,
    task_events,
    tasks,
)

__all__ = ["dataset_footprint", "delete_dataset", "delete_project", "project_footprint"]


def _count(conn: Connection, query: object) -> int:
    return int(conn.execute(query).scalar_one())  # type: ignore[call-overload]


def project_footprint(conn: Connection, project_uuid: str) -> dict[str, int]:
    """What deleting the project would remove: tasks, events, label rows with saved labels,
    and saved label versions."""
    rows = select(label_rows.c.uuid).where(label_rows.c.project_uuid == project_uuid)
    return {
        "tasks": _count(
            conn,
            select(func.count()).select_from(tasks).where(tasks.c.project_uuid == project_uuid),
        ),
        "events": _count(
            conn,
            select(func.count())
            .select_from(task_events)
            .where(task_events.c.project_uuid == project_uuid),
        ),
        "labelled rows": _count(
            conn,
            select(func.count())
            .select_from(label_rows)
            .where(label_rows.c.project_uuid == project_uuid, label_rows.c.version > 0),
        ),
        "label versions": _count(
            conn,
            select(func.count())
            .select_from(label_row_versions)
            .where(label_row_versions.c.label_hash.in_(rows)),
        ),
    }


def delete_project(conn: Connection, project_uuid: str) -> None:
    """Delete the project, its workflow, tasks, events, label rows and versions, and its
    memberships; its datasets and ontology stay."""
    rows = select(label_rows.c.uuid).where(label_rows.c.project_uuid == project_uuid)
    its_stages = select(stages.c.uuid).where(stages.c.project_uuid == project_uuid)
    conn.execute(delete(task_events).where(task_events.c.project_uuid == project_uuid))
    conn.execute(delete(label_row_versions).where(label_row_versions.c.label_hash.in_(rows)))
    conn.execute(delete(label_rows).where(label_rows.c.project_uuid == project_uuid))
    conn.execute(delete(tasks).where(tasks.c.project_uuid == project_uuid))
    conn.execute(delete(pathways).where(pathways.c.stage_uuid.in_(its_stages)))
    conn.execute(delete(project_datasets).where(project_datasets.c.project_uuid == project_uuid))
    conn.execute(delete(stages).where(stages.c.project_uuid == project_uuid))
    conn.execute(delete(members).where(members.c.resource_uuid == project_uuid))
    conn.execute(delete(projects).where(projects.c.uuid == project_uuid))


def dataset_footprint(conn: Connection, dataset_uuid: str) -> dict[str, int]:
    """What deleting the dataset would remove: its storage items (files are never touched)."""
    return {
        "items": _count(
            conn,
            select(func.count())
            .select_from(storage_items)
            .where(storage_items.c.dataset_uuid == dataset_uuid),
        )
    }


def delete_dataset(conn: Connection, dataset_uuid: str) -> None:
    """Delete the dataset, its storage item rows and its memberships (no project may use it;
    the caller checks). The assets themselves are left where they are."""
    conn.execute(delete(storage_items).where(storage_items.c.dataset_uuid == dataset_uuid))
    conn.execute(delete(members).where(members.c.resource_uuid == dataset_uuid))
    conn.execute(delete(datasets).where(datasets.c.uuid == dataset_uuid))
