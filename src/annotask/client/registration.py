"""Turning paths and URIs into storage-item rows: validation, type detection, metadata."""

from __future__ import annotations

import mimetypes
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from annotask.datatypes import DataType
from annotask.errors import ValidationError
from annotask.limits import check_metadata, shown

if TYPE_CHECKING:  # media loads PyAV, NumPy and pydicom: only when items are probed
    from annotask.media import MediaInfo

__all__ = [
    "CHUNK",
    "Failures",
    "ItemRef",
    "ItemSource",
    "check_sources",
    "describe_sources",
    "iter_sources",
    "source_chunks",
    "type_from_name",
    "unknown_kinds_error",
]

_REMOTE_SCHEMES = frozenset({"s3", "gs", "gcs", "az", "abfs", "http", "https", "memory"})
_EXTRA_TYPES = {".dcm": "application/dicom", ".mkv": "video/x-matroska", ".webm": "video/webm"}
_COLUMNS = frozenset({"data_type", "mime_type", "file_size"})  # stored beside the properties


ItemRef = str | Path | Sequence[str | Path]
"""What names one item: a path or URI, or a list (tuple, as a mapping key) of image paths that
make one image sequence."""


@dataclass(frozen=True, slots=True)
class ItemSource:
    """One thing to register: a local path or a remote URI, with its client metadata.

    ``files`` holds the images, in order, of an image sequence given as a list; its ``uri``
    and ``local_path`` are then those of the first image.
    """

    uri: str
    local_path: Path | None
    client_metadata: dict[str, Any]
    files: tuple[Path, ...] = ()

    def paths(self) -> list[Path]:
        """Every local file or folder the source names."""
        if self.files:
            return list(self.files)
        return [] if self.local_path is None else [self.local_path]


CHUNK = 2_000
"""How many items registration probes, describes and inserts at a time."""

_LISTED = 20  # failures named in one message; the rest are counted


class Failures:
    """Failures of one kind over many items: the first few named, all counted."""

    __slots__ = ("count", "shown")

    def __init__(self) -> None:
        self.count = 0
        self.shown: list[str] = []

    def add(self, failure: str) -> None:
        """Count ``failure``; remember it while fewer than the shown limit are."""
        self.count += 1
        if len(self.shown) < _LISTED:
            self.shown.append(failure)

    def listed(self, separator: str = ", ") -> str:
        """The named failures, and how many more there are."""
        more = self.count - len(self.shown)
        return separator.join(self.shown) + (f"{separator}… and {more} more" if more else "")


def iter_sources(
    items: Iterable[ItemRef] | Mapping[ItemRef, Mapping[str, Any]],
    client_metadata: Mapping[str, Any] | None,
) -> Iterator[ItemSource]:
    """Each item resolved to a source with its checked metadata, one at a time."""
    if isinstance(items, Mapping):
        if client_metadata is not None:
            raise ValidationError(
                "give per-item metadata as a mapping of path → metadata, or one client_metadata "
                "for all items, not both"
            )
        for item, meta in items.items():
            yield _source(item, check_metadata(meta, f"the client_metadata of {shown(str(item))}"))
    else:
        shared = check_metadata({} if client_metadata is None else client_metadata)
        for item in items:
            yield _source(item, dict(shared))


def check_sources(
    items: Iterable[ItemRef] | Mapping[ItemRef, Mapping[str, Any]],
    client_metadata: Mapping[str, Any] | None,
) -> None:
    """Refuse the whole lot (ValidationError) if any metadata is bad or any local path is
    missing or neither a file nor a folder; holds nothing per item but the failures."""
    missing, odd = Failures(), Failures()
    for source in iter_sources(items, client_metadata):
        for path in source.paths():
            if not path.exists():
                missing.add(str(path))
            elif not missing.count and _odd(path):
                odd.add(f"{path} ({_file_kind(path)})")
    if missing.count:
        raise ValidationError(
            f"{missing.count} path(s) do not exist, nothing was added: " + missing.listed()
        )
    if odd.count:
        raise ValidationError(
            f"{odd.count} path(s) are neither regular files nor folders, nothing was added "
            "(register files, or folders of images): " + odd.listed()
        )


def source_chunks(
    items: Iterable[ItemRef] | Mapping[ItemRef, Mapping[str, Any]],
    client_metadata: Mapping[str, Any] | None,
    size: int = CHUNK,
) -> Iterator[list[ItemSource]]:
    """The items' sources, ``size`` at a time."""
    sources = iter_sources(items, client_metadata)
    while chunk := list(islice(sources, size)):
        yield chunk


def _odd(path: Path) -> bool:
    """Whether ``path`` is something other than a regular file or a folder (a FIFO, a
    socket, a device: reading those can block or never end)."""
    return not (path.is_file() or path.is_dir())


