"""A new project's tasks and label rows, made inside the database in two statements.

``INSERT … SELECT`` over the datasets' items: no row passes through Python, so a project over
millions of items takes constant memory and runs at the database's own speed. UUIDs are
made by the database (version 4, from its random generator).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    String,
    bindparam,
    cast,
    func,
    insert,
    literal,
    null,
    select,
)

from annotask.store.clock import utcnow
from annotask.store.schema import UTCDateTime, label_rows, storage_items, tasks
from annotask.store.tasks import settle_tasks

__all__ = ["insert_tasks_for_datasets"]


def insert_tasks_for_datasets(
    conn: Connection, project_uuid: str, stage_uuid: str, dataset_uuids: Sequence[str]
) -> int:
    """Give every item of the datasets a task at ``stage_uuid`` and an empty label row on
    the main branch of a project that has none yet; return how many were made."""
    now = bindparam("now", utcnow(), type_=UTCDateTime)
    project = literal(project_uuid, String(36))
    items = select(
        _new_uuid(conn),
        project,
        storage_items.c.uuid,
        literal(0, Integer),
        null(),
        now,
        literal("main", String(200)),
    ).where(storage_items.c.dataset_uuid.in_(list(dataset_uuids)))
    made = conn.execute(
        insert(label_rows).from_select(
            ["uuid", "project_uuid", "data_hash", "version", "labels", "updated_at", "branch_name"],
            items,
        )
    ).rowcount
    rows = select(
        _new_uuid(conn),
        project,
        literal(stage_uuid, String(36)),
        label_rows.c.data_hash,
        label_rows.c.uuid,
        literal("new", String(20)),
        literal(0.5, Float),
        literal(0, Integer),
        literal(0, Integer),
        now,
        now,
    ).where(label_rows.c.project_uuid == project_uuid, label_rows.c.branch_name == "main")
    columns = [
        "uuid",
        "project_uuid",
        "stage_uuid",
        "data_hash",
        "label_hash",
        "status",
        "priority",
        "lease_token",
        "attempts",
        "created_at",
        "updated_at",
    ]
    conn.execute(insert(tasks).from_select(columns, rows))
    settle_tasks(conn, stage_uuid, made)
    return int(made)


def _new_uuid(conn: Connection) -> ColumnElement[str]:
    """A random version-4 UUID per row, as text."""
    if conn.dialect.name == "postgresql":
        return cast(func.gen_random_uuid(), String(36))

    # SQLite: 122 random bits from randomblob, with the version and variant digits set
    def digits(count: int) -> ColumnElement[str]:
        return func.hex(func.randomblob(count // 2), type_=String())

    def tail(count: int) -> ColumnElement[str]:
        return func.substr(digits(count), 2, type_=String())

    variant = func.substr("89AB", 1 + func.random().op("&")(3), 1, type_=String())
    text = digits(8) + "-" + digits(4) + "-4" + tail(4) + "-" + variant + tail(4) + "-"
    return func.lower(text + digits(12), type_=String())
