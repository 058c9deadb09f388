"""``batch_iterator``: the seed's helper for handing work out in batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

from annotask.errors import ValidationError

__all__ = ["batch_iterator"]

T = TypeVar("T")


def batch_iterator(iterator: Iterable[T], batch_size: int) -> Iterator[list[T]]:
    """Lists of up to ``batch_size`` items of ``iterator``, in order (the last may be
    shorter); reads lazily, so it works on endless iterators too."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValidationError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    items = iter(iterator)
    while batch := list(islice(items, batch_size)):
        yield batch
