"""Steering SQLite's planner off an index that does not narrow a statement.

Without statistics, SQLite guesses that an equality on an indexed column picks a few rows,
so ``WHERE uuid IN (…300 uuids…) AND stage_uuid = ?`` walks every task of the stage through
the claim-order index instead of looking the 300 up by primary key: the cost of each batch
grows with the stage. A unary ``+`` keeps a column out of index selection on SQLite
(PostgreSQL plans from statistics, and has no ``+`` for text, so it gets the bare column).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

__all__ = ["unindexed"]


class unindexed(FunctionElement[str]):
    """A string column, compared without letting SQLite pick an index on it."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[str]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _bare(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    return compiler.process(column, **kw)


@compiles(unindexed, "sqlite")
def _plus(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    return f"+{compiler.process(column, **kw)}"
