"""Decoders that fetch one requested frame at a time from an open video.

:class:`SeekingCursor` uses the frame table: it seeks to the keyframe before a target
unless it can decode forward to it, sends only the packets the target needs at full cost
(others with ``skip_frame=NONREF``, so unreferenced frames are not decoded), and drains the
decoder instead of feeding it more once nothing else in the GOP is wanted.
:class:`CountingCursor` is the fallback for streams whose timestamps cannot be trusted: it
decodes from the start, counting frames, and reopens the file to go back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import av
from av.container import InputContainer
from av.packet import Packet
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from annotask.errors import MediaError
from annotask.media._index import FrameTable
from annotask.media._video import describe, open_video

__all__ = ["CountingCursor", "Cursor", "SeekingCursor", "TableMismatch"]

Wanted = Callable[[int], bool]
Keep = Callable[[int, VideoFrame], None]


class TableMismatch(Exception):
    """A decoded frame's timestamp is not in the frame table: fall back to counting."""


class Cursor(Protocol):
    """Fetches frame ``target``; hands frames that ``wanted`` names to ``keep`` on the way."""

    def fetch(self, target: int, more_in_gop: bool, wanted: Wanted, keep: Keep) -> VideoFrame:
        """Decode up to ``target`` and return it."""
        ...

    def close(self) -> None:
        """Release what the cursor opened itself."""
        ...


class SeekingCursor:
    """Fetches frames by timestamp, seeking to keyframes (see the module docstring)."""

    def __init__(
        self, container: InputContainer, stream: VideoStream, table: FrameTable, path: Path
    ) -> None:
        self._container, self._stream, self._table, self._path = container, stream, table, path
        self._codec = stream.codec_context
        self._codec.skip_frame = "DEFAULT"
        self._packets: Iterator[Packet[VideoStream]] | None = None  # None: drained or unpositioned
        self._gop = -1  # index of the keyframe whose GOP is being fed
        self._last_out = -1  # highest index output since the last seek
        self._reduced: set[int] = set()  # sent with NONREF since the last seek
        self._sent: set[int] = set()  # sent in full since the last seek
        self._landing: int | None = None  # the keyframe a seek must land on

    def fetch(self, target: int, more_in_gop: bool, wanted: Wanted, keep: Keep) -> VideoFrame:
        """Decode up to ``target`` (seeking if shorter or needed) and return it."""
        if not self._can_continue_to(target):
            self._seek(self._table.keyframe_for(target))
        while self._packets is not None:
            if target in self._sent and not more_in_gop:
                frames = self._drain()
            else:
                frames = self._feed(self._packets, target, wanted)
            found = self._sort_out(frames, target, wanted, keep)
            if found is not None:
                return found
        raise MediaError(f"{self._path}: frame {target} could not be decoded (truncated?)")

    def close(self) -> None:
        """Nothing to release: the container belongs to the sampler."""
        self._packets = None

    def _can_continue_to(self, target: int) -> bool:
        return (
            self._packets is not None
            and self._table.keyframe_for(target) == self._gop
            and target > self._last_out
            and target not in self._reduced
        )

    def _seek(self, keyframe: int) -> None:
        try:
            self._container.seek(
                self._table.pts[keyframe], stream=self._stream, backward=True, any_frame=False
            )
        except av.FFmpegError as exc:
            raise TableMismatch(f"cannot seek to frame {keyframe}: {describe(exc)}") from exc
        self._packets = self._container.demux(self._stream)
        self._gop, self._last_out, self._landing = keyframe, -1, keyframe
        self._reduced.clear()
        self._sent.clear()

    def _check_landing(self, packet: Packet[VideoStream], index: int | None) -> None:
        """A seek must land on a keyframe at or before the one asked for."""
        landing, self._landing = self._landing, None
        if landing is not None and not (
            packet.is_keyframe and index is not None and index <= landing
        ):
            raise TableMismatch(f"a seek to keyframe {landing} landed on frame {index}")

    def _feed(
        self, packets: Iterator[Packet[VideoStream]], target: int, wanted: Wanted
    ) -> list[VideoFrame]:
        """Send the next packet, at full cost only if its frame is wanted."""
        try:
            packet = next(packets, None)
        except av.FFmpegError as exc:
            raise self._corrupt(exc) from exc
        if packet is None or not packet.size:
            return self._drain()
        index = self._table.index_of.get(packet.pts) if packet.pts is not None else None
        self._check_landing(packet, index)
        full = index is None or index == target or wanted(index)
        self._codec.skip_frame = "DEFAULT" if full else "NONREF"
        if index is not None:
            (self._sent if full else self._reduced).add(index)
            if packet.is_keyframe:
                self._gop = index
        return self._decode(packet)

    def _drain(self) -> list[VideoFrame]:
        self._packets = None
        return self._decode(None)

    def _decode(self, packet: Packet[VideoStream] | None) -> list[VideoFrame]:
        try:
            return self._codec.decode(packet)
        except av.FFmpegError as exc:
            raise self._corrupt(exc) from exc

    def _corrupt(self, exc: av.FFmpegError) -> MediaError:
        return MediaError(
            f"{self._path}: corrupt or truncated video near frame {self._last_out + 1}: "
            f"{describe(exc)}"
        )

    def _sort_out(
        self, frames: list[VideoFrame], target: int, wanted: Wanted, keep: Keep
    ) -> VideoFrame | None:
        found = None
        for frame in frames:
            index = self._table.index_of.get(frame.pts) if frame.pts is not None else None
            if index is None:
                raise TableMismatch(f"decoded timestamp {frame.pts} is not in the frame table")
            self._last_out = max(self._last_out, index)
            if index == target:
                found = frame
            elif wanted(index):
                keep(index, frame)
        return found


class CountingCursor:
    """Decodes from the start counting frames; reopens the file to go back."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._container: InputContainer | None = None
        self._frames: Iterator[VideoFrame] = iter(())
        self._next_index = 0

    def fetch(self, target: int, more_in_gop: bool, wanted: Wanted, keep: Keep) -> VideoFrame:
        """Decode forward (from a reopened file if ``target`` is behind) to ``target``."""
        del more_in_gop  # counting cannot skip ahead
        if self._container is None or target < self._next_index:
            self._reopen()
        while True:
            try:
                frame = next(self._frames)
            except StopIteration:
                raise MediaError(f"{self._path}: frame {target} is past the end") from None
            except av.FFmpegError as exc:
                raise MediaError(
                    f"{self._path}: cannot decode frame {self._next_index}: {describe(exc)}"
                ) from exc
            index, self._next_index = self._next_index, self._next_index + 1
            if index == target:
                return frame
            if wanted(index):
                keep(index, frame)

    def close(self) -> None:
        """Close the file this cursor opened."""
        if self._container is not None:
            self._container.close()
            self._container = None

    def _reopen(self) -> None:
        self.close()
        self._container, stream = open_video(self._path)
        self._frames = self._container.decode(stream)
        self._next_index = 0
