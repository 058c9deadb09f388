"""Label rows and their versions: bulk reads, version-checked saves, history."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Dialect,
    Text,
    bindparam,
    cast,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.types import TypeDecorator

from annotask.errors import ConflictError
from annotask.store.clock import utcnow
from annotask.store.key_sets import in_keys, keys_value
from annotask.store.positional import bind_processor, positional_sql
from annotask.store.records import LabelRowRecord, LabelVersionRecord, StorageItemRecord
from annotask.store.schema import label_row_versions, label_rows, storage_items, tasks

__all__ = [
    "MAIN_BRANCH",
    "LabelSave",
    "current_versions",
    "ensure_branch_rows",
    "get_label_rows",
    "get_version",
    "label_history",
    "save_label_rows",
]

_CHUNK = 900

MAIN_BRANCH = "main"
"""The label branch every data item has a row on."""


@dataclass(frozen=True, slots=True)
class LabelSave:
    """One label document, encoded as JSON text, to store as the next version of a row."""

    label_hash: str
    labels_json: str
    base_version: int
    saved_by: str
    workflow_stage: str | None


def get_label_rows(
    conn: Connection,
    project_uuid: str,
    *,
    data_hashes: Collection[str] | None = None,
    label_hashes: Collection[str] | None = None,
    data_titles: Collection[str] | None = None,
    with_labels: bool = True,
    branch_name: str = MAIN_BRANCH,
    ordered: bool = True,
    title_like: str | None = None,
) -> list[LabelRowRecord]:
    """Label rows of a project with their storage items and task stage/priority.

    Filtered by data hashes, label hashes or data titles (item names; the first filter given
    applies), chunked to stay under parameter limits; one query per chunk. ``title_like``
    also keeps only items whose name matches it as an SQL ``LIKE`` pattern (``%`` any run,
    ``_`` one character; case as the database compares: SQLite ignores ASCII case).
    Documents come as JSON text, for the caller to parse when it needs them;
    ``with_labels=False`` leaves them out. The rows are those on ``branch_name``, except
    when filtered by label hash: a label hash names one row, on whichever branch it is.
    They come in the order of their data items, unless ``ordered=False`` (a caller that
    looks them up by key saves the sort).
    """
    keys, filter_by = _filter(data_hashes, label_hashes, data_titles)
    chunks = [None] if keys is None else [keys[i : i + _CHUNK] for i in range(0, len(keys), _CHUNK)]
    query = _rows_query(with_labels, filter_by, conn.dialect.name, ordered, title_like is not None)
    params: dict[str, Any] = {"_project": project_uuid, "_branch": branch_name}
    if title_like is not None:
        params["_like"] = title_like
    records: list[LabelRowRecord] = []
    for chunk in chunks:
        if chunk is not None:
            params["_keys"] = keys_value(conn.dialect.name, chunk)
        records.extend(_record(row, with_labels) for row in conn.execute(query, params).all())
    return records


@cache
def _rows_query(
    with_labels: bool, filter_by: str | None, dialect: str, ordered: bool, like: bool = False
) -> Any:
    """:func:`get_label_rows`' statement, built once: rows of ``_project`` on ``_branch``
    (by label hash: on any branch) whose ``filter_by`` column is one of ``_keys`` (and,
    with ``like``, whose item name is ``LIKE _like``)."""
    query = _label_row_select(with_labels, ordered).where(
        label_rows.c.project_uuid == bindparam("_project")
    )
    if filter_by != "label_hash":
        query = query.where(label_rows.c.branch_name == bindparam("_branch"))
    if filter_by is not None:
        query = query.where(in_keys(_FILTER_COLUMNS[filter_by], "_keys", dialect))
    if like:
        query = query.where(storage_items.c.name.like(bindparam("_like")))
    return query


def _filter(
    data_hashes: Collection[str] | None,
    label_hashes: Collection[str] | None,
    data_titles: Collection[str] | None,
) -> tuple[list[str] | None, str | None]:
    """The keys of the first filter given, and which filter it is."""
    for keys, name in (
        (data_hashes, "data_hash"),
        (label_hashes, "label_hash"),
        (data_titles, "data_title"),
    ):
        if keys is not None:
            return list(keys), name
    return None, None


_FILTER_COLUMNS = {
    "data_hash": label_rows.c.data_hash,
    "label_hash": label_rows.c.uuid,
    "data_title": storage_items.c.name,
}


_ITEM_COLUMNS = [storage_items.c[name] for name in StorageItemRecord._fields]
_ITEM_AT = 7
"""Where the storage item's columns start in a row of :func:`_label_row_select`."""
_ITEM_END = _ITEM_AT + len(_ITEM_COLUMNS)


