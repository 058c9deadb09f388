"""Bundles: label-row (and task) work deferred to the end of a ``with`` block, then done
together — one query to load many rows, one transaction to save them.

::

    with project.create_bundle() as bundle:
        for row in rows:
            row.initialise_labels(bundle=bundle)   # nothing loaded yet
    # here every row is initialised (one query for the rows whose labels were not prefetched)

    with project.create_bundle() as bundle:
        for row in rows:
            ...
            row.save(bundle=bundle)                # nothing saved yet
    # here every row is saved, in one transaction: all or none
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any

from annotask.errors import ValidationError

__all__ = ["Bundle"]

logger = logging.getLogger(__name__)


class Bundle:
    """Work deferred until the bundle's ``with`` block ends, then done kind by kind in
    batches (in the order each kind was first added).

    If the block raises, the deferred work is dropped, none of it done, and the error goes
    on. Use each bundle once.
    """

    def __init__(self) -> None:
        self._work: dict[str, tuple[Callable[[list[Any]], None], list[Any]]] = {}
        self._closed = False

    def add(self, kind: str, item: Any, flush: Callable[[list[Any]], None]) -> None:
        """Defer ``item``; at the end ``flush`` gets every item of its ``kind`` at once."""
        if self._closed:
            raise ValidationError("this bundle's block has ended; make a new bundle")
        self._work.setdefault(kind, (flush, []))[1].append(item)

    def __len__(self) -> int:
        return sum(len(items) for _, items in self._work.values())

    def flush(self) -> None:
        """Do the deferred work now (what the end of the ``with`` block does)."""
        work, self._work = self._work, {}
        for flush, items in work.values():
            flush(items)

    def __enter__(self) -> Bundle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closed = True
        if exc_type is not None:
            if self._work:
                logger.warning("bundle dropped %d deferred operation(s) after an error", len(self))
            self._work = {}
            return
        self.flush()
