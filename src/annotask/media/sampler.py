"""The video sampler: chosen frames by rate or by index, decoding as little as it can.

A request is resolved to frame indices first (and rejected before anything is decoded if
it is out of range). Frames are fetched one request at a time: the decoder moves forward
when the next frame is ahead in the same GOP and seeks to the keyframe before it
otherwise; only returned frames are converted to RGB. Frames decoded on the way that a
later request names are kept (up to ``buffer_bytes``) so each is decoded once; beyond that
budget the sampler seeks back instead of holding more.
"""

from __future__ import annotations

import logging
import math
import numbers
import operator
from collections import Counter
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from types import TracebackType
from typing import cast

import av
import numpy as np
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream
from numpy.typing import NDArray

from annotask.errors import MediaError
from annotask.media._cursor import CountingCursor, Cursor, SeekingCursor, TableMismatch
from annotask.media._index import FrameTable, build_frame_table
from annotask.media._video import describe, open_video, rgb24
from annotask.media.frames import Frame, FrameIterator

__all__ = ["DEFAULT_BUFFER_BYTES", "SampleSpec", "VideoSampler", "resolve_spec", "sample_frames"]

logger = logging.getLogger(__name__)

SampleSpec = float | Sequence[int]
DEFAULT_BUFFER_BYTES = 256 * 2**20
"""Memory for frames decoded ahead of their turn in an unsorted request."""

_EPSILON = 1e-9


def resolve_spec(spec: SampleSpec, frame_count: int) -> list[int]:
    """The frame indices a spec asks for: a rate r in (0, 1] gives ``int(k / r)`` for
    k = 0, 1, … below ``frame_count``; a sequence of ints gives exactly those.

    Raises ValueError naming the valid range, before anything is decoded.
    """
    if isinstance(spec, bool | str | bytes):
        raise TypeError(f"a sample spec is a rate in (0, 1] or a list of ints, not {spec!r}")
    if isinstance(spec, numbers.Real):
        return _rate_indices(float(spec), frame_count)
    indices = [_as_index(value) for value in cast(Sequence[int], spec)]
    bad = [i for i in indices if not 0 <= i < frame_count]
    if bad:
        raise ValueError(
            f"frame index {bad[0]} is out of range: this video has frames 0 to {frame_count - 1}"
        )
    return indices


def _rate_indices(rate: float, frame_count: int) -> list[int]:
    if not 0.0 < rate <= 1.0:  # also rejects NaN
        raise ValueError(f"sample rate {rate!r} is outside (0, 1]; 1/5 keeps every 5th frame")
    indices = []
    for k in range(frame_count):
        index = math.floor(k / rate + _EPSILON)
        if index >= frame_count:
            break
        indices.append(index)
    return indices


def _as_index(value: object) -> int:
    if isinstance(value, bool):
        raise TypeError(f"frame index {value!r} is not an int")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"frame index {value!r} is not an int") from None


