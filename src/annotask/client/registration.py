"""Turning paths and URIs into storage-item rows: validation, type detection, metadata."""

from __future__ import annotations

import mimetypes
import uuid as uuidlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from annotask.datatypes import DataType
from annotask.errors import ValidationError

__all__ = ["ItemSource", "describe_sources", "normalise_sources"]

_REMOTE_SCHEMES = frozenset({"s3", "gs", "gcs", "az", "abfs", "http", "https", "memory"})
_EXTRA_TYPES = {".dcm": "application/dicom", ".mkv": "video/x-matroska", ".webm": "video/webm"}


@dataclass(frozen=True, slots=True)
class ItemSource:
    """One thing to register: a local path or a remote URI, with its client metadata."""

    uri: str
    local_path: Path | None
    client_metadata: dict[str, Any]


def normalise_sources(
    items: Iterable[str | Path] | Mapping[str | Path, Mapping[str, Any]],
    client_metadata: Mapping[str, Any] | None,
) -> list[ItemSource]:
    """Resolve paths/URIs and attach metadata; refuse the whole lot if any local path is missing."""
    if isinstance(items, Mapping):
        if client_metadata is not None:
            raise ValidationError(
                "give per-item metadata as a mapping of path → metadata, or one client_metadata "
                "for all items, not both"
            )
        pairs = [(item, dict(meta)) for item, meta in items.items()]
    else:
        pairs = [(item, dict(client_metadata or {})) for item in items]
    sources = [_source(item, meta) for item, meta in pairs]
    missing = [s.uri for s in sources if s.local_path is not None and not s.local_path.exists()]
    if missing:
        raise ValidationError(
            f"{len(missing)} path(s) do not exist, nothing was added: " + ", ".join(missing)
        )
    return sources


def _source(item: str | Path, meta: dict[str, Any]) -> ItemSource:
    text = str(item)
    parsed = urlparse(text)
    if parsed.scheme in _REMOTE_SCHEMES:
        return ItemSource(text, None, meta)
    path = Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(text)
    path = path.expanduser().absolute()
    return ItemSource(str(path), path, meta)


def describe_sources(sources: list[ItemSource], dataset_uuid: str) -> list[dict[str, Any]]:
    """Storage-item rows for the sources (type from the MIME type, size from the file).

    Refuses the whole lot, naming each, if any source is of a kind annotask does not handle.
    """
    rows = [_describe(source, dataset_uuid) for source in sources]
    unknown = [row["uri"] for row in rows if row["data_type"] is None]
    if unknown:
        raise ValidationError(
            f"{len(unknown)} item(s) are not a kind of media annotask handles (image, video, "
            "audio, DICOM, PDF, text, image folder), nothing was added: " + ", ".join(unknown)
        )
    return rows


def _describe(source: ItemSource, dataset_uuid: str) -> dict[str, Any]:
    path = source.local_path
    if path is not None and path.is_dir():
        data_type: DataType | None = DataType.IMAGE_SEQUENCE
        mime, size = "inode/directory", None
    else:
        suffix = Path(urlparse(source.uri).path).suffix.lower()
        guessed = _EXTRA_TYPES.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0]
        mime = guessed or "application/octet-stream"
        data_type = _data_type(mime)
        size = path.stat().st_size if path is not None else None
    name = path.name if path is not None else Path(urlparse(source.uri).path).name or source.uri
    return {
        "uuid": str(uuidlib.uuid4()),
        "dataset_uuid": dataset_uuid,
        "name": name,
        "uri": source.uri,
        "data_type": None if data_type is None else data_type.value,
        "mime_type": mime,
        "file_size": size,
        "properties": {},
        "client_metadata": source.client_metadata,
    }


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
