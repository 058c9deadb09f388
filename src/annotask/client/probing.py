"""Probing assets as they are registered: what each is, by its content, and its properties.

Local files, folders and lists of images are probed in place, headers only (about 0.1 ms for
a small image). Remote URIs are probed by streaming each to a temporary file named
``{data_hash}.{suffix}`` with :func:`annotask.media.local_asset` (in chunks, with timeouts),
probing it and deleting it at once; a few are fetched at a time, so at most
:data:`REMOTE_WORKERS` temporary files exist at any moment.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from annotask.client.registration import Failures, ItemSource, type_from_name
from annotask.datatypes import DataType
from annotask.errors import MediaError
from annotask.media import MediaInfo, local_asset, probe

__all__ = ["REMOTE_WORKERS", "ProbePlan", "probe_sources", "unreadable_error"]

logger = logging.getLogger(__name__)

REMOTE_WORKERS = 4
"""How many remote assets are fetched and probed at once."""

_BINARY_TYPES = frozenset(
    {DataType.IMAGE, DataType.VIDEO, DataType.AUDIO, DataType.DICOM, DataType.PDF}
)


@dataclass(frozen=True, slots=True)
class ProbePlan:
    """Which sources to probe, and how to reach the remote ones."""

    enabled: bool = True
    remote: bool = True
    storage_options: Mapping[str, Any] | None = None

    def wants(self, source: ItemSource) -> bool:
        """Whether ``source`` is to be probed."""
        return self.enabled and (source.local_path is not None or self.remote)


def probe_sources(
    sources: Sequence[ItemSource],
    data_hashes: Sequence[str],
    plan: ProbePlan,
    failures: Failures,
) -> dict[int, MediaInfo]:
    """MediaInfo by position for every source the plan probes; each source that cannot be
    read is counted in ``failures`` (why, naming it) instead."""
    found: dict[int, MediaInfo | MediaError] = {}
    remote: list[int] = []
    for index, source in enumerate(sources):
        if not plan.wants(source):
            continue
        if source.local_path is None:
            remote.append(index)
        else:
            found[index] = _probe_local(source)
    if remote:
        found.update(_probe_remote_all(sources, data_hashes, remote, plan.storage_options))
    infos = {}
    for index, value in found.items():
        if isinstance(value, MediaError):
            failures.add(str(value))
        else:
            infos[index] = value
    return infos


def unreadable_error(failures: Failures) -> MediaError:
    """The error refusing a registration with items that cannot be read as media."""
    return MediaError(
        f"{failures.count} item(s) cannot be read as media, nothing was added "
        "(fix or leave out each, or register them unread: --no-probe on the command line, "
        "probe=False in Python):\n  - " + failures.listed("\n  - ")
    )


def _probe_local(source: ItemSource) -> MediaInfo | MediaError:
    target = list(source.files) if source.files else source.local_path
    if target is None:
        raise ValueError(f"{source.uri} is not a local source")
    try:
        return _checked(source.uri, probe(target))
    except MediaError as exc:
        return exc


def _probe_remote_all(
    sources: Sequence[ItemSource],
    data_hashes: Sequence[str],
    indices: list[int],
    storage_options: Mapping[str, Any] | None,
) -> dict[int, MediaInfo | MediaError]:
    def one(index: int) -> MediaInfo | MediaError:
        return _probe_remote(sources[index], data_hashes[index], storage_options)

    workers = min(REMOTE_WORKERS, len(indices))
    logger.info("probing %d remote asset(s), %d at a time", len(indices), workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="annotask-probe") as pool:
        return dict(zip(indices, pool.map(one, indices), strict=True))


def _probe_remote(
    source: ItemSource, data_hash: str, storage_options: Mapping[str, Any] | None
) -> MediaInfo | MediaError:
    """Stream the asset to a temporary file, probe it, delete it; errors name the URI."""
    try:
        with local_asset(source.uri, data_hash=data_hash, storage_options=storage_options) as path:
            try:
                return _checked(source.uri, probe(path))
            except MediaError as exc:
                renamed = MediaError(str(exc).replace(str(path), source.uri))
                renamed.__cause__ = exc
                return renamed
    except MediaError as exc:
        return exc


def _checked(uri: str, info: MediaInfo) -> MediaInfo:
    """``info``, unless the content is text under a media name (an error page saved as
    ``photo.jpg``) or audio under a video name; other mismatches register the content."""
    if info.data_type is DataType.IMAGE_SEQUENCE:
        return info
    named = type_from_name(uri)
    if info.data_type is DataType.TEXT and named in _BINARY_TYPES:
        raise MediaError(f"{uri}: its name says {named} but it holds text (an error page?)")
    if named is DataType.VIDEO and info.data_type is DataType.AUDIO:
        raise MediaError(
            f"{uri}: its name says video but it has no video stream, only audio "
            "(if audio is meant, name it .m4a, .mp3, .wav …)"
        )
    if named is not None and named is not info.data_type:
        logger.debug("%s: named as %s, holds %s", uri, named, info.data_type)
    return info
