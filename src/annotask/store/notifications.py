"""Waking runners when tasks enter their stages: PostgreSQL LISTEN/NOTIFY.

Writes that put tasks into a stage (new items, moves, cleared failures) send
``NOTIFY annotask_tasks, '<stage uuid>'`` in their transaction, so the notice goes out when it
commits. A :class:`TaskListener` holds its own connection, listens, and lets a polling runner
sleep until its next poll or until one of its stages gets work, whichever comes first.
SQLite has no notifications: the listener there just sleeps.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Connection, text

from annotask.store.engine import Store

__all__ = ["CHANNEL", "TaskListener", "notify_stages"]

logger = logging.getLogger(__name__)

CHANNEL = "annotask_tasks"


def notify_stages(conn: Connection, stage_uuids: Iterable[str]) -> None:
    """Tell listeners (after commit) that tasks entered these stages; no-op on SQLite."""
    if conn.dialect.name != "postgresql":
        return
    for stage_uuid in sorted(set(stage_uuids)):
        conn.execute(
            text("SELECT pg_notify(:channel, :stage)"), {"channel": CHANNEL, "stage": stage_uuid}
        )


class TaskListener:
    """Waits for tasks to enter any of ``stage_uuids`` (PostgreSQL), or just for time to pass.

    ``stop_event`` ends a wait early when set.
    """

    def __init__(
        self, store: Store, stage_uuids: Collection[str], stop_event: threading.Event
    ) -> None:
        self._store = store
        self._stages = {str(s) for s in stage_uuids}
        self._stop = stop_event
        self._raw: Any = None
        if store.dialect == "postgresql":
            self._listen()

    def _listen(self) -> None:
        try:
            raw = self._store.engine.raw_connection()
            driver: Any = raw.driver_connection
            driver.autocommit = True
            driver.execute(f"LISTEN {CHANNEL}")
            self._raw = raw
        except Exception as exc:  # a listener is an optimisation; polling still works
            logger.warning("cannot listen for new tasks (%s); polling only", exc)
            self._raw = None

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if woken early by new tasks in a watched stage."""
        deadline = time.monotonic() + max(0.0, seconds)
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self._raw is None:
                self._stop.wait(min(left, 0.5))
                continue
            if self._poll(min(left, 0.5)):
                return True
        return False

    def _poll(self, seconds: float) -> bool:
        driver: Any = self._raw.driver_connection
        try:
            for notice in driver.notifies(timeout=seconds, stop_after=1):
                if notice.payload in self._stages:
                    return True
        except Exception as exc:  # the connection died (server restart): re-listen
            logger.warning("lost the notification connection (%s); listening again", exc)
            self.close()
            time.sleep(min(seconds, 1.0))
            self._listen()
        return False

    def close(self) -> None:
        """Close the listening connection."""
        raw, self._raw = self._raw, None
        if raw is not None:
            try:
                raw.invalidate()
            except Exception:  # closing a dead connection may fail
                logger.debug("closing the notification connection failed", exc_info=True)
