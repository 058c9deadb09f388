"""Fixtures for the demo tests: the demo media, written once per session, and their pixels."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from annotask.demo import DemoManifest, DemoMedia, write_demo_media


@pytest.fixture(scope="session")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    return write_demo_media(tmp_path_factory.mktemp("demo") / "media")


def load_rgb(item: DemoMedia) -> NDArray[np.uint8]:
    """An image file's pixels as RGB."""
    with Image.open(item.path) as image:
        return np.asarray(image.convert("RGB"))


def video_frames(item: DemoMedia) -> list[NDArray[np.uint8]]:
    """Every frame of a video as RGB, in order."""
    with av.open(str(item.path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def media_path(manifest: DemoManifest, name: str) -> Path:
    return manifest.by_name(name).path