def _label_row_select(with_labels: bool, ordered: bool) -> Any:
    # positional: rows build their records by index, without a mapping per row
    columns = [
        label_rows.c.uuid.label("label_hash"),
        label_rows.c.project_uuid,
        label_rows.c.data_hash,
        label_rows.c.version,
        label_rows.c.branch_name,
        tasks.c.priority,
        tasks.c.stage_uuid,
        *[c.label(f"item_{c.name}") for c in _ITEM_COLUMNS],
    ]
    if with_labels:
        columns.append(cast(label_rows.c.labels, Text).label("labels_json"))
    query = (
        select(*columns)
        .join(storage_items, storage_items.c.uuid == label_rows.c.data_hash)
        .join(
            tasks,
            (tasks.c.project_uuid == label_rows.c.project_uuid)
            & (tasks.c.data_hash == label_rows.c.data_hash),
        )
    )
    return query.order_by(storage_items.c.created_at, storage_items.c.name) if ordered else query


def _record(row: Sequence[Any], with_labels: bool) -> LabelRowRecord:
    labels = row[_ITEM_END] if with_labels else None
    return LabelRowRecord(  # positional, in the record's order: a few of these per task
        row[0],
        row[1],
        row[2],
        row[3],
        None if labels == "null" else labels,  # a new row holds JSON null
        row[5],
        row[6],
        StorageItemRecord._make(row[_ITEM_AT:_ITEM_END]),
        row[4],
    )


def ensure_branch_rows(
    conn: Connection,
    project_uuid: str,
    branch_name: str,
    data_hashes: Collection[str] | None = None,
) -> int:
    """Give every data item of the project (or those of ``data_hashes``) a row on
    ``branch_name``; return how many were made.

    A new branch row starts empty at version 0, like a data item's first row on main: it
    gets labels only by being saved. Rows made concurrently by another transaction are
    left as they are. Nothing is written for ``main`` (every data item has its row there).
    """
    if branch_name == MAIN_BRANCH:
        return 0
    branch = label_rows.alias("branch")
    query = select(label_rows.c.data_hash).where(
        label_rows.c.project_uuid == project_uuid,
        label_rows.c.branch_name == MAIN_BRANCH,
        ~exists().where(
            branch.c.project_uuid == label_rows.c.project_uuid,
            branch.c.data_hash == label_rows.c.data_hash,
            branch.c.branch_name == branch_name,
        ),
    )
    keys = None if data_hashes is None else list(data_hashes)
    missing: list[str] = []
    if keys is None:
        missing = list(conn.execute(query).scalars())
    for start in range(0, len(keys or ()), _CHUNK):
        chunk = (keys or [])[start : start + _CHUNK]
        missing.extend(conn.execute(query.where(label_rows.c.data_hash.in_(chunk))).scalars())
    if missing:
        from sqlalchemy.dialects import postgresql, sqlite  # noqa: PLC0415 - only for branches

        now = utcnow()
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(
            dialect.insert(label_rows).on_conflict_do_nothing(),
            [
                {
                    "uuid": str(uuid.uuid4()),
                    "project_uuid": project_uuid,
                    "data_hash": h,
                    "version": 0,
                    "labels": None,
                    "updated_at": now,
                    "branch_name": branch_name,
                }
                for h in missing
            ],
        )
    return len(missing)


