"""Pictures of what a detector found: boxes with their class and confidence, and contact sheets."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from annotask.demo.detectors import Detection
from annotask.demo.manifest import Box, TruthBox
from annotask.errors import ValidationError

__all__ = ["LABEL_COLOURS", "draw_detections", "write_contact_sheet", "write_preview"]

log = logging.getLogger(__name__)

RGB = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

LABEL_COLOURS: dict[str, RGB] = {
    "face": (0, 230, 255),
    "circle": (255, 60, 60),
    "rectangle": (60, 140, 255),
    "triangle": (40, 220, 90),
}
"""The colour each class's boxes are drawn in; other classes are drawn in white."""

_TRUTH_RGB = (255, 255, 255)
_SHEET_BACKGROUND = (32, 34, 38)


def _font(size: int) -> Font:
    return ImageFont.load_default(size=size)


def _pixels(box: Box, width: int, height: int) -> tuple[float, float, float, float]:
    x, y, w, h = box
    return (x * width, y * height, (x + w) * width - 1, (y + h) * height - 1)


def draw_detections(
    rgb: NDArray[np.uint8],
    detections: Sequence[Detection],
    *,
    truth: Sequence[TruthBox] = (),
    title: str | None = None,
) -> Image.Image:
    """A copy of the picture with each detection's box, class and confidence drawn on it.

    ``truth`` boxes, when given, are drawn first as thin white outlines; ``title`` goes in a
    band along the bottom edge.
    """
    image = Image.fromarray(rgb).convert("RGB")
    width, height = image.size
    draw = ImageDraw.Draw(image)
    line = max(2, round(min(width, height) / 160))
    font = _font(max(11, round(min(width, height) / 26)))
    for box in truth:
        draw.rectangle(_pixels(box.box, width, height), outline=_TRUTH_RGB, width=1)
    for detection in detections:
        colour = LABEL_COLOURS.get(detection.label, (255, 255, 255))
        x0, y0, x1, y1 = _pixels(detection.box, width, height)
        draw.rectangle((x0, y0, x1, y1), outline=colour, width=line)
        text = f"{detection.label} {detection.confidence:.2f}"
        _tag(draw, text, (x0, y0, y1, width), colour, font)
    if title:
        _title(draw, title, width, height, font)
    return image


def _tag(
    draw: ImageDraw.ImageDraw,
    text: str,
    anchor: tuple[float, float, float, int],
    colour: RGB,
    font: Font,
) -> None:
    """A filled label above the box's top-left corner (inside it when there is no room),
    moved left where it would run off the picture's right edge."""
    x0, y0, y1, width = anchor
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    w, h = right - left + 6, bottom - top + 4
    x0 = max(0.0, min(x0, width - 1 - w))
    ty = y0 - h if y0 - h >= 0 else min(y0 + 1, y1 - h)
    draw.rectangle((x0, ty, x0 + w, ty + h), fill=colour)
    draw.text((x0 + 3 - left, ty + 2 - top), text, fill=(0, 0, 0), font=font)


def _title(draw: ImageDraw.ImageDraw, text: str, width: int, height: int, font: Font) -> None:
    left, top, _, bottom = draw.textbbox((0, 0), text, font=font)
    band = bottom - top + 8
    draw.rectangle((0, height - band, width, height), fill=(0, 0, 0))
    draw.text((4 - left, height - band + 4 - top), text, fill=(255, 255, 255), font=font)


def write_preview(
    rgb: NDArray[np.uint8],
    detections: Sequence[Detection],
    path: Path,
    *,
    truth: Sequence[TruthBox] = (),
    title: str | None = None,
) -> Path:
    """Draw the detections (see :func:`draw_detections`) and save the picture as a PNG."""
    if path.suffix.lower() != ".png":
        raise ValidationError(f"previews are PNG files; {path.name!r} does not end in .png")
    path.parent.mkdir(parents=True, exist_ok=True)
    draw_detections(rgb, detections, truth=truth, title=title).save(path, compress_level=1)
    log.debug("wrote preview %s", path)
    return path


def write_contact_sheet(
    pictures: Sequence[Path | Image.Image],
    path: Path,
    *,
    columns: int = 3,
    cell: tuple[int, int] = (320, 240),
) -> Path:
    """Tile pictures (files or images), each shrunk to fit a ``cell``, into one PNG."""
    if not pictures:
        raise ValidationError("a contact sheet needs at least one picture")
    if columns < 1 or min(cell) < 1:
        raise ValidationError(f"columns and cell sizes must be positive: {columns}, {cell}")
    gap = 6
    rows = -(-len(pictures) // columns)
    cell_w, cell_h = cell
    size = (columns * (cell_w + gap) + gap, rows * (cell_h + gap) + gap)
    sheet = Image.new("RGB", size, _SHEET_BACKGROUND)
    for index, picture in enumerate(pictures):
        thumb = _opened(picture)
        thumb.thumbnail(cell)
        row, column = divmod(index, columns)
        x = gap + column * (cell_w + gap) + (cell_w - thumb.width) // 2
        y = gap + row * (cell_h + gap) + (cell_h - thumb.height) // 2
        sheet.paste(thumb, (x, y))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, compress_level=1)
    log.debug("wrote contact sheet of %d pictures to %s", len(pictures), path)
    return path


def _opened(picture: Path | Image.Image) -> Image.Image:
    if isinstance(picture, Image.Image):
        return picture.convert("RGB")
    with Image.open(picture) as image:
        return image.convert("RGB")
