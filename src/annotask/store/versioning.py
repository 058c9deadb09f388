"""Schema migrations: applied when a store opens, refused when the database is newer than us."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from annotask.errors import StoreError
from annotask.store.engine import Store, describe_url

__all__ = ["head_revision", "migrate", "open_store"]

log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant: serialises concurrent migrators on PostgreSQL for the length of a transaction.
_PG_MIGRATION_LOCK = 0x616E6E6F


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest schema revision this version of annotask knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise StoreError("annotask ships no schema migrations; the installation is broken")
    return head


def _check_not_newer(current: tuple[str, ...], script: ScriptDirectory, url: str) -> None:
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = [rev for rev in current if rev not in known]
    if unknown:
        raise StoreError(
            f"database {describe_url(url)} was created by a newer version of annotask "
            f"(schema revision {', '.join(unknown)}); upgrade annotask to open it "
            "- nothing was changed"
        )


def _upgrade(conn: Connection, store: Store) -> None:
    cfg = _config()
    script = ScriptDirectory.from_config(cfg)
    if store.dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    current = tuple(MigrationContext.configure(conn).get_current_heads())
    _check_not_newer(current, script, store.url)
    if set(current) == set(script.get_heads()):
        return
    log.info("migrating %s from %s to %s", store, current or "empty", script.get_heads())
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def migrate(store: Store) -> None:
    """Bring the store's schema to this version's head, or refuse if the database is newer."""
    try:
        with store.write() as conn:
            _upgrade(conn, store)
    except DBAPIError as exc:
        raise StoreError(
            f"cannot open database {describe_url(store.url)}: {str(exc.orig).strip()}"
        ) from exc


def open_store(url: str, *, upgrade: bool = True) -> Store:
    """Open the store at ``url``, applying migrations unless ``upgrade`` is false."""
    store = Store(url)
    try:
        if upgrade:
            migrate(store)
    except BaseException:
        store.close()
        raise
    return store
