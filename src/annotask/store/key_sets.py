"""A set of keys bound as one parameter, for statements that name a batch of rows.

An ``IN (…)`` list with a parameter per key makes SQLAlchemy render, and SQLite prepare, a
statement per batch size, and costs a bound name per key. On SQLite the keys go in as one
JSON array instead (``IN (SELECT value FROM json_each(:keys))``); PostgreSQL keeps the
expanding ``IN``, which its driver binds as one array-like list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, bindparam, func, select

__all__ = ["in_keys", "json_text", "keys_value"]


def in_keys(column: ColumnElement[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """``column`` is one of the keys bound as ``name`` (with :func:`keys_value`), on the
    database ``dialect`` names."""
    if dialect == "sqlite":
        given = func.json_each(bindparam(name)).table_valued("value")
        return column.in_(select(given.c.value).scalar_subquery())
    return column.in_(bindparam(name, expanding=True))


def json_text(value: Any) -> str:
    """``value`` as compact JSON text (msgspec: a batch's keys in a tenth of ``json``'s
    time)."""
    return msgspec.json.encode(value).decode()


def keys_value(dialect: str, keys: Sequence[str]) -> Any:
    """``keys`` as :func:`in_keys` binds them on the database ``dialect`` names."""
    return json_text(list(keys)) if dialect == "sqlite" else list(keys)
