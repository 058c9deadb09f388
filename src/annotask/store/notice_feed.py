"""Every task notice on the store's channel, for watchers that want them all (event streams).

The same ``LISTEN annotask_tasks`` the runners wait on (see :mod:`notifications`), without
their filter by stage: a watcher gets the stage uuid of every notice. PostgreSQL only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from annotask.store.engine import Store
from annotask.store.notifications import CHANNEL

__all__ = ["watch_notices"]

logger = logging.getLogger(__name__)


def watch_notices(
    store: Store, on_notice: Callable[[str], None], stop: threading.Event, poll_s: float = 0.5
) -> None:
    """Call ``on_notice(stage_uuid)`` for each notice until ``stop`` is set (blocks).

    Returns at once on SQLite, which has no notifications. A lost connection is logged and
    opened again.
    """
    if store.dialect != "postgresql":
        return
    while not stop.is_set():
        try:
            raw = store.engine.raw_connection()
        except Exception as exc:  # the server is away: try again shortly
            logger.warning("cannot listen for task notices (%s); retrying", exc)
            stop.wait(1.0)
            continue
        try:
            driver: Any = raw.driver_connection
            driver.autocommit = True
            driver.execute(f"LISTEN {CHANNEL}")
            while not stop.is_set():
                for notice in driver.notifies(timeout=poll_s, stop_after=1):
                    on_notice(str(notice.payload))
        except Exception as exc:  # the connection died: listen again
            logger.warning("lost the task notice connection (%s); listening again", exc)
            stop.wait(0.5)
        finally:
            try:
                raw.invalidate()
            except Exception:  # closing a dead connection may fail
                logger.debug("closing the notice connection failed", exc_info=True)
