"""One classification of transient store errors, met for real: each kind is provoked on a
real SQLite file or the real PostgreSQL server, and classified as the runners' reconnect loop
and the Celery integration's retries see it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError

import annotask
from annotask.store import Store, Transient, transient_kind


def _raised(action: Callable[[], Any]) -> BaseException:
    try:
        action()
    except Exception as exc:
        return exc
    raise AssertionError("expected an error")


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Store]:
    store = Store(postgres_url)
    with store.write() as conn:
        conn.execute(text("CREATE TABLE counters (id int PRIMARY KEY, n int)"))
        conn.execute(text("INSERT INTO counters VALUES (1, 0), (2, 0)"))
    yield store
    store.close()


def _run(store: Store, statements: list[str]) -> None:
    with store.engine.connect() as conn, conn.begin():
        for statement in statements:
            conn.execute(text(statement))


def test_a_refused_connection_is_connection_lost() -> None:
    def open_refused() -> None:
        with Store("postgresql+psycopg://nobody@127.0.0.1:1/none").read():
            pass

    error = _raised(open_refused)
    assert isinstance(error, annotask.StoreError)
    assert transient_kind(error) is Transient.CONNECTION_LOST


def test_a_backend_terminated_by_the_server_is_server_restarting(pg: Store) -> None:
    with pg.engine.connect() as victim:
        pid = victim.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with pg.engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        error = _raised(lambda: victim.execute(text("SELECT 1")))
    assert transient_kind(error) is Transient.SERVER_RESTARTING


def test_a_serialization_failure_is_classified(pg: Store) -> None:
    with pg.engine.connect().execution_options(isolation_level="REPEATABLE READ") as first:
        first.begin()
        first.execute(text("SELECT n FROM counters WHERE id = 1")).scalar_one()
        _run(pg, ["UPDATE counters SET n = n + 1 WHERE id = 1"])
        error = _raised(lambda: first.execute(text("UPDATE counters SET n = 5 WHERE id = 1")))
        first.rollback()
    assert transient_kind(error) is Transient.SERIALIZATION_FAILURE


def test_a_deadlock_is_classified(pg: Store) -> None:
    errors: list[BaseException] = []
    locked = threading.Barrier(2, timeout=10)

    def lock(first: int, second: int) -> None:
        try:
            with pg.engine.connect() as conn, conn.begin():
                conn.execute(text("UPDATE counters SET n = n + 1 WHERE id = :i"), {"i": first})
                locked.wait()
                conn.execute(text("UPDATE counters SET n = n + 1 WHERE id = :i"), {"i": second})
        except DBAPIError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=lock, args=order) for order in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(errors) == 1
    assert transient_kind(errors[0]) is Transient.DEADLOCK


def test_a_locked_sqlite_file_is_busy(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path)
    holder.execute("CREATE TABLE t (x int)")
    holder.execute("BEGIN EXCLUSIVE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.1})

    def insert() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))

    try:
        error = _raised(insert)
    finally:
        engine.dispose()
        holder.rollback()
        holder.close()
    assert transient_kind(error) is Transient.BUSY


@pytest.mark.parametrize(
    "statement",
    ["SELECT * FROM no_such_table", "SELEC 1", "INSERT INTO counters VALUES (1, 0)"],
)
def test_statement_errors_are_not_transient(pg: Store, statement: str) -> None:
    def run(conn: Connection) -> None:
        conn.execute(text(statement))

    def in_transaction() -> None:
        with pg.write() as conn:
            run(conn)

    assert transient_kind(_raised(in_transaction)) is None


def test_a_database_that_does_not_exist_is_not_transient(postgres_url: str) -> None:
    missing = postgres_url.split("?", maxsplit=1)[0].rsplit("/", 1)[0] + "/no_such_database_here"

    def open_missing() -> None:
        with Store(missing).read():
            pass

    assert transient_kind(_raised(open_missing)) is None


def test_errors_of_the_agent_or_the_input_are_not_transient() -> None:
    for error in (RuntimeError("bug"), annotask.ValidationError("x"), FileNotFoundError("f")):
        assert transient_kind(error) is None
