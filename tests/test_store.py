"""The store: opening, migrating, refusing what it cannot open, and the schema itself."""

from __future__ import annotations

import logging
import uuid
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


def test_a_project_is_created_in_statements_that_do_not_grow_with_its_items(
    client: annotask.Client, images: list[Path]
) -> None:
    """Tasks and label rows are made inside the database (INSERT ... SELECT), so no item's
    row passes through Python (no executemany) and the statement count is the same for 3
    items as for 300."""
    from sqlalchemy import event  # noqa: PLC0415

    workflow = {"stages": [{"name": "Done", "type": "complete"}]}
    counts: list[int] = []
    for size in (len(images), 100 * len(images)):
        dataset = client.create_dataset(f"items-{size}")
        dataset.add_items([str(images[i % len(images)]) for i in range(size)], probe=False)
        statements: list[tuple[str, bool]] = []

        def count(*args: Any, statements: list[tuple[str, bool]] = statements) -> None:
            statements.append((args[2], args[5]))  # the SQL, and whether it is executemany

        engine = client.store.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            project = client.create_project(
                f"p-{size}", datasets=[dataset], ontology={}, workflow=workflow
            )
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
        assert not any(many for _, many in statements)  # no rows sent from Python
        tasks = project.list_tasks()
        rows = {r.label_hash: str(r.data_hash) for r in project.list_label_rows()}
        assert len(tasks) == len(rows) == size
        assert {str(t.data_hash) for t in tasks} == set(rows.values())
        assert len({t.uuid for t in tasks}) == size
        assert all(t.uuid.version == 4 for t in tasks)
        assert all(uuid.UUID(str(h)).version == 4 for h in rows)
        with client.store.read() as conn:
            linked = conn.execute(
                text(
                    "SELECT count(*) FROM tasks JOIN label_rows ON label_rows.uuid = "
                    "tasks.label_hash AND label_rows.data_hash = tasks.data_hash "
                    "WHERE tasks.project_uuid = :p"
                ),
                {"p": str(project.project_hash)},
            ).scalar_one()
        assert linked == size
    assert counts[0] == counts[1]


def _pings(store: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the pings the store's pool sends before handing out a connection."""
    pings: list[int] = []
    dialect = store.engine.dialect
    real = dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        pings.append(1)
        return bool(real(dbapi_connection))

    monkeypatch.setattr(dialect, "do_ping", counting)
    return pings


def test_a_postgresql_connection_in_steady_use_is_not_pinged_an_idle_one_is(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotask.store import engine  # noqa: PLC0415 - the module, to shorten its idle limit

    store = annotask.store.Store(postgres_url)
    pings = _pings(store, monkeypatch)
    try:
        for _ in range(5):
            with store.read() as conn:
                conn.execute(text("SELECT 1"))
        assert pings == []  # each checkout follows the last use within the idle limit
        monkeypatch.setattr(engine, "_PING_IDLE_S", 0.0)
        with store.read() as conn:
            conn.execute(text("SELECT 1"))
        assert pings == [1]
    finally:
        store.close()


def test_a_pooled_postgresql_connection_that_died_while_idle_is_replaced_unseen(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotask.store import engine  # noqa: PLC0415 - the module, to shorten its idle limit

    monkeypatch.setattr(engine, "_PING_IDLE_S", 0.0)
    store, admin = annotask.store.Store(postgres_url), annotask.store.Store(postgres_url)
    try:
        with store.read() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with admin.read() as conn:  # the server ends the pooled connection meanwhile
            conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        with store.read() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        store.close()
        admin.close()


def test_a_single_statement_write_commits_without_a_transaction_around_it(
    store_url: str,
) -> None:
    store = annotask.store.Store(store_url)
    try:
        with store.write() as conn:
            conn.execute(text("CREATE TABLE singles (n int PRIMARY KEY)"))
        with store.single_statement() as conn:
            conn.execute(text("INSERT INTO singles VALUES (1), (2)"))
            if store.dialect == "postgresql":  # already committed: another session sees it
                assert conn.connection.driver_connection.autocommit  # type: ignore[union-attr]
                with store.read() as other:
                    assert other.execute(text("SELECT count(*) FROM singles")).scalar() == 2
        failing = store.single_statement()  # a failing statement changes nothing
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"), failing as conn:
            conn.execute(text("INSERT INTO singles VALUES (3), (1)"))
        with store.read() as conn:
            assert conn.execute(text("SELECT n FROM singles ORDER BY n")).scalars().all() == [1, 2]
    finally:
        store.close()


def test_creating_a_project_logs_how_many_tasks_it_made(
    client: annotask.Client, images: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    dataset = client.create_dataset("items")
    dataset.add_items([str(path) for path in images], probe=False)
    with caplog.at_level(logging.INFO, logger="annotask"):
        client.create_project(
            "p",
            datasets=[dataset],
            ontology={},
            workflow={"stages": [{"name": "Done", "type": "complete"}]},
        )
    assert f"created project 'p' with {len(images)} tasks" in caplog.text
