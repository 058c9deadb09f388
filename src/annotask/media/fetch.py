"""Resolving an asset URI to a local file for the length of a ``with`` block.

With :func:`local_asset`, local paths and ``file://`` URIs are used in place: never copied,
never deleted (for readers). :func:`private_copy` copies them (for code that may change
the file). Anything
else (``s3://``, ``http(s)://``, any fsspec protocol) is streamed in chunks into a private
temporary folder as ``{data_hash}.{suffix}`` and removed when the block ends, whether it
ends normally or by an exception — unless an :class:`~annotask.media.cache.AssetCache` is in
use (``$ANNOTASK_ASSET_CACHE``), which keeps one copy for every stage, retry and process.
"""

from __future__ import annotations

import logging
import mimetypes
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import fsspec

from annotask.errors import MediaError, ValidationError
from annotask.media.cache import AssetCache, cache_from_environment

__all__ = ["DEFAULT_TIMEOUT_S", "local_asset", "private_copy"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 60.0
"""Seconds a network connect or read may stall before a fetch fails."""

_SUFFIXES = {
    "application/dicom": ".dcm",
    "application/pdf": ".pdf",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "text/plain": ".txt",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/x-matroska": ".mkv",
}
_LOCAL_SCHEMES = {"", "file"}


@contextmanager
def local_asset(
    uri: str,
    *,
    data_hash: str,
    mime_type: str | None = None,
    storage_options: Mapping[str, Any] | None = None,
    tmp_dir: Path | None = None,
    name: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    cache: AssetCache | None = None,
) -> Iterator[Path]:
    """Yield a local path holding the asset at ``uri``; remove any downloaded copy after.

    ``storage_options`` go to fsspec (for S3: ``endpoint_url``, ``key``, ``secret``,
    ``client_kwargs`` …; credentials otherwise come from the standard AWS variables).
    The temporary file's suffix comes from ``mime_type``, else the URI, else ``name``.
    Raises :class:`MediaError` naming the URI when it cannot be fetched. With ``cache`` (by
    default the one ``$ANNOTASK_ASSET_CACHE`` names, if any) a remote asset is fetched once
    into the cache and kept there (bounded) instead.
    """
    local = _local_path(uri)
    if local is not None:
        if not local.exists():
            raise MediaError(f"{uri}: no such file")
        yield local
        return
    _check_data_hash(data_hash)
    options = dict(storage_options or {})
    cache = cache or cache_from_environment()
    if cache is not None and cache.usable:
        name_in_cache = f"{data_hash}{_suffix(uri, mime_type, name)}"
        with cache.use(
            name_in_cache, lambda part: _download(uri, part, options, timeout_s)
        ) as path:
            yield path
        return
    folder = Path(tempfile.mkdtemp(prefix="annotask-", dir=tmp_dir))
    try:
        target = folder / f"{data_hash}{_suffix(uri, mime_type, name)}"
        _download(uri, target, options, timeout_s)
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def private_copy(
    uri: str,
    *,
    data_hash: str,
    mime_type: str | None = None,
    name: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Iterator[Path]:
    """Yield a copy of the asset at ``uri`` that the caller may change or delete, named
    ``{data_hash}{suffix}`` in a private temporary folder; the folder is removed after.

    A local file is copied (the original is never handed out), a local folder (an image
    sequence) is copied whole, a remote asset is downloaded.
    """
    local = _local_path(uri)
    if local is None:
        with local_asset(
            uri, data_hash=data_hash, mime_type=mime_type, name=name, timeout_s=timeout_s
        ) as fetched:
            yield fetched
        return
    if not local.exists():
        raise MediaError(f"{uri}: no such file")
    _check_data_hash(data_hash)
    folder = Path(tempfile.mkdtemp(prefix="annotask-"))
    try:
        target = _copy_into(folder, local, uri, data_hash, _suffix(uri, mime_type, name))
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _copy_into(folder: Path, local: Path, uri: str, data_hash: str, suffix: str) -> Path:
    try:
        if local.is_dir():
            target = folder / data_hash
            shutil.copytree(local, target)
        else:
            target = folder / f"{data_hash}{suffix}"
            shutil.copyfile(local, target)
    except OSError as exc:
        raise MediaError(f"{uri}: cannot copy: {exc}") from exc
    return target


def _local_path(uri: str) -> Path | None:
    """The path a local URI names, or None when the URI is remote."""
    parsed = urlparse(uri)
    if len(parsed.scheme) == 1:  # a Windows drive letter, not a scheme
        return Path(uri)
    if parsed.scheme not in _LOCAL_SCHEMES:
        return None
    if parsed.scheme == "":
        return Path(uri)
    if parsed.netloc not in ("", "localhost"):
        raise MediaError(f"{uri}: file:// URIs must name a local file, not host {parsed.netloc!r}")
    return Path(url2pathname(parsed.path))


def _check_data_hash(data_hash: str) -> None:
    if not data_hash or data_hash in (".", "..") or "/" in data_hash or "\\" in data_hash:
        raise ValidationError(f"data_hash {data_hash!r} cannot name a temporary file")


def _suffix(uri: str, mime_type: str | None, name: str | None) -> str:
    """The file suffix (with its dot) for a download, or '' when nothing tells it."""
    if mime_type:
        base = mime_type.partition(";")[0].strip().lower()
        known = _SUFFIXES.get(base) or mimetypes.guess_extension(base, strict=False)
        if known:
            return known
    for candidate in (unquote(urlparse(uri).path), name or ""):
        suffix = PurePosixPath(candidate).suffix
        if suffix and len(suffix) <= 10 and suffix[1:].isalnum():
            return suffix.lower()
    return ""


def _download(uri: str, target: Path, options: dict[str, Any], timeout_s: float) -> None:
    """Stream ``uri`` into ``target`` in chunks; convert fsspec's errors to MediaError."""
    logger.debug("fetching %s to %s", uri, target)
    try:
        protocol = fsspec.core.split_protocol(uri)[0] or "file"
        fs, path = fsspec.core.url_to_fs(uri, **_with_timeouts(protocol, options, timeout_s))
        fs.get_file(path, str(target))
    except FileNotFoundError as exc:
        _discard(target)
        raise MediaError(f"{uri}: not found ({exc})") from exc
    except Exception as exc:  # fsspec, aiohttp and botocore raise many kinds
        _discard(target)
        raise MediaError(f"{uri}: cannot fetch: {type(exc).__name__}: {exc}") from exc
    if not target.is_file():
        raise MediaError(f"{uri}: cannot fetch: the store returned no file")


def _discard(target: Path) -> None:
    with suppress(OSError):
        target.unlink(missing_ok=True)


def _with_timeouts(protocol: str, options: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """Add connect/read timeouts for the protocols we know, unless the caller set them."""
    if protocol in ("http", "https"):
        import aiohttp  # noqa: PLC0415 - only needed for http(s)

        client_kwargs = dict(options.get("client_kwargs") or {})
        client_kwargs.setdefault(
            "timeout", aiohttp.ClientTimeout(sock_connect=timeout_s, sock_read=timeout_s)
        )
        return options | {"client_kwargs": client_kwargs}
    if protocol in ("s3", "s3a"):
        config_kwargs = dict(options.get("config_kwargs") or {})
        config_kwargs.setdefault("connect_timeout", timeout_s)
        config_kwargs.setdefault("read_timeout", timeout_s)
        return options | {"config_kwargs": config_kwargs}
    return options
