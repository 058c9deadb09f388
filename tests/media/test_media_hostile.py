"""Files that are not what they claim: each is a MediaError (or a ValidationError) naming it,
nothing is registered, and nothing blocks."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from PIL import Image

import annotask
from annotask.datatypes import DataType
from annotask.errors import MediaError, ValidationError
from annotask.media import probe, write_test_video


@pytest.fixture
def client(tmp_path: Path) -> Iterator[annotask.Client]:
    with annotask.Client(f"sqlite:///{tmp_path / 'annotask.db'}", user="alice") as c:
        yield c


def _noise_image(path: Path, fmt: str) -> bytes:
    Image.effect_noise((48, 32), 60).convert("RGB").save(path, format=fmt)
    return path.read_bytes()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("name", ["noise.png", "noise.jpg", "noise.gif", "noise.mp4"])
def test_random_bytes_under_a_media_name_are_not_media(
    tmp_path: Path, seed: int, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(random.Random(seed).randbytes(5000))
    with pytest.raises(MediaError, match=str(path)):
        probe(path)


@pytest.mark.parametrize(
    ("fmt", "suffix", "keep"),
    [
        ("PNG", "png", 0.5),
        ("PNG", "png", 0.9),
        ("JPEG", "jpg", 1 / 3),
        ("JPEG", "jpg", 0.8),
        ("GIF", "gif", 0.5),
        ("WEBP", "webp", 0.5),
        ("BMP", "bmp", 0.5),
    ],
)
def test_a_cut_image_is_refused_and_the_whole_one_accepted(
    tmp_path: Path, fmt: str, suffix: str, keep: float
) -> None:
    whole = tmp_path / f"whole.{suffix}"
    data = _noise_image(whole, fmt)
    assert probe(whole).data_type is DataType.IMAGE
    cut = tmp_path / f"cut.{suffix}"
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(MediaError, match=f"{cut}: (truncated or )?corrupt"):
        probe(cut)


@pytest.mark.parametrize("suffix", ["avi", "mkv", "mp4"])
def test_a_video_without_frames_is_refused(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty.{suffix}"
    container = av.open(str(path), "w")
    stream = container.add_stream("mpeg4", rate=10)
    stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
    container.start_encoding()
    container.close()
    with pytest.raises(MediaError, match=str(path)):
        probe(path)


def test_a_video_cut_before_its_first_frame_is_refused(tmp_path: Path) -> None:
    whole = write_test_video(tmp_path / "whole.mp4", frames=10, width=32, height=32, faststart=True)
    assert probe(whole).frame_count == 10
    data = whole.read_bytes()
    for keep in (0.1, 0.3, 0.5):
        cut = tmp_path / f"cut{keep}.mp4"
        cut.write_bytes(data[: int(len(data) * keep)])
        with pytest.raises(MediaError, match=str(cut)):
            probe(cut)


def test_a_fifo_named_png_is_refused_at_once(client: annotask.Client, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    image = tmp_path / "ok.png"
    Image.new("RGB", (8, 8)).save(image)
    dataset = client.create_dataset("d")
    for probe_it in (True, False):
        with pytest.raises(ValidationError, match=rf"{fifo} \(a named pipe\)"):
            dataset.add_items([image, fifo], probe=probe_it)
    with pytest.raises(MediaError, match="not a regular file"):
        probe(fifo)
    assert dataset.list_items() == []


def test_a_device_is_refused(client: annotask.Client) -> None:
    dataset = client.create_dataset("d")
    with pytest.raises(ValidationError, match=r"/dev/null \(a character device\)"):
        dataset.add_items(["/dev/null"])
    assert dataset.list_items() == []


def test_random_bytes_refuse_the_whole_bulk(client: annotask.Client, tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    Image.new("RGB", (8, 8)).save(good)
    bad = tmp_path / "bad.png"
    bad.write_bytes(random.Random(1).randbytes(5000))
    dataset = client.create_dataset("d")
    with pytest.raises(MediaError, match=str(bad)):
        dataset.add_items([good, bad])
    assert dataset.list_items() == []
