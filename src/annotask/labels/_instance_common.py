"""What object and classification instances share: per-frame annotations and their owner."""

from __future__ import annotations

import os
from datetime import datetime
from numbers import Real
from typing import TYPE_CHECKING, NamedTuple, Protocol

from annotask.errors import LabelError
from annotask.labels._frames import Frames, normalise_frames
from annotask.labels.coordinates import Coordinates

if TYPE_CHECKING:
    from annotask.labels.classification_instance import ClassificationInstance

__all__ = [
    "Annotation",
    "ClassificationAnnotation",
    "Owner",
    "check_confidence",
    "check_in_range",
    "frames_for",
    "new_hash",
]


class Annotation(NamedTuple):
    """An object instance on one frame."""

    frame: int
    coordinates: Coordinates
    confidence: float = 1.0
    manual_annotation: bool = True
    created_by: str | None = None
    created_at: datetime | None = None


class ClassificationAnnotation(NamedTuple):
    """A classification instance on one frame."""

    frame: int
    confidence: float = 1.0
    manual_annotation: bool = True
    created_by: str | None = None
    created_at: datetime | None = None


class Owner(Protocol):
    """The label row an instance belongs to, as the instance sees it."""

    @property
    def number_of_frames(self) -> int: ...

    @property
    def width(self) -> int | None: ...

    @property
    def height(self) -> int | None: ...

    def _touch(self) -> None: ...

    def _clashes(self, instance: ClassificationInstance, frames: list[int]) -> dict[str, list[int]]:
        """Other instances of the same classification on any of ``frames``: hash -> frames."""
        ...


def new_hash() -> str:
    """A fresh random instance hash (12 hex digits)."""
    return os.urandom(6).hex()


def frames_for(ident: str, frames: Frames) -> list[int]:
    """:func:`normalise_frames` with the instance named in the error."""
    try:
        return normalise_frames(frames)
    except LabelError as exc:
        raise LabelError(f"{ident}: {exc}") from None


def check_in_range(ident: str, frames: list[int], number_of_frames: int) -> None:
    """:class:`LabelError` if any frame is past the data item's last frame."""
    if frames and frames[-1] >= number_of_frames:
        beyond = [f for f in frames if f >= number_of_frames]
        where = f"{ident}, frame {beyond[0]}" if ident else f"frame {beyond[0]}"
        raise LabelError(
            f"{where}: beyond the data item, which has "
            f"{number_of_frames} frame(s) (0..{number_of_frames - 1})"
        )


def check_confidence(ident: str, confidence: object) -> float:
    """``confidence`` as a float in 0..1, or :class:`LabelError`."""
    if isinstance(confidence, Real) and not isinstance(confidence, bool):
        value = float(confidence)
        if 0.0 <= value <= 1.0:
            return value
    raise LabelError(f"{ident}: confidence must be a number in 0..1, got {confidence!r}")


def check_flag(ident: str, name: str, value: object) -> bool:
    """``value`` if it is a bool, else :class:`LabelError`."""
    if isinstance(value, bool):
        return value
    raise LabelError(f"{ident}: {name} must be true or false, got {value!r}")


def check_creation(ident: str, created_by: object, created_at: object) -> None:
    """:class:`LabelError` unless ``created_by`` is a str and ``created_at`` an aware datetime."""
    if created_by is not None and not isinstance(created_by, str):
        raise LabelError(f"{ident}: created_by must be a str, got {created_by!r}")
    if created_at is not None and (
        not isinstance(created_at, datetime) or created_at.tzinfo is None
    ):
        raise LabelError(
            f"{ident}: created_at must be a timezone-aware datetime, got {created_at!r}"
        )
