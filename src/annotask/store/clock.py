"""Wall-clock time as the store records it: aware UTC datetimes and epoch seconds for leases."""

from __future__ import annotations

import time
from datetime import UTC, datetime

__all__ = ["epoch", "utcnow"]


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def epoch() -> float:
    """The current time in seconds since the epoch (lease expiries and backoffs use these)."""
    return time.time()
