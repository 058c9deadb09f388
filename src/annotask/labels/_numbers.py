"""Numbers as label files write them: rounded, whole values as ints."""

from __future__ import annotations

__all__ = ["clean"]


def clean(value: float, digits: int = 4) -> float | int:
    """``value`` rounded to ``digits`` decimals, an int when whole (no 31.000000000000004)."""
    rounded = round(value, digits)
    return int(rounded) if rounded.is_integer() else rounded
