"""A new project's tasks and label rows, made inside the database in two statements.

``INSERT … SELECT`` over the datasets' items: no row passes through Python, so a project over
millions of items takes memory that does not grow with them and runs at the database's own
speed. UUIDs are made by the database (version 4, from its random generator). Rows go in
in item order, so that the ``(project, item)`` indexes grow at one end instead of at random
places; on SQLite the connection's page cache is raised for the two statements (indexes of a
million random UUIDs outgrow the usual cache, and every insert would read pages back).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

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
from sqlalchemy.exc import DBAPIError

from annotask.store.clock import utcnow
from annotask.store.schema import UTCDateTime, label_rows, storage_items, tasks
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
    _refresh_statistics(conn)
    return made


def _refresh_statistics(conn: Connection) -> None:
    """Let PostgreSQL's planner see the new rows now, not after autovacuum's next pass: on
    tables it has no statistics for, it scans a whole stage through the claim-order index for
    statements that name tasks by UUID, instead of looking each up by its primary key."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE tasks, label_rows")


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
            items.order_by(storage_items.c.uuid),
        ),
        execution_options=_COUNTED,
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
    conn.execute(insert(tasks).from_select(columns, rows.order_by(label_rows.c.data_hash)))
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
