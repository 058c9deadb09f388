"""Keeping the objects that exist before a stage pass out of the collector's full sweeps.

A pass makes and drops a few objects per task, batch after batch; enough of them outlive a
young collection to trigger full collections, and a full collection walks every object of
the process (a runner's imports alone leave some 90,000). Frozen objects
(:func:`gc.freeze`) are skipped by every collection, so during a pass a full collection
walks only what the pass made. Cycles among the frozen objects wait until the pass ends.

A process that froze objects of its own (a server that freezes its heap before it forks
workers) is left as it is: its passes neither freeze nor thaw anything.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["heap_frozen"]

_lock = threading.Lock()
_depth = 0
_ours = False
"""Whether the passes open now froze the heap (and the last to end thaws it)."""


@contextmanager
def heap_frozen() -> Iterator[None]:
    """Freeze the heap for the block (:func:`gc.freeze`); thaw it when the last of the
    blocks open in the process (passes in other threads included) ends."""
    global _depth, _ours  # noqa: PLW0603 - one count for the process, as gc's state is
    with _lock:
        if _depth == 0:
            _ours = gc.get_freeze_count() == 0
        _depth += 1
        if _ours:
            gc.freeze()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _ours:
                gc.unfreeze()
