"""Numbers in labels: read from hostile documents, and written as label files write them."""

from __future__ import annotations

from numbers import Real

__all__ = ["as_real", "clean"]


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


def clean(value: float, digits: int = 4) -> float | int:
    """``value`` rounded to ``digits`` decimals, an int when whole (no 31.000000000000004)."""
    rounded = round(value, digits)
    return int(rounded) if rounded.is_integer() else rounded
