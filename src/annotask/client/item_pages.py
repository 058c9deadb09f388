"""A compact, list-like view of many storage items, loaded a page at a time on access."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from typing import overload
from uuid import UUID

from annotask.client.storage import StorageItem

__all__ = ["PAGE_SIZE", "StorageItems"]

PAGE_SIZE = 1_000
"""How many items one access loads (one query)."""

_WIDTH = 16  # bytes of one UUID

PageLoader = Callable[[list[str]], list[StorageItem]]
"""Loads the storage items of some data hashes, in that order."""


class StorageItems(Sequence[StorageItem]):
    """Storage items by data hash, what :meth:`Dataset.add_items` returns.

    Behaves as a read-only list — ``len()``, indexing, slicing, iteration, unpacking — but
    holds only 16 bytes per item (its UUID); items are read from the store a page
    (:data:`PAGE_SIZE`) at a time when accessed, and only the last page read is kept. So a
    million registered items cost 16 MB, not a million objects. ``list(items)`` makes a
    real list where one is wanted.
    """

    __slots__ = ("_load", "_page", "_page_number", "_uuids")

    def __init__(self, uuids: bytes, load: PageLoader) -> None:
        if len(uuids) % _WIDTH:
            raise ValueError("uuids must be whole 16-byte UUIDs")
        self._uuids = bytes(uuids)
        self._load = load
        self._page: list[StorageItem] = []
        self._page_number = -1

    def __len__(self) -> int:
        return len(self._uuids) // _WIDTH

    def data_hashes(self) -> Iterator[str]:
        """The items' data hashes, in order, without reading the store."""
        for start in range(0, len(self._uuids), _WIDTH):
            yield str(UUID(bytes=self._uuids[start : start + _WIDTH]))

    @overload
    def __getitem__(self, index: int) -> StorageItem: ...
    @overload
    def __getitem__(self, index: slice) -> StorageItems: ...
    def __getitem__(self, index: int | slice) -> StorageItem | StorageItems:
        if isinstance(index, slice):
            return StorageItems(self._sliced(index), self._load)
        position = operator.index(index)
        count = len(self)
        if position < 0:
            position += count
        if not 0 <= position < count:
            raise IndexError(f"item index {index} out of range for {count} item(s)")
        return self._page_at(position // PAGE_SIZE)[position % PAGE_SIZE]

    def __iter__(self) -> Iterator[StorageItem]:
        for number in range(-(-len(self) // PAGE_SIZE)):
            yield from self._page_at(number)

    def __repr__(self) -> str:
        return f"StorageItems({len(self)} item(s))"

    def _sliced(self, index: slice) -> bytes:
        start, stop, step = index.indices(len(self))
        if step == 1:
            return self._uuids[start * _WIDTH : max(start, stop) * _WIDTH]
        return b"".join(
            self._uuids[i * _WIDTH : (i + 1) * _WIDTH] for i in range(start, stop, step)
        )

    def _page_at(self, number: int) -> list[StorageItem]:
        if number != self._page_number:
            start = number * PAGE_SIZE * _WIDTH
            chunk = self._uuids[start : start + PAGE_SIZE * _WIDTH]
            hashes = [str(UUID(bytes=chunk[i : i + _WIDTH])) for i in range(0, len(chunk), _WIDTH)]
            self._page = self._load(hashes)
            self._page_number = number
        return self._page
