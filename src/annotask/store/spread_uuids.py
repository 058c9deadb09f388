"""Random UUIDs for rows made in bulk (one ``INSERT … SELECT``, one registration), ascending.

An index keyed by random UUIDs takes each new row at a random place; once it outgrows the
page cache (a million tasks do), nearly every row reads a page back and the cache writes
out dirty pages it will need again. Rows whose keys ascend in the order they are inserted
sweep each such index once, front to back, instead.

Row ``k`` of ``n`` gets a version-4 UUID whose leading 32 bits lie at random in the first
half of the ``k``-th of ``n`` equal slices of their range, and whose other 90 bits are
random. So the keys ascend strictly in insertion order, yet are spread over the whole range
like random ones: their leading digits still tell a project's tasks apart (short ids, as in
git), which time-ordered keys (version 7, sharing their leading digits) would not.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Float,
    Integer,
    String,
    cast,
    func,
    literal,
    literal_column,
)
from sqlalchemy.sql.elements import UnaryExpression

__all__ = ["ascending_uuid_column", "ascending_uuids"]

_SLICE_TOP = 1 << 32  # the leading 32 bits (8 hex digits, a short id) are the ones that ascend
_LOW_96 = (1 << 96) - 1


def ascending_uuid_column(
    conn: Connection, count: int, *order: UnaryExpression[Any] | ColumnElement[Any]
) -> ColumnElement[str]:
    """A version-4 UUID per row of an ``INSERT … SELECT`` of ``count`` rows, as text,
    ascending in ``order`` (the statement's ``ORDER BY``; strictly, up to 2**31 rows; rows
    past ``count``, which another transaction added meanwhile, are random, not ascending)."""
    position = func.row_number().over(order_by=order) - 1
    width = literal(_SLICE_TOP / max(count, 1), Float)
    if conn.dialect.name == "postgresql":
        floor = cast(func.floor((position + func.random() * 0.5) * width), BigInteger)
        lead = func.least(floor, _SLICE_TOP - 1)  # rows past ``count``: the last slice
        return (
            _pg_hex(lead, 8)
            + "-"
            + _pg_hex(_pg_random(16), 4)
            + "-4"
            + _pg_hex(_pg_random(12), 3)
            + "-"
            + _pg_hex(_or(_pg_random(14), 0x8000), 4)
            + "-"
            + _pg_hex(_pg_random(48), 12)
        )
    half = _and(func.random(), 0xFFFF_FFFF) / literal(2.0**33, Float)
    floor = cast((position + half) * width, Integer)  # CAST truncates: the floor here
    lead = func.min(floor, _SLICE_TOP - 1)  # rows past ``count``: the last slice
    return func.printf(
        "%08x-%04x-4%03x-%04x-%012x",
        lead,
        _and(func.random(), 0xFFFF),
        _and(func.random(), 0xFFF),
        _or(_and(func.random(), 0x3FFF), 0x8000),
        _and(func.random(), 0xFFFF_FFFF_FFFF),
        type_=String(),
    )


def ascending_uuids(first: int, count: int, total: int) -> list[uuid.UUID]:
    """Version-4 UUIDs for rows ``first`` to ``first + count - 1`` of ``total`` made in one
    go, laid out as :func:`ascending_uuid_column` lays them out (rows past ``total`` get the
    last slice: still random, no longer ascending)."""
    width = _SLICE_TOP / max(total, 1)
    randoms = os.urandom(16 * count)
    made = []
    for i in range(count):
        bits = int.from_bytes(randoms[16 * i : 16 * i + 16])
        half = (bits >> 96) / 2.0**33
        lead = min(int((first + i + half) * width), _SLICE_TOP - 1)
        made.append(uuid.UUID(int=lead << 96 | bits & _LOW_96, version=4))
    return made


def _and(value: ColumnElement[Any], mask: int) -> ColumnElement[int]:
    return value.self_group().op("&")(literal_column(str(mask))).self_group()


def _or(value: ColumnElement[Any], bits: int) -> ColumnElement[int]:
    return value.self_group().op("|")(literal_column(str(bits))).self_group()


def _pg_random(bits: int) -> ColumnElement[int]:
    return cast(func.floor(func.random() * float(1 << bits)), BigInteger)


def _pg_hex(value: ColumnElement[int], digits: int) -> ColumnElement[str]:
    return func.lpad(func.to_hex(value), digits, "0", type_=String())
