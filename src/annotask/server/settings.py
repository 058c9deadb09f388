"""What one server process is configured with."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ServerSettings"]


def _cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "annotask-server-cache"


@dataclass(frozen=True)
class ServerSettings:
    """Limits and places of one server process (every field has a safe default)."""

    url: str | None = None
    """The store URL; None means ``$ANNOTASK_DATABASE_URL`` or ``./annotask.db``."""
    max_body_bytes: int = 64 * 1024 * 1024
    """Request bodies larger than this are refused (413) before they are read."""
    secure_cookies: bool = False
    """Mark the session cookie ``Secure`` (set it when the server is behind HTTPS)."""
    login_attempts: int = 5
    """Failed logins allowed per user and address within ``login_window_s``."""
    login_window_s: float = 300.0
    cache_dir: Path = field(default_factory=_cache_dir)
    """Where thumbnails are cached."""
    thumbnail_max: int = 512
    """The largest thumbnail edge, in pixels."""
    event_poll_s: float = 1.0
    """How often the event stream looks for new events when nothing wakes it."""
