"""The frame table: which presentation timestamp is which frame index, and the keyframes.

Built from one demux pass over the video stream (packets only, nothing decoded). Frame
``i`` is the ``i``-th smallest packet pts, which is the ``i``-th frame that sequential
decoding outputs, because a decoder outputs one frame per packet in presentation order.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass

from av.container import InputContainer
from av.video.stream import VideoStream

__all__ = ["FrameTable", "PacketScan", "build_frame_table"]


@dataclass(frozen=True)
class FrameTable:
    """Presentation timestamps in order, their indices, and the keyframes' indices."""

    pts: tuple[int, ...]
    index_of: Mapping[int, int]
    keyframes: tuple[int, ...]

    @property
    def frame_count(self) -> int:
        """How many frames the stream has."""
        return len(self.pts)

    def keyframe_for(self, index: int) -> int:
        """The index of the last keyframe at or before ``index`` (0 if none is)."""
        position = bisect.bisect_right(self.keyframes, index) - 1
        return self.keyframes[position] if position >= 0 else 0


@dataclass(frozen=True)
class PacketScan:
    """What one demux pass found: the table (None when timestamps are missing or repeated,
    so frames must be counted instead), frame packets, and packets marked discard."""

    table: FrameTable | None
    frames: int
    discarded: int


def build_frame_table(container: InputContainer, stream: VideoStream) -> PacketScan:
    """Demux ``stream`` once, reading packets only."""
    timestamps: list[int | None] = []
    keys: list[int] = []
    discarded = 0
    for packet in container.demux(stream):
        if not packet.size:
            continue
        if packet.is_discard:
            discarded += 1
            continue
        timestamps.append(packet.pts)
        if packet.is_keyframe and packet.pts is not None:
            keys.append(packet.pts)
    count = len(timestamps)
    known = [pts for pts in timestamps if pts is not None]
    ordered = tuple(sorted(known))
    index_of = {pts: index for index, pts in enumerate(ordered)}
    if len(known) != count or len(index_of) != count or not keys:
        return PacketScan(None, count, discarded)
    keyframes = tuple(sorted(index_of[pts] for pts in keys))
    return PacketScan(FrameTable(ordered, index_of, keyframes), count, discarded)
