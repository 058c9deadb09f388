"""Frame.b64_encoding: the base64 shapes model APIs expect."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from annotask.media import Frame
from annotask.media.synthetic import frame_pattern


@pytest.fixture
def frame() -> Frame:
    return Frame(3, frame_pattern(3, 64, 48))


def _decode(data: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(data)))


def test_raw_is_a_base64_jpeg_by_default(frame: Frame) -> None:
    image = _decode(frame.b64_encoding())
    assert (image.format, image.size) == ("JPEG", (64, 48))


def test_png_round_trips_exactly(frame: Frame) -> None:
    image = _decode(frame.b64_encoding(".png"))
    assert np.array_equal(np.asarray(image), frame.content)


@pytest.mark.parametrize(("suffix", "media_type"), [(".jpg", "image/jpeg"), (".png", "image/png")])
def test_url_is_a_data_url(frame: Frame, suffix: str, media_type: str) -> None:
    url = frame.b64_encoding(suffix, output_format="url")  # type: ignore[arg-type]
    prefix = f"data:{media_type};base64,"
    assert url.startswith(prefix)
    assert url[len(prefix) :] == frame.b64_encoding(suffix)  # type: ignore[arg-type]


def test_openai_is_an_image_url_content_part(frame: Frame) -> None:
    part = frame.b64_encoding(".jpeg", output_format="openai")
    assert part == {"type": "image_url", "image_url": {"url": frame.b64_encoding(".jpeg", "url")}}


def test_anthropic_is_an_image_block(frame: Frame) -> None:
    block = frame.b64_encoding(".png", "anthropic")
    assert block == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": frame.b64_encoding(".png")},
    }


def test_unknown_formats_are_value_errors_listing_the_valid_ones(frame: Frame) -> None:
    with pytest.raises(ValueError, match=r"\.jpeg, \.jpg, \.png"):
        frame.b64_encoding(".gif")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="raw, url, openai, anthropic"):
        frame.b64_encoding(".png", "html")  # type: ignore[call-overload]
