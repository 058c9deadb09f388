"""Reading rows back: label documents never saved, JSON values, SQLite timestamps."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

import annotask
from annotask.store import catalog
from annotask.store import labels as label_store


def test_a_never_saved_label_row_comes_without_document_text(
    client: annotask.Client, project: annotask.Project
) -> None:
    with client.store.read() as conn:
        rows = label_store.get_label_rows(conn, project.project_hash)
    assert len(rows) == 5
    assert all(r.labels_json is None and r.version == 0 for r in rows)


def test_json_values_read_back_as_json_reads_them(
    client: annotask.Client, project: annotask.Project
) -> None:
    """Decoded by msgspec, but what it refuses (NaN, infinity) comes back as from json."""
    item = project.list_label_rows()[0].data_hash
    metadata_in: dict[str, Any] = {"big": 10**30, "text": "é\u2603"}
    if client.store.is_sqlite:  # PostgreSQL's JSON type refuses them on the way in
        metadata_in.update(nan=float("nan"), inf=float("inf"))
    with client.store.write() as conn:
        catalog.update_storage_items(conn, {item: {"client_metadata": metadata_in}})
    with client.store.read() as conn:
        read = catalog.get_storage_items(conn, [item])[item].client_metadata
    assert (read["big"], read["text"]) == (10**30, "é\u2603")
    if client.store.is_sqlite:
        assert math.isnan(read["nan"]) and read["inf"] == float("inf")


def test_sqlite_timestamps_read_back_as_aware_utc(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'times.db'}"
    with annotask.Client(url, user="alice") as client:
        dataset = client.create_dataset("d")
        with client.store.write() as conn:
            conn.execute(
                text("UPDATE datasets SET created_at = '2026-03-04 05:06:07' WHERE uuid = :u"),
                {"u": str(dataset.uuid)},
            )
        (again,) = [d for d in client.list_datasets() if d.uuid == dataset.uuid]
    assert again.created_at == datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_sqlite_connections_keep_a_page_cache_of_16_mib(tmp_path: Path) -> None:
    client = annotask.Client(f"sqlite:///{tmp_path / 'cache.db'}", user="alice")
    with client, client.store.read() as conn:
        size = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    assert size == -16_384  # negative: KiB rather than pages


def test_creating_a_project_raises_the_page_cache_for_its_inserts_and_puts_it_back(
    tmp_path: Path, images: list[Path]
) -> None:
    from sqlalchemy import event  # noqa: PLC0415

    from annotask.store import bulk_tasks  # noqa: PLC0415

    client = annotask.Client(f"sqlite:///{tmp_path / 'bulk.db'}", user="alice")
    try:
        dataset = client.create_dataset("items")
        dataset.add_items(images)
        sizes: list[str] = []

        def watch(*args: Any) -> None:
            if "cache_size" in args[2]:
                sizes.append(args[2])

        event.listen(client.store.engine, "before_cursor_execute", watch)
        workflow = {"stages": [{"name": "Done", "type": "complete"}]}
        client.create_project("p", datasets=[dataset], ontology={}, workflow=workflow)
        event.remove(client.store.engine, "before_cursor_execute", watch)
        assert f"PRAGMA cache_size = -{bulk_tasks.BULK_CACHE_KIB}" in sizes
        with client.store.read() as conn:
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -16 * 1024
    finally:
        client.close()
