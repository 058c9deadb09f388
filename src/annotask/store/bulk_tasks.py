"""A new project's tasks and label rows, made inside the database in two statements.

``INSERT … SELECT`` over the datasets' items: no row passes through Python, so a project over
millions of items takes memory that does not grow with them and runs at the database's own
speed. Rows go in in item order, and their UUIDs, random ones made by the database, ascend
in that order (:mod:`annotask.store.spread_uuids`): every index of the new rows — the
``(project, item)`` ones and those keyed by the new UUIDs — is swept once front to back
instead of taking inserts at random places, which at a million rows outgrow the page cache
and read a page back for nearly every row. On SQLite the connection's page cache is raised
for the two statements.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

from sqlalchemy import (
    Connection,
    Float,
    Integer,
    String,
    bindparam,
    insert,
    literal,
    null,
    select,
)
from sqlalchemy.exc import DBAPIError

from annotask.store.catalog import count_storage_items
from annotask.store.clock import utcnow
from annotask.store.schema import UTCDateTime, label_rows, storage_items, tasks
from annotask.store.spread_uuids import ascending_uuid_column
from annotask.store.tasks import settle_tasks

__all__ = ["insert_tasks_for_datasets"]

_COUNTED = {"preserve_rowcount": True}  # else psycopg's rowcount of an INSERT reads -1

BULK_CACHE_KIB = 64 * 1024
"""SQLite page cache while a project's rows are inserted (then back to the usual size)."""


def insert_tasks_for_datasets(
    conn: Connection, project_uuid: str, stage_uuid: str, dataset_uuids: Sequence[str]
) -> int:
    """Give every item of the datasets a task at ``stage_uuid`` and an empty label row on
    the main branch of a project that has none yet; return how many were made."""
    with _bulk_cache(conn):
        made = _insert(conn, project_uuid, stage_uuid, dataset_uuids)
    settle_tasks(conn, stage_uuid, made)
    return made


@contextmanager
def _bulk_cache(conn: Connection) -> Iterator[None]:
    if conn.dialect.name != "sqlite":
        yield
        return
    usual = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        with suppress(DBAPIError):  # a connection that broke meanwhile is discarded anyway
            conn.exec_driver_sql(f"PRAGMA cache_size = {int(usual)}")


def _insert(
    conn: Connection, project_uuid: str, stage_uuid: str, dataset_uuids: Sequence[str]
) -> int:
    now = bindparam("now", utcnow(), type_=UTCDateTime)
    project = literal(project_uuid, String(36))
    count = sum(count_storage_items(conn, dataset_uuids).values())
    items = select(
        ascending_uuid_column(conn, count, storage_items.c.uuid),
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
            items.order_by(storage_items.c.uuid),
        ),
        execution_options=_COUNTED,
    ).rowcount
    rows = select(
        ascending_uuid_column(conn, made, label_rows.c.data_hash),
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
    conn.execute(insert(tasks).from_select(columns, rows.order_by(label_rows.c.data_hash)))
    return int(made)
