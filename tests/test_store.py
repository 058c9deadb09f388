"""The store: opening, migrating, refusing what it cannot open, and the schema itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

import annotask
from annotask import StoreError
from annotask.store import head_revision, open_store
from annotask.store.schema import metadata


def test_opening_a_new_store_applies_every_migration(store_url: str) -> None:
    store = open_store(store_url)
    try:
        with store.read() as conn:
            assert MigrationContext.configure(conn).get_current_heads() == (head_revision(),)
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        store.close()


def test_sqlite_store_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        with store.read() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.close()


def test_a_database_from_a_newer_annotask_is_refused_and_left_alone(store_url: str) -> None:
    store = open_store(store_url)
    with store.write() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    store.close()
    with pytest.raises(StoreError, match="newer version of annotask"):
        annotask.Client(store_url)
    store = open_store(store_url, upgrade=False)
    try:
        with store.read() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                "9999_future"
            )
    finally:
        store.close()


def test_a_url_that_cannot_be_opened_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open database"):
        annotask.Client(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")


def test_a_malformed_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot parse database URL"):
        annotask.Client("not a url at all")


def test_an_unknown_driver_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="no driver"):
        annotask.Client("nosuchdb://host/db")


def test_the_database_url_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("ANNOTASK_DATABASE_URL", url)
    with annotask.Client(user="u") as client:
        assert client.url == url
    assert (tmp_path / "env.db").exists()


def test_the_default_store_is_annotask_db_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANNOTASK_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    with annotask.Client(user="u"):
        pass
    assert (tmp_path / "annotask.db").exists()


def test_only_unreachable_databases_count_as_connection_errors(tmp_path: Path) -> None:
    from sqlalchemy import text  # noqa: PLC0415

    from annotask.store import Store, is_connection_error  # noqa: PLC0415

    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    for statement in ("SELECT * FROM no_such_table", "SELEC 1"):
        with pytest.raises(Exception) as info, store.read() as conn:
            conn.execute(text(statement))
        assert not is_connection_error(info.value)
    refused = Store("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(annotask.StoreError) as info, refused.read():
        pass
    assert is_connection_error(info.value)


def test_a_project_is_created_from_its_items_a_page_at_a_time(
    client: annotask.Client, images: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotask.store import catalog  # noqa: PLC0415
    from annotask.store import tasks as task_store  # noqa: PLC0415

    read: list[int] = []
    paged = catalog.iter_storage_item_uuids

    def small_pages(conn: Any, dataset_uuids: Any, page: int = 10_000) -> Iterator[str]:
        for count, uuid in enumerate(paged(conn, dataset_uuids, page=2), start=1):
            read.append(count)
            yield uuid

    monkeypatch.setattr(catalog, "iter_storage_item_uuids", small_pages)
    monkeypatch.setattr(task_store, "_INSERT_CHUNK", 2)
    dataset = client.create_dataset("paged")
    dataset.add_items(images)
    workflow = {"stages": [{"name": "Done", "type": "complete"}]}
    project = client.create_project("paged", datasets=[dataset], ontology={}, workflow=workflow)
    assert len(read) == len(images) > 2
    titles = sorted(t.data_title for t in project.list_tasks())
    assert titles == sorted(p.name for p in images)
    assert len({r.data_hash for r in project.list_label_rows()}) == len(images)