def save_label_rows(
    conn: Connection, saves: Sequence[LabelSave], *, current: Mapping[str, int] | None = None
) -> dict[str, int]:
    """Store each document as its row's next version; return label hash → new version.

    Every save must be based on the row's current version: if any is stale (someone saved in
    between) a ConflictError names the rows and nothing is written. ``current`` are the
    versions the caller already read (and locked) with :func:`current_versions` in this
    transaction; without it they are read here.
    """
    if not saves:
        return {}
    if current is None:
        current = current_versions(conn, [s.label_hash for s in saves])
    stale = [s.label_hash for s in saves if current.get(s.label_hash) != s.base_version]
    if stale:
        raise ConflictError(
            f"label row(s) {', '.join(stale[:5])}{' …' if len(stale) > 5 else ''} changed since "
            "they were loaded (another save happened); reload with initialise_labels("
            "overwrite=True) and apply the change again"
        )
    now = utcnow()
    if conn.dialect.name == "sqlite":  # rows as tuples, without SQLAlchemy's per-row work
        stamp = bind_processor(label_rows.c.updated_at, conn.dialect)(now)
        conn.exec_driver_sql(
            positional_sql(_SAVE, conn.dialect, ("_version", "_labels", "_now", "_hash")),
            [(s.base_version + 1, s.labels_json, stamp, s.label_hash) for s in saves],
        )
    else:
        conn.execute(
            _SAVE,
            [
                {
                    "_hash": s.label_hash,
                    "_version": s.base_version + 1,
                    "_labels": s.labels_json,
                    "_now": now,
                }
                for s in saves
            ],
        )
    # each version copies its row as just written: the document is bound once, not twice
    by_author: dict[tuple[str, str | None], list[str]] = {}
    for save in saves:
        by_author.setdefault((save.saved_by, save.workflow_stage), []).append(save.label_hash)
    for (saved_by, workflow_stage), hashes in by_author.items():
        for start in range(0, len(hashes), _CHUNK):
            conn.execute(
                _copy_versions(conn.dialect.name),
                {
                    "_hashes": keys_value(conn.dialect.name, hashes[start : start + _CHUNK]),
                    "_by": saved_by,
                    "_at": now,
                    "_stage": workflow_stage,
                },
            )
    return {s.label_hash: s.base_version + 1 for s in saves}


@cache
def _copy_versions(dialect: str) -> Any:
    """``INSERT INTO label_row_versions SELECT`` the rows named by ``_hashes``, as saved."""
    return insert(label_row_versions).from_select(
        ["label_hash", "version", "labels", "saved_by", "saved_at", "workflow_stage"],
        select(
            label_rows.c.uuid,
            label_rows.c.version,
            label_rows.c.labels,
            bindparam("_by", type_=label_row_versions.c.saved_by.type),
            bindparam("_at", type_=label_row_versions.c.saved_at.type),
            bindparam("_stage", type_=label_row_versions.c.workflow_stage.type),
        ).where(in_keys(label_rows.c.uuid, "_hashes", dialect)),
    )


class _EncodedJSON(TypeDecorator[str]):
    """A JSON column's value bound as JSON text already encoded (the driver gets it as is);
    one encoding serves a row and its version alike."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


_SAVE = (
    update(label_rows)
    .where(label_rows.c.uuid == bindparam("_hash"))
    .values(
        version=bindparam("_version"),
        labels=bindparam("_labels", type_=_EncodedJSON()),
        updated_at=bindparam("_now", type_=label_rows.c.updated_at.type),
    )
)


def current_versions(conn: Connection, label_hashes: Sequence[str]) -> dict[str, int]:
    """Each row's current version (locked until the transaction ends on PostgreSQL)."""
    query = _versions_query(conn.dialect.name)
    versions: dict[str, int] = {}
    for start in range(0, len(label_hashes), _CHUNK):
        chunk = keys_value(conn.dialect.name, label_hashes[start : start + _CHUNK])
        versions.update((r[0], r[1]) for r in conn.execute(query, {"_hashes": chunk}).all())
    return versions


@cache
def _versions_query(dialect: str) -> Any:
    """The versions of the rows named by ``_hashes`` (locked on PostgreSQL)."""
    query = select(label_rows.c.uuid, label_rows.c.version).where(
        in_keys(label_rows.c.uuid, "_hashes", dialect)
    )
    return query.with_for_update() if dialect == "postgresql" else query


def label_history(conn: Connection, label_hash: str) -> list[LabelVersionRecord]:
    """Every saved version of a row, oldest first."""
    query = (
        select(label_row_versions)
        .where(label_row_versions.c.label_hash == label_hash)
        .order_by(label_row_versions.c.version)
    )
    return [LabelVersionRecord(**r._mapping) for r in conn.execute(query)]


def get_version(conn: Connection, label_hash: str, version: int) -> LabelVersionRecord | None:
    """One saved version of a row, or None."""
    row = conn.execute(
        select(label_row_versions).where(
            label_row_versions.c.label_hash == label_hash,
            label_row_versions.c.version == version,
        )
    ).first()
    return None if row is None else LabelVersionRecord(**row._mapping)
