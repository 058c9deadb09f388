"""Normalising the ``frames`` argument: an int, a list, a set, a tuple or a range."""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral

from annotask.errors import LabelError

__all__ = ["Frames", "normalise_frames"]

Frames = int | Iterable[int]
"""What ``frames=`` accepts: one frame, or a list, set, tuple or range of them (0-based)."""


def normalise_frames(frames: Frames) -> list[int]:
    """Sorted, distinct, non-negative frame numbers; :class:`LabelError` otherwise."""
    if type(frames) is int:
        if frames < 0:
            raise LabelError(f"frames are 0-based and cannot be negative, got {frames}")
        return [frames]
    if isinstance(frames, range) and frames.step > 0 and frames.start >= 0:
        if not frames:
            raise LabelError("no frames given")
        return list(frames)
    if isinstance(frames, bool | str | bytes) or not isinstance(frames, Iterable | Integral):
        raise LabelError(f"frames must be an int, a list, a set or a range, got {frames!r}")
    values = [frames] if isinstance(frames, Integral) else list(frames)
    bad = [f for f in values if not isinstance(f, Integral) or isinstance(f, bool) or f < 0]
    if bad:
        raise LabelError(f"frames must be non-negative ints, got {bad!r}")
    if not values:
        raise LabelError("no frames given")
    return sorted({int(f) for f in values})
