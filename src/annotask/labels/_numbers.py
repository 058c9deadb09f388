"""Numbers in labels: read from hostile documents, and written as label files write them."""

from __future__ import annotations

import math
from numbers import Real

__all__ = ["as_real", "clean", "shown"]

_SHOWN_CHARS = 60


def as_real(value: object) -> float | None:
    """``value`` as a float when it is a real number a float can hold; else None (a bool,
    a string, or an integer too large for a float, which ``float()`` would raise on)."""
    if type(value) is float:
        return value
    if not isinstance(value, Real) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def shown(value: object) -> str:
    """``repr(value)`` for an error message, cut short: a document may hold a number of
    thousands of digits (whose repr Python refuses past 4300) or a megabyte string."""
    if isinstance(value, int) and value.bit_length() > 4 * _SHOWN_CHARS:
        return f"an integer of about {round(value.bit_length() * math.log10(2))} digits"
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else f"{text[: _SHOWN_CHARS - 1]}…"


def clean(value: float, digits: int = 4) -> float | int:
    """``value`` rounded to ``digits`` decimals, an int when whole (no 31.000000000000004)."""
    rounded = round(value, digits)
    return int(rounded) if rounded.is_integer() else rounded
