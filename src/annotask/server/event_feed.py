"""Waking event streams: on PostgreSQL one thread listens for task notices and wakes every
waiting stream at once; streams also look every few seconds (runners notify only the
stages agents work in), and on SQLite that look is all there is."""

from __future__ import annotations

import asyncio
import contextlib
import threading

from annotask.store import Store
from annotask.store.notice_feed import watch_notices

__all__ = ["EventWaker"]


class EventWaker:
    """Lets async event streams sleep until a task notice arrives or a timeout passes."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: set[asyncio.Future[None]] = set()

    async def wait(self, timeout: float) -> None:
        """Return after ``timeout`` seconds, or sooner when a task notice arrives."""
        loop = asyncio.get_running_loop()
        self._start(loop)
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.add(waiter)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, timeout)
        finally:
            self._waiters.discard(waiter)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._thread is not None or self._store.dialect != "postgresql":
            return
        self._loop = loop
        self._thread = threading.Thread(
            target=watch_notices,
            args=(self._store, self._notice, self._stop),
            name="annotask-event-waker",
            daemon=True,
        )
        self._thread.start()

    def _notice(self, _stage_uuid: str) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake_all)

    def _wake_all(self) -> None:
        for waiter in list(self._waiters):
            if not waiter.done():
                waiter.set_result(None)

    def close(self) -> None:
        """Stop listening."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
