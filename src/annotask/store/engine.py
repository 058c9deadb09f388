"""Opening a store: URL resolution, engine set-up per backend, and the write/read transactions."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)

from annotask.errors import StoreError
from annotask.store.transient import is_transient

__all__ = [
    "DATABASE_URL_ENV",
    "Store",
    "default_url",
    "describe_url",
    "is_connection_error",
    "is_data_error",
    "locate_url",
    "missing_store",
]

log = logging.getLogger(__name__)

DATABASE_URL_ENV = "ANNOTASK_DATABASE_URL"
_SQLITE_BUSY_TIMEOUT_MS = 30_000
_SQLITE_CACHE_KIB = 16_384
"""The page cache of each SQLite connection, at most (filled only as pages are read)."""
_SQLITE_CHECKPOINT_PAGES = 4_096
"""Pages the write-ahead log may hold before a commit copies them into the database file
(SQLite's default is 1,000): a runner's batch dirties a few hundred pages, and each copy
costs two fsyncs, so checkpointing every few batches instead of every one or two took a
20,000-task no-op run's commit time from about 1.9 s to 0.6 s on a busy disk. Pages a later
batch changes again are copied once."""
_WRITE = "annotask_write"
_PING_IDLE_S = 2.0
"""A pooled PostgreSQL connection idle longer than this is pinged before use. One used more
recently is not: a lost server shows up as a disconnect error on the next statement, which
SQLAlchemy turns into invalidating the whole pool (and callers retry transient errors)."""


def default_url() -> str:
    """The store URL used when none is given: ``$ANNOTASK_DATABASE_URL`` or ``./annotask.db``."""
    return os.environ.get(DATABASE_URL_ENV) or "sqlite:///annotask.db"


def describe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def locate_url(url: str) -> str:
    """A store URL for messages: password hidden, an SQLite file's absolute path spelled out."""
    shown = describe_url(url)
    prefix = "sqlite:///"
    path = url.removeprefix(prefix) if url.startswith(prefix) else ""
    if path and path != ":memory:":
        return f"{shown} (file {Path(path).expanduser().resolve()})"
    return shown


def missing_store(url: str) -> StoreError:
    """The error for a command that reads a store that is not there: where it looked, and
    how to make one or point elsewhere."""
    return StoreError(
        f"no annotask store at {locate_url(url)}; create one there with `annotask init`, "
        "or point --db (or $ANNOTASK_DATABASE_URL) at an existing one"
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to the "begin" hook below instead of pysqlite's own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            # A runner's batch touches tasks, items, label rows, events and versions: more
            # pages than SQLite's default 2 MB cache holds once a project has a few thousand
            # tasks; pages beyond the cache are read again from the file on every batch.
            cursor.execute(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {_SQLITE_CHECKPOINT_PAGES}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the lock up front: a deferred transaction that upgrades to a write
        # lock later can fail with SQLITE_BUSY without waiting for the busy timeout.
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["annotask_idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("annotask_idle_since")
        if idle_since is None or time.monotonic() - idle_since < _PING_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # the pool replaces the connection and tries again (SQLAlchemy's own protocol)
            raise DisconnectionError(f"pooled connection lost: {exc}") from exc


class Store:
    """An open database: an engine plus write and read transactions.

    ``write()`` yields a connection inside a transaction that commits when the block ends and
    rolls back when it raises; on SQLite it holds the write lock from the start. ``read()``
    yields a connection in a read transaction.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            sa_url = make_url(url)
        except ArgumentError as exc:
            raise StoreError(
                f"cannot parse database URL {url!r}: use sqlite:///path/to/file.db or "
                "postgresql+psycopg://user@host:5432/dbname"
            ) from exc
        kwargs: dict[str, Any] = {"json_deserializer": _json_loads}
        if sa_url.get_backend_name() == "postgresql":
            kwargs.update(pool_size=5, max_overflow=5)
        try:
            self.engine = create_engine(sa_url, **kwargs)
        except (NoSuchModuleError, ImportError) as exc:
            hint = (
                "install the PostgreSQL extra: pip install 'annotask[postgres]'"
                if sa_url.get_backend_name() == "postgresql"
                else "use sqlite:/// or postgresql+psycopg:// URLs"
            )
            raise StoreError(f"no driver for database URL {describe_url(url)}: {hint}") from exc
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)
        elif self.dialect == "postgresql":
            _configure_postgresql(self.engine)

    @property
    def is_sqlite(self) -> bool:
        """True when the store is an SQLite file."""
        return self.dialect == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection in a write transaction, committed at the end of the block.

        A store that cannot be written (a read-only file, a full disk) is a
        :class:`StoreError` naming it and the fix; the transaction is rolled back.
        """
        try:
            with self._connect({_WRITE: True}) as conn, conn.begin():
                yield conn
        except OperationalError as exc:
            fault = self._fault(exc)
            if fault is None:
                raise
            raise fault from exc

    @contextmanager
    def single_statement(self) -> Iterator[Connection]:
        """A connection for a write whose PostgreSQL form is one statement: there it runs
        in autocommit (a statement is its own transaction; no BEGIN and COMMIT round trips),
        so a caller must issue exactly one statement on PostgreSQL. On SQLite it is
        :meth:`write`, where the same unit may take several statements."""
        if self.dialect != "postgresql":
            with self.write() as conn:
                yield conn
            return
        try:
            with self._connect({_WRITE: True, "isolation_level": "AUTOCOMMIT"}) as conn:
                yield conn
                conn.commit()
        except OperationalError as exc:
            fault = self._fault(exc)
            if fault is None:
                raise
            raise fault from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in a read transaction."""
        try:
            with self._connect({}) as conn, conn.begin():
                yield conn
        except OperationalError as exc:
            fault = self._fault(exc)
            if fault is None:
                raise
            raise fault from exc

    def _fault(self, exc: OperationalError) -> StoreError | None:
        """A one-line StoreError for a store that cannot be written, or None."""
        message = str(exc.orig).lower()
        sqlstate = str(getattr(exc.orig, "sqlstate", "") or "")
        where = describe_url(self.url)
        if "readonly" in message or "read-only" in message or sqlstate == "25006":
            return StoreError(
                f"the store {where} is read-only: make the file and its folder writable "
                "(chmod u+w), or open a writable copy; nothing was changed"
            )
        if "disk is full" in message or "no space left" in message or sqlstate == "53100":
            return StoreError(
                f"the disk holding the store {where} is full: free some space and run again; "
                "the store is consistent (the failed change was rolled back)"
            )
        if "disk i/o error" in message:
            return StoreError(
                f"the store {where} cannot be written (disk I/O error): check the disk and "
                "the file's size limit, then run again; the failed change was rolled back"
            )
        return None

    @contextmanager
    def _connect(self, options: dict[str, Any]) -> Iterator[Connection]:
        try:
            conn = self.engine.connect().execution_options(**options)
        except DBAPIError as exc:
            hint = ""
            if self.is_sqlite and "unable to open" in str(exc.orig).lower():
                hint = (
                    "; the file's folder must exist and be writable (SQLite keeps -wal and "
                    "-shm files beside it)"
                )
            raise StoreError(
                f"cannot open database {describe_url(self.url)}: {_first_line(exc)}{hint}"
            ) from exc
        with conn:
            yield conn

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({describe_url(self.url)!r})"


def _json_loads(text: str | bytes) -> Any:
    """JSON columns as ``json.loads`` reads them, decoded by msgspec (several times faster);
    what msgspec refuses and ``json`` accepts (NaN, lone surrogates) goes to ``json``."""
    try:
        return msgspec.json.decode(text)
    except msgspec.MsgspecError:
        return json.loads(text)


def is_connection_error(exc: BaseException) -> bool:
    """Whether ``exc`` is worth retrying after a pause: the same classification as
    :func:`annotask.store.transient.is_transient` (this is its older name)."""
    return is_transient(exc)


def is_data_error(exc: BaseException) -> bool:
    """Whether ``exc`` means the database refused the data of one statement (a value out
    of range, a bad encoding, a broken constraint, a value the driver cannot bind), rather
    than the connection or the disk: retrying without the offending data can succeed."""
    if isinstance(exc, DataError | IntegrityError):
        return True
    # raised while binding parameters (e.g. serialising JSON), before reaching the database:
    # wrapped by SQLAlchemy, or straight from the driver (psycopg's executemany)
    if isinstance(exc, StatementError):
        return not isinstance(exc, DBAPIError)
    return isinstance(exc, TypeError | ValueError)


def _first_line(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__
