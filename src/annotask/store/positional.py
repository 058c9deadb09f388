"""Core statements as SQL text with positional parameters, for ``executemany`` on SQLite.

A batch that writes hundreds of rows with one statement spends more time in SQLAlchemy's
per-row parameter handling than in SQLite. The hot paths compile such a statement once per
kind of database, bind values already processed (:func:`bind_processor`) and hand the rows
to the driver as tuples (``Connection.exec_driver_sql``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Executable

__all__ = ["bind_processor", "positional_sql"]

# by the dialect's name, not the dialect: engines come and go, the text stays the same
_texts: dict[tuple[Executable, str, tuple[str, ...]], str] = {}
_processors: dict[tuple[Column[Any], str], Callable[[Any], Any]] = {}


def positional_sql(statement: Executable, dialect: Dialect, order: tuple[str, ...]) -> str:
    """``statement`` compiled for ``dialect``, whose bound parameters must come in ``order``
    (raises :class:`AssertionError` otherwise: the rows would bind the wrong columns)."""
    key = (statement, dialect.name, order)
    text = _texts.get(key)
    if text is None:
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        if tuple(compiled.positiontup or ()) != order:
            raise AssertionError(f"expected parameters {order}, got {compiled.positiontup}")
        text = _texts[key] = str(compiled.string)
    return text


def bind_processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What SQLAlchemy would do to a value bound for ``column`` on ``dialect`` (a timestamp
    becomes the text SQLite stores)."""
    key = (column, dialect.name)
    process = _processors.get(key)
    if process is None:
        found = column.type.dialect_impl(dialect).bind_processor(dialect)
        process = _processors[key] = found if found is not None else _same
    return process


def _same(value: Any) -> Any:
    return value