def _file_kind(path: Path) -> str:
    mode = path.stat().st_mode
    for test, name in (
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _source(item: ItemRef, meta: dict[str, Any]) -> ItemSource:
    if isinstance(item, str | Path):
        return _single_source(item, meta)
    files = [_single_source(part, meta) for part in item]
    if not files:
        raise ValidationError("an image sequence given as a list needs at least one image path")
    remote = [f.uri for f in files if f.local_path is None]
    if remote:
        raise ValidationError(
            "an image sequence given as a list must be local files; register remote images "
            "one by one: " + ", ".join(remote)
        )
    local = tuple(f.local_path for f in files if f.local_path is not None)
    return ItemSource(files[0].uri, local[0], meta, local)


def _single_source(item: str | Path, meta: dict[str, Any]) -> ItemSource:
    text = str(item)
    parsed = urlparse(text)
    if parsed.scheme in _REMOTE_SCHEMES:
        return ItemSource(text, None, meta)
    path = Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(text)
    path = path.expanduser().absolute()
    return ItemSource(str(path), path, meta)


def describe_sources(
    sources: Sequence[ItemSource],
    data_hashes: Sequence[str],
    infos: Mapping[int, MediaInfo],
    dataset_uuid: str,
    unknown: Failures,
) -> list[dict[str, Any]]:
    """Storage-item rows for the sources; each of a kind annotask does not handle is counted
    in ``unknown`` (and has no row).

    A source with a probe result in ``infos`` (by position) takes its type, MIME type, size
    and properties from its content; the others take type and MIME type from their name and
    have no properties.
    """
    rows = []
    for index, (source, data_hash) in enumerate(zip(sources, data_hashes, strict=True)):
        row = _describe(source, data_hash, dataset_uuid, infos.get(index))
        if row["data_type"] is None:
            unknown.add(row["uri"])
        else:
            rows.append(row)
    return rows


def unknown_kinds_error(unknown: Failures) -> ValidationError:
    """The error refusing a registration with items of kinds annotask does not handle."""
    return ValidationError(
        f"{unknown.count} item(s) are not a kind of media annotask handles (image, video, "
        "audio, DICOM, PDF, text, image folder), nothing was added: " + unknown.listed()
    )


def _describe(
    source: ItemSource, data_hash: str, dataset_uuid: str, info: MediaInfo | None
) -> dict[str, Any]:
    data_type, mime, size, properties = _guessed(source) if info is None else _probed(source, info)
    path = source.local_path
    name = path.name if path is not None else Path(urlparse(source.uri).path).name or source.uri
    return {
        "uuid": data_hash,
        "dataset_uuid": dataset_uuid,
        "name": name,
        "uri": source.uri,
        "data_type": None if data_type is None else data_type.value,
        "mime_type": mime,
        "file_size": size,
        "properties": properties,
        "client_metadata": source.client_metadata,
    }


Described = tuple[DataType | None, str, int | None, dict[str, Any]]


def _probed(source: ItemSource, info: MediaInfo) -> Described:
    properties = {
        key: value
        for key, value in info.to_properties().items()
        if key not in _COLUMNS and value not in (None, {})
    }
    if source.files:
        properties["files"] = [str(path) for path in source.files]
    return info.data_type, info.mime_type, info.file_size, properties


def _guessed(source: ItemSource) -> Described:
    path = source.local_path
    if source.files or (path is not None and path.is_dir()):
        return DataType.IMAGE_SEQUENCE, "inode/directory", None, _sequence_files(source)
    mime = _mime_from_name(source.uri) or "application/octet-stream"
    size = path.stat().st_size if path is not None else None
    return _data_type(mime), mime, size, {}


def _sequence_files(source: ItemSource) -> dict[str, Any]:
    return {"files": [str(path) for path in source.files]} if source.files else {}


def _mime_from_name(uri: str) -> str | None:
    suffix = Path(urlparse(uri).path).suffix.lower()
    return _EXTRA_TYPES.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0]


def type_from_name(uri: str) -> DataType | None:
    """The data type a path's or URI's file name suggests, if any."""
    return _data_type(_mime_from_name(uri) or "")


def _data_type(mime: str) -> DataType | None:
    major = mime.split("/", 1)[0]
    if mime == "application/dicom":
        return DataType.DICOM
    if mime == "application/pdf":
        return DataType.PDF
    return {
        "image": DataType.IMAGE,
        "video": DataType.VIDEO,
        "audio": DataType.AUDIO,
        "text": DataType.TEXT,
    }.get(major, DataType.TEXT if mime.endswith(("json", "xml")) else None)
