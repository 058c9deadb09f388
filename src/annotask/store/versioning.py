"""Schema migrations: applied when a store opens, refused when the database is newer than us."""

from __future__ import annotations

import ast
import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from annotask.errors import StoreError
from annotask.store.engine import Store, describe_url

if TYPE_CHECKING:  # Alembic loads in ~0.5 s: only when a schema must change or be checked
    from alembic.config import Config
    from alembic.script import ScriptDirectory

__all__ = ["head_revision", "migrate", "open_store", "store_exists"]

log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant: serialises concurrent migrators on PostgreSQL for the length of a transaction.
_PG_MIGRATION_LOCK = 0x616E6E6F


def _config() -> Config:
    from alembic.config import Config  # noqa: PLC0415 - see the import note above

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest schema revision this version of annotask knows."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - see the import note above

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
    from alembic import command  # noqa: PLC0415 - see the import note above
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415
    from alembic.script import ScriptDirectory  # noqa: PLC0415

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


_REVISION_LINE = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.M)


@cache
def _shipped_heads() -> frozenset[str] | None:
    """The head revisions of the shipped migration files, read without Alembic; None when a
    file does not state its revisions as plain literals (Alembic then decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (_MIGRATIONS / "versions").glob("*.py"):
        if path.name.startswith("_"):
            continue
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else (down or ()))
    return frozenset(revisions - parents) or None


def _up_to_date(store: Store) -> bool:
    """Whether the database is exactly at the shipped head (the common case: one query, no
    Alembic, no write lock)."""
    heads = _shipped_heads()
    if heads is None:
        return False
    with store.read() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return frozenset(current) == heads


def store_exists(url: str) -> bool:
    """Whether ``url`` holds an annotask store already; looks without creating anything (an
    SQLite file that is not there stays not there)."""
    try:
        sa_url = make_url(url)
    except ArgumentError:
        return False
    if sa_url.get_backend_name() == "sqlite":
        path = sa_url.database or ""
        if path in ("", ":memory:") or path.startswith("file:"):
            return False
        return Path(path).expanduser().is_file()
    store = Store(url)
    try:
        with store.read() as conn:
            return bool(inspect(conn).has_table("alembic_version"))
    finally:
        store.close()


def migrate(store: Store) -> None:
    """Bring the store's schema to this version's head, or refuse if the database is newer."""
    try:
        if _up_to_date(store):
            return
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