class VideoSampler:
    """Holds a video open and returns chosen frames; call it with a rate or indices.

    ``sampler(1/5)`` yields frames 0, 5, 10, …; ``sampler([7, 3, 7])`` yields frames 7, 3
    and 7 in that order. Every frame equals what sequential decoding gives at that index.
    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, path: Path, *, buffer_bytes: int = DEFAULT_BUFFER_BYTES) -> None:
        self._path = path
        self._buffer_bytes = buffer_bytes
        container, stream = open_video(path)
        try:
            self._table, self._frame_count = _scan(container, stream, path)
            self._frame_bytes = max(1, stream.codec_context.width * stream.codec_context.height * 3)
        except av.FFmpegError as exc:
            container.close()
            raise MediaError(f"{path}: cannot read the video's packets: {describe(exc)}") from exc
        except BaseException:
            container.close()
            raise
        self._idle: tuple[InputContainer, VideoStream] | None = (container, stream)
        self._closed = False
        if self._table is None:
            logger.info("%s: timestamps unusable, sampling by counting frames", path)

    @property
    def frame_count(self) -> int:
        """How many frames the video has."""
        return self._frame_count

    def __call__(self, spec: SampleSpec) -> FrameIterator:
        """Frames for ``spec`` (a rate in (0, 1] or indices), in the requested order."""
        if self._closed:
            raise ValueError(f"the sampler for {self._path} is closed")
        return FrameIterator(self._serve(resolve_spec(spec, self._frame_count)))

    def close(self) -> None:
        """Close the video; iterators still running close theirs when they end."""
        self._closed = True
        idle, self._idle = self._idle, None
        if idle is not None:
            idle[0].close()

    def __enter__(self) -> VideoSampler:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _serve(self, requests: list[int]) -> Generator[Frame, None, None]:
        if not requests:
            return
        opened = self._acquire()
        request = _Request(requests, self._keyframe_for, self._buffer_bytes // self._frame_bytes)
        cursor = self._cursor(opened)
        try:
            while True:
                try:
                    yield from request.run(cursor)
                    return
                except TableMismatch as exc:
                    logger.warning("%s: %s; sampling by counting frames", self._path, exc)
                    self._table = None
                    cursor.close()
                    cursor = CountingCursor(self._path)
                    request.forget_kept()
        finally:
            cursor.close()
            self._release(opened)

    def _cursor(self, opened: tuple[InputContainer, VideoStream]) -> Cursor:
        if self._table is None:
            return CountingCursor(self._path)
        return SeekingCursor(opened[0], opened[1], self._table, self._path)

    def _keyframe_for(self, index: int) -> int:
        return self._table.keyframe_for(index) if self._table else 0

    def _acquire(self) -> tuple[InputContainer, VideoStream]:
        idle, self._idle = self._idle, None
        return idle if idle is not None else open_video(self._path)

    def _release(self, opened: tuple[InputContainer, VideoStream]) -> None:
        if self._closed or self._idle is not None:
            opened[0].close()
        else:
            self._idle = opened


def _scan(
    container: InputContainer, stream: VideoStream, path: Path
) -> tuple[FrameTable | None, int]:
    """The frame table and frame count; no table for a file with fewer packets than its
    header declares (damaged: counting decodes up to the damage and reports it there)."""
    scan = build_frame_table(container, stream)
    declared = stream.frames - scan.discarded
    if declared > scan.frames:
        logger.warning(
            "%s: %d frame packets, header declares %d: damaged, counting frames",
            path,
            scan.frames,
            declared,
        )
        return None, declared
    return scan.table, scan.frames


class _Request:
    """One call's requests: fetched in order, keeping frames that a later request names.

    ``run`` can be called again after it was interrupted; it resumes at the request that
    was being fetched.
    """

    def __init__(
        self, requests: list[int], keyframe_for: Callable[[int], int], capacity: int
    ) -> None:
        self._requests = requests
        self._keyframe_for = keyframe_for
        self._capacity = capacity
        self._position = 0
        self._future = Counter(requests)
        self._buffer: dict[int, NDArray[np.uint8]] = {}
        self._rgb = VideoReformatter()

    def run(self, cursor: Cursor) -> Generator[Frame, None, None]:
        """Yield a Frame per remaining request, in request order."""
        while self._position < len(self._requests):
            target = self._requests[self._position]
            picture = self._buffer.pop(target, None)
            if picture is None:
                more = self._more_in_gop(self._position)
                picture = self._to_rgb(cursor.fetch(target, more, self._wanted, self._keep))
            self._future[target] -= 1
            self._position += 1
            if self._future[target] > 0 and len(self._buffer) < self._capacity:
                self._buffer[target] = picture
                picture = picture.copy()
            yield Frame(target, picture)

    def forget_kept(self) -> None:
        """Drop frames kept for later (after the index mapping proved unreliable)."""
        self._buffer.clear()

    def _more_in_gop(self, position: int) -> bool:
        """Whether the next request lies ahead of this one in the same GOP."""
        if position + 1 >= len(self._requests):
            return False
        target, following = self._requests[position], self._requests[position + 1]
        return following > target and self._keyframe_for(following) == self._keyframe_for(target)

    def _wanted(self, index: int) -> bool:
        return (
            self._future[index] > 0
            and index not in self._buffer
            and len(self._buffer) < self._capacity
        )

    def _keep(self, index: int, frame: VideoFrame) -> None:
        self._buffer[index] = self._to_rgb(frame)

    def _to_rgb(self, frame: VideoFrame) -> NDArray[np.uint8]:
        return rgb24(frame, self._rgb)


def sample_frames(path: Path, spec: SampleSpec) -> FrameIterator:
    """Frames of the video at ``path`` chosen by ``spec``; closes the file when done.

    See :class:`VideoSampler` for the spec; ValueError for a bad spec is raised here,
    before anything is decoded.
    """
    sampler = VideoSampler(path)
    try:
        frames = sampler(spec)
    except BaseException:
        sampler.close()
        raise
    return FrameIterator(_closing(frames, sampler), on_close=sampler.close)


def _closing(frames: FrameIterator, sampler: VideoSampler) -> Generator[Frame, None, None]:
    try:
        yield from frames
    finally:
        frames.close()
        sampler.close()
