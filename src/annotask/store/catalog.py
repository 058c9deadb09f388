"""Datasets, storage items and ontologies."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, select, update

from annotask.store.clock import utcnow
from annotask.store.records import DatasetRecord, OntologyRecord, StorageItemRecord
from annotask.store.schema import datasets, ontologies, storage_items

__all__ = [
    "NewStorageItem",
    "count_storage_items",
    "get_datasets",
    "get_ontology",
    "get_storage_items",
    "insert_dataset",
    "insert_ontology",
    "insert_storage_items",
    "list_storage_items",
    "storage_item_uuids",
    "update_storage_items",
]

NewStorageItem = Mapping[str, Any]
"""Keys: uuid, dataset_uuid, name, uri, data_type, mime_type, file_size, properties,
client_metadata."""

_CHUNK = 900  # below SQLite's bound-parameter limit for IN lists


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def insert_dataset(
    conn: Connection, uuid: str, title: str, description: str, created_by: str
) -> DatasetRecord:
    """Create a dataset row and return it."""
    record = DatasetRecord(uuid, title, description, created_by, utcnow())
    conn.execute(insert(datasets).values(**_as_dict(record)))
    return record


def get_datasets(
    conn: Connection, *, uuids: Collection[str] | None = None, title: str | None = None
) -> list[DatasetRecord]:
    """Datasets by uuid or by exact title (both filters optional), oldest first."""
    query = select(datasets).order_by(datasets.c.created_at)
    if uuids is not None:
        query = query.where(datasets.c.uuid.in_(list(uuids)))
    if title is not None:
        query = query.where(datasets.c.title == title)
    return [DatasetRecord(**r._mapping) for r in conn.execute(query)]


def insert_storage_items(conn: Connection, items: Sequence[NewStorageItem]) -> None:
    """Insert storage items in one executemany."""
    if not items:
        return
    now = utcnow()
    rows = [{**item, "created_at": now, "updated_at": now} for item in items]
    conn.execute(insert(storage_items), rows)


def _item(row: Row[Any]) -> StorageItemRecord:
    return StorageItemRecord(**row._mapping)


def get_storage_items(conn: Connection, uuids: Sequence[str]) -> dict[str, StorageItemRecord]:
    """Storage items by uuid, fetched in as few queries as the backend allows."""
    found: dict[str, StorageItemRecord] = {}
    for chunk in _chunks(list(uuids)):
        for row in conn.execute(select(storage_items).where(storage_items.c.uuid.in_(chunk))):
            found[row.uuid] = _item(row)
    return found


def list_storage_items(
    conn: Connection, dataset_uuid: str, *, name_contains: str | None = None
) -> list[StorageItemRecord]:
    """A dataset's items in insertion order."""
    query = (
        select(storage_items)
        .where(storage_items.c.dataset_uuid == dataset_uuid)
        .order_by(storage_items.c.created_at, storage_items.c.name)
    )
    if name_contains:
        query = query.where(storage_items.c.name.contains(name_contains, autoescape=True))
    return [_item(r) for r in conn.execute(query)]


def count_storage_items(conn: Connection, dataset_uuids: Sequence[str]) -> dict[str, int]:
    """How many items each of some datasets holds (datasets with none are left out)."""
    query = (
        select(storage_items.c.dataset_uuid, func.count())
        .where(storage_items.c.dataset_uuid.in_(list(dataset_uuids)))
        .group_by(storage_items.c.dataset_uuid)
    )
    return {str(dataset_uuid): int(count) for dataset_uuid, count in conn.execute(query)}


def storage_item_uuids(conn: Connection, dataset_uuids: Sequence[str]) -> list[str]:
    """Uuids of the items of some datasets, in insertion order (no JSON columns read)."""
    query = (
        select(storage_items.c.uuid)
        .where(storage_items.c.dataset_uuid.in_(list(dataset_uuids)))
        .order_by(storage_items.c.created_at, storage_items.c.name)
    )
    return [str(r.uuid) for r in conn.execute(query)]


def update_storage_items(conn: Connection, changes: Mapping[str, Mapping[str, Any]]) -> None:
    """Apply per-item changes (``name`` and/or ``client_metadata``), grouped into executemanys."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    now = utcnow()
    for uuid, change in changes.items():
        columns = tuple(sorted(change))
        by_columns.setdefault(columns, []).append({"_uuid": uuid, "updated_at": now, **change})
    for columns, rows in by_columns.items():
        values: dict[str, Any] = {c: bindparam(c) for c in (*columns, "updated_at")}
        statement = (
            update(storage_items).where(storage_items.c.uuid == bindparam("_uuid")).values(values)
        )
        conn.execute(statement, rows)


def insert_ontology(
    conn: Connection, uuid: str, title: str, structure: dict[str, Any], created_by: str
) -> OntologyRecord:
    """Create an ontology row and return it."""
    record = OntologyRecord(uuid, title, structure, created_by, utcnow())
    conn.execute(insert(ontologies).values(**_as_dict(record)))
    return record


def get_ontology(conn: Connection, uuid: str) -> OntologyRecord | None:
    """One ontology, or None."""
    row = conn.execute(select(ontologies).where(ontologies.c.uuid == uuid)).first()
    return None if row is None else OntologyRecord(**row._mapping)


def _as_dict(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}
