"""A decoded frame, and the closable iterator that streams them."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import NDArray
from PIL import Image

__all__ = ["Frame", "FrameIterator", "ImageFormat", "OutputFormat"]

ImageFormat = Literal[".jpeg", ".jpg", ".png"]
OutputFormat = Literal["raw", "url", "openai", "anthropic"]

_PIL_FORMATS = {
    ".jpeg": ("JPEG", "image/jpeg"),
    ".jpg": ("JPEG", "image/jpeg"),
    ".png": ("PNG", "image/png"),
}
_OUTPUT_FORMATS = ("raw", "url", "openai", "anthropic")


@dataclass(frozen=True, eq=False)
class Frame:
    """One frame: its 0-based index and its pixels, RGB ``uint8`` of shape ``[h, w, 3]``."""

    frame: int
    content: NDArray[np.uint8]

    @overload
    def b64_encoding(
        self, image_format: ImageFormat = ..., output_format: Literal["raw", "url"] = ...
    ) -> str: ...

    @overload
    def b64_encoding(
        self, image_format: ImageFormat, output_format: Literal["openai", "anthropic"]
    ) -> dict[str, Any]: ...

    @overload
    def b64_encoding(
        self, image_format: ImageFormat = ..., *, output_format: Literal["openai", "anthropic"]
    ) -> dict[str, Any]: ...

    def b64_encoding(
        self, image_format: ImageFormat = ".jpeg", output_format: OutputFormat = "raw"
    ) -> str | dict[str, Any]:
        """Encode the frame as base64 for a model API.

        ``raw`` gives the base64 string, ``url`` a ``data:`` URL, ``openai`` an
        ``image_url`` content part and ``anthropic`` an ``image`` content block.
        """
        if image_format not in _PIL_FORMATS:
            raise ValueError(
                f"image_format {image_format!r} is not one of {', '.join(_PIL_FORMATS)}"
            )
        if output_format not in _OUTPUT_FORMATS:
            raise ValueError(
                f"output_format {output_format!r} is not one of {', '.join(_OUTPUT_FORMATS)}"
            )
        pil_format, media_type = _PIL_FORMATS[image_format]
        buffer = io.BytesIO()
        Image.fromarray(self.content).save(buffer, format=pil_format)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        url = f"data:{media_type};base64,{data}"
        if output_format == "raw":
            return data
        if output_format == "url":
            return url
        if output_format == "openai":
            return {"type": "image_url", "image_url": {"url": url}}
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data},
        }


class FrameIterator(Iterator[Frame]):
    """Streams frames and releases the decoder when closed, exhausted or collected.

    Use it as a plain iterator, or as a context manager to close it early::

        with iter_frames(path, DataType.VIDEO) as frames:
            first = next(frames)
    """

    def __init__(
        self, frames: Generator[Frame, None, None], on_close: Callable[[], None] | None = None
    ) -> None:
        self._frames = frames
        self._on_close = on_close

    def __iter__(self) -> FrameIterator:
        return self

    def __next__(self) -> Frame:
        return next(self._frames)

    def close(self) -> None:
        """Stop decoding and release the file; safe to call twice."""
        try:
            self._frames.close()
        finally:
            on_close, self._on_close = self._on_close, None
            if on_close is not None:
                on_close()

    def __enter__(self) -> FrameIterator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
