"""What the server makes of an item's media: a local file to send, thumbnails, single frames.

Files are found by the item's stored URI only, never by anything in a request. Remote
assets are fetched once into the server's cache; thumbnails are cached by item and size.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from annotask.client import StorageItem
from annotask.datatypes import DataType
from annotask.errors import MediaError, NotFoundError, ValidationError
from annotask.media import first_frame, iter_frames, local_asset, sample_frames

__all__ = ["FRAME_FORMATS", "asset_file", "frame_image", "thumbnail_file"]

log = logging.getLogger(__name__)

FRAME_FORMATS = {"png": ("PNG", "image/png"), "jpeg": ("JPEG", "image/jpeg")}
_SINGLE_FILE = (DataType.IMAGE, DataType.VIDEO, DataType.AUDIO, DataType.DICOM, DataType.PDF)
_VISUAL = (DataType.IMAGE, DataType.VIDEO, DataType.IMAGE_SEQUENCE, DataType.DICOM)


def _is_remote(uri: str) -> bool:
    return "://" in uri and not uri.startswith("file://")


def asset_file(item: StorageItem, cache_dir: Path) -> Path:
    """A local file holding the item's asset: its own path, or a cached download."""
    if item.item_type not in _SINGLE_FILE and item.item_type is not DataType.TEXT:
        raise ValidationError(
            f"storage item {item.name!r} is a {item.item_type.value}, which is not one file; "
            "ask for its frames instead"
        )
    if not _is_remote(item.uri):
        with local_asset(item.uri, data_hash=item.data_hash) as path:
            return path
    suffix = Path(item.uri.split("?")[0]).suffix
    target = cache_dir / "media" / f"{item.data_hash}{suffix}"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with local_asset(
        item.uri, data_hash=item.data_hash, mime_type=item.mime_type, name=item.name
    ) as fetched:
        handle, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        os.close(handle)
        shutil.copyfile(fetched, tmp)
        os.replace(tmp, target)
    return target


def _visual(item: StorageItem) -> None:
    if item.item_type not in _VISUAL:
        raise ValidationError(
            f"storage item {item.name!r} is {item.item_type.value}, which has no frames to show"
        )


def thumbnail_file(item: StorageItem, size: int, cache_dir: Path) -> Path:
    """A JPEG of the item's first frame, fitting in ``size`` x ``size``, made once."""
    _visual(item)
    target = cache_dir / "thumbs" / f"{item.data_hash}-{size}.jpg"
    if target.exists():
        return target
    pixels = _first_frame(item, cache_dir)
    image = Image.fromarray(pixels)
    image.thumbnail((size, size))
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    with os.fdopen(handle, "wb") as out:
        image.save(out, "JPEG", quality=85)
    os.replace(tmp, target)
    return target


def _first_frame(item: StorageItem, cache_dir: Path) -> NDArray[np.uint8]:
    if item.item_type is DataType.IMAGE_SEQUENCE:
        with local_asset(item.uri, data_hash=item.data_hash) as folder:
            return first_frame(folder, item.item_type)
    return first_frame(asset_file(item, cache_dir), item.item_type)


def frame_image(item: StorageItem, index: int, image_format: str, cache_dir: Path) -> bytes:
    """Frame ``index`` (0-based) of the item as PNG or JPEG bytes."""
    _visual(item)
    count = int(item.frame_count or 1)
    if not 0 <= index < count:
        raise NotFoundError(
            f"storage item {item.name!r} has frames 0..{count - 1}; there is no frame {index}"
        )
    if item.item_type is DataType.IMAGE:
        pixels = first_frame(asset_file(item, cache_dir), item.item_type)
    elif item.item_type is DataType.VIDEO:
        with sample_frames(asset_file(item, cache_dir), [index]) as frames:
            pixels = next(iter(frames)).content
    else:
        pixels = _nth_frame(item, index, cache_dir)
    name, _ = FRAME_FORMATS[image_format]
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, name)
    return out.getvalue()


def _nth_frame(item: StorageItem, index: int, cache_dir: Path) -> NDArray[np.uint8]:
    if item.item_type is DataType.DICOM:
        return _frame_of(asset_file(item, cache_dir), item, index)
    with local_asset(item.uri, data_hash=item.data_hash) as folder:
        return _frame_of(folder, item, index)


def _frame_of(source: Path, item: StorageItem, index: int) -> NDArray[np.uint8]:
    with iter_frames(source, item.item_type) as frames:
        for frame in frames:
            if frame.frame == index:
                return frame.content
    raise MediaError(f"storage item {item.name!r} ended before frame {index}")
