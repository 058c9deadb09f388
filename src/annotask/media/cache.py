"""A bounded on-disk cache of remote assets, shared safely by threads and processes.

Turned on by naming a folder: ``ANNOTASK_ASSET_CACHE=/var/cache/annotask`` (size limit
``ANNOTASK_ASSET_CACHE_MB``, default 2048), or ``AssetCache(folder, max_bytes)`` passed to
:func:`annotask.media.local_asset`. A remote asset wanted by several stages, retries or
runner processes is then fetched once. Off by default: without it every task downloads its
asset into a private temporary folder and removes it afterwards.

Each cached file is ``{data_hash}{suffix}``. A download goes to a private partial file and
is renamed into place, under an exclusive lock on ``{name}.lock`` so that one process
fetches while the others wait. A file in use holds a shared ``flock``; eviction (least
recently used first, once the folder exceeds its limit) takes an exclusive lock without
waiting and skips any file it cannot lock, so it never removes a file in use. POSIX only:
where ``fcntl`` is missing the cache is not used.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from annotask.errors import ValidationError

__all__ = ["CACHE_ENV", "CACHE_MB_ENV", "AssetCache", "cache_from_environment"]

logger = logging.getLogger(__name__)

CACHE_ENV = "ANNOTASK_ASSET_CACHE"
CACHE_MB_ENV = "ANNOTASK_ASSET_CACHE_MB"

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class AssetCache:
    """Remote assets kept in ``folder`` up to about ``max_bytes`` in all."""

    def __init__(self, folder: Path | str, max_bytes: int = 2048 * 2**20) -> None:
        if max_bytes < 1:
            raise ValidationError(f"the asset cache needs a positive size, got {max_bytes}")
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.folder.mkdir(parents=True, exist_ok=True)

    @property
    def usable(self) -> bool:
        """Whether this platform has the file locks the cache needs."""
        return fcntl is not None

    @contextmanager
    def use(self, name: str, fetch: Callable[[Path], None]) -> Iterator[Path]:
        """Yield the cached file ``name``, calling ``fetch(partial_path)`` first if absent.

        The file cannot be evicted until the block ends.
        """
        target = self.folder / name
        while True:
            handle = self._open_shared(target)
            if handle is None:
                self._fill(target, fetch)
                continue
            try:
                os.utime(target)  # most recently used
                yield target
            finally:
                handle.close()  # releases the shared lock
            return

    def _open_shared(self, target: Path) -> IO[bytes] | None:
        """The file opened and share-locked, or None when it is absent (or was evicted
        between opening and locking)."""
        try:
            handle = target.open("rb")
        except FileNotFoundError:
            return None
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        try:
            same = os.fstat(handle.fileno()).st_ino == os.stat(target).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            handle.close()
            return None
        return handle

    def _fill(self, target: Path, fetch: Callable[[Path], None]) -> None:
        """Fetch ``target`` unless another thread or process did meanwhile."""
        with (target.parent / f"{target.name}.lock").open("a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            if target.exists():
                return
            partial = target.parent / f".{target.name}.{uuid.uuid4().hex}.part"
            try:
                fetch(partial)
                os.replace(partial, target)
            finally:
                with suppress(OSError):
                    partial.unlink(missing_ok=True)
        self.evict(keep=target)

    def evict(self, keep: Path | None = None) -> int:
        """Remove least recently used files not in use until the folder fits; bytes freed."""
        entries = []
        for path in self.folder.iterdir():
            if path.name.startswith(".") or path.suffix == ".lock" or path == keep:
                continue
            with suppress(FileNotFoundError):
                stat = path.stat()
                entries.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        if keep is not None:
            with suppress(FileNotFoundError):
                total += keep.stat().st_size
        freed = 0
        for _, size, path in sorted(entries):
            if total - freed <= self.max_bytes:
                break
            if self._remove_unused(path):
                freed += size
        return freed

    def _remove_unused(self, path: Path) -> bool:
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            return False
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # in use
            with suppress(FileNotFoundError):
                path.unlink()
                logger.debug("evicted %s from the asset cache", path.name)
                return True
        return False


def cache_from_environment() -> AssetCache | None:
    """The cache ``$ANNOTASK_ASSET_CACHE`` names (size ``$ANNOTASK_ASSET_CACHE_MB``), if any."""
    folder = os.environ.get(CACHE_ENV)
    if not folder:
        return None
    megabytes = os.environ.get(CACHE_MB_ENV, "2048")
    try:
        size = int(float(megabytes) * 2**20)
    except ValueError as exc:
        raise ValidationError(
            f"${CACHE_MB_ENV} must be a number of megabytes, got {megabytes!r}"
        ) from exc
    cache = _CACHES.get((folder, size))
    if cache is None:
        cache = _CACHES[(folder, size)] = AssetCache(folder, size)
    return cache if cache.usable else None


_CACHES: dict[tuple[str, int], AssetCache] = {}
