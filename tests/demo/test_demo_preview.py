"""Previews: the picture at its own size, with each detection's box drawn in its class colour."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from annotask.demo import (
    DemoManifest,
    Detection,
    detect_shapes,
    draw_detections,
    write_contact_sheet,
    write_preview,
)
from annotask.demo.preview import LABEL_COLOURS
from annotask.errors import ValidationError
from tests.demo.conftest import load_rgb


def test_preview_is_a_png_of_the_pictures_size(manifest: DemoManifest, tmp_path: Path) -> None:
    scene = manifest.by_name("scene_01_basic.png")
    rgb = load_rgb(scene)
    path = write_preview(rgb, detect_shapes(rgb), tmp_path / "out" / "basic.png", title="basic")
    with Image.open(path) as image:
        assert (image.format, image.size, image.mode) == ("PNG", (scene.width, scene.height), "RGB")


def test_boxes_are_drawn_in_their_class_colour() -> None:
    rgb = np.full((100, 200, 3), 128, np.uint8)
    detection = Detection("circle", (0.25, 0.5, 0.5, 0.4), 0.87)
    drawn = np.asarray(draw_detections(rgb, [detection]))
    assert tuple(drawn[70, 50]) == LABEL_COLOURS["circle"]  # left edge of the box
    assert tuple(drawn[70, 100]) == (128, 128, 128)  # its inside is untouched
    assert (rgb == 128).all()  # the input is not drawn on


def test_a_preview_must_be_a_png(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"\.png"):
        write_preview(np.zeros((8, 8, 3), np.uint8), [], tmp_path / "x.jpg")


def test_contact_sheet_tiles_pictures_in_rows(manifest: DemoManifest, tmp_path: Path) -> None:
    pictures: list[Path | Image.Image] = [item.path for item in manifest.of_kind("scene")]
    pictures.append(Image.new("RGB", (50, 50), (255, 0, 0)))
    path = write_contact_sheet(pictures, tmp_path / "sheet.png", columns=2, cell=(100, 80))
    with Image.open(path) as sheet:
        assert sheet.size == (2 * 106 + 6, 3 * 86 + 6)


def test_contact_sheet_needs_pictures(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="at least one"):
        write_contact_sheet([], tmp_path / "sheet.png")
