"""Still images with Pillow: recognising them, and turning any mode into RGB ``uint8``."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from annotask.errors import MediaError

__all__ = ["IMAGE_FORMATS", "image_mime", "image_size", "open_image", "read_rgb"]

IMAGE_FORMATS = ("JPEG", "MPO", "PNG", "GIF", "BMP", "TIFF", "WEBP", "PPM", "ICO", "JPEG2000")
"""Pillow formats accepted as images (identify-only and header-less formats are left out)."""

_MIME = {"MPO": "image/jpeg", "PPM": "image/x-portable-anymap", "JPEG2000": "image/jp2"}
_ORIENTATION_TAG = 0x0112
_TRANSPOSED_ORIENTATIONS = frozenset({5, 6, 7, 8})


@contextmanager
def open_image(path: Path) -> Iterator[Image.Image | None]:
    """Open ``path`` lazily (header only); yields None when it is not an image Pillow reads."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path, formats=_registered_formats())
    except UnidentifiedImageError:
        image = None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning) as exc:
        raise MediaError(f"{path}: corrupt image: {exc}") from exc
    if image is None:
        yield None
        return
    with image:
        yield image


def _registered_formats() -> list[str]:
    Image.init()  # registers every plugin once; Image.open(formats=...) needs them loaded
    return [name for name in IMAGE_FORMATS if name in Image.OPEN]


def image_mime(image: Image.Image) -> str:
    """The MIME type of an opened image."""
    fmt = image.format or ""
    return _MIME.get(fmt) or Image.MIME.get(fmt) or f"image/{fmt.lower()}"


def image_size(image: Image.Image) -> tuple[int, int]:
    """(width, height) as shown, that is after the EXIF orientation is applied.

    Reads headers only. For a PNG, Pillow's ``getexif`` decodes every pixel to look for an
    eXIf chunk after the image data (80 ms for a 12-megapixel PNG), so only an eXIf chunk
    before the image data, where writers put it, is looked at.
    """
    width, height = image.size
    if image.format == "PNG" and "exif" not in image.info:
        return width, height
    orientation = image.getexif().get(_ORIENTATION_TAG)
    if orientation in _TRANSPOSED_ORIENTATIONS:
        return height, width
    return width, height


def read_rgb(path: Path) -> NDArray[np.uint8]:
    """Decode an image file into RGB ``uint8`` ``[h, w, 3]``, EXIF orientation applied."""
    with open_image(path) as image:
        if image is None:
            raise MediaError(f"{path}: not an image Pillow can read")
        try:
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            return to_rgb(upright)
        except (OSError, ValueError, SyntaxError) as exc:
            raise MediaError(f"{path}: cannot decode image: {exc}") from exc


def to_rgb(image: Image.Image) -> NDArray[np.uint8]:
    """Any Pillow mode to RGB: 16-bit scaled by 1/257, 32-bit and float by min/max."""
    if image.mode.startswith("I;16"):
        wide = np.asarray(image).astype(np.uint32)
        return _gray_to_rgb((wide // 257).astype(np.uint8))
    if image.mode in ("I", "F"):
        return _gray_to_rgb(stretch_to_uint8(np.asarray(image, dtype=np.float64)))
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    return np.array(rgb, dtype=np.uint8)


def stretch_to_uint8(values: NDArray[np.float64]) -> NDArray[np.uint8]:
    """Map the array's min..max linearly onto 0..255 (a flat array becomes 0)."""
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    scaled = (values - low) * (255.0 / (high - low))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _gray_to_rgb(gray: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return np.repeat(gray[:, :, None], 3, axis=2)
