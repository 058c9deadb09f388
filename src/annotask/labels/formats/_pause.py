"""Bulk reads and writes with Python's cycle collector paused.

An import or export makes hundreds of thousands of small objects (dicts, strings, entries)
that form no reference cycles; with many label rows alive, each automatic collection scans
them all, again and again (a third of an import's time in ``bench/interop.py``). Reference
counting still frees everything; the collector runs again when the call ends.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = ["collector_paused"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def collector_paused(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """``function`` run with automatic garbage collection off (restored as it was after)."""

    @functools.wraps(function)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return paused
