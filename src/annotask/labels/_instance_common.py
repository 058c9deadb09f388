"""What object and classification instances share: per-frame annotations and their owner."""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Generic, NamedTuple, Protocol, TypeVar

from annotask.errors import LabelError
from annotask.labels._answers import AnswerValue
from annotask.labels._frames import Frames, normalise_frames
from annotask.labels._numbers import as_real, shown
from annotask.labels._text import name_problem
from annotask.labels.coordinates import Coordinates
from annotask.labels.ontology_model import Classification, ObjectClass

if TYPE_CHECKING:
    from annotask.labels.classification_instance import ClassificationInstance

__all__ = [
    "Annotation",
    "ClassificationAnnotation",
    "InstanceBase",
    "Owner",
    "check_annotation_fields",
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
    # plain floats first: the ABC check costs far more, and imports call this per object
    if type(confidence) is float:
        if 0.0 <= confidence <= 1.0:
            return confidence
    else:
        value = as_real(confidence)
        if value is not None and 0.0 <= value <= 1.0:
            return value
    raise LabelError(f"{ident}: confidence must be a number in 0..1, got {shown(confidence)}")


def check_flag(ident: str, name: str, value: object) -> bool:
    """``value`` if it is a bool, else :class:`LabelError`."""
    if isinstance(value, bool):
        return value
    raise LabelError(f"{ident}: {name} must be true or false, got {value!r}")


def check_creation(ident: str, created_by: object, created_at: object) -> None:
    """:class:`LabelError` unless ``created_by`` is a str and ``created_at`` an aware datetime."""
    problem = None if created_by is None else name_problem(created_by, empty_ok=True)
    if problem is not None:
        raise LabelError(f"{ident}: created_by {problem}")
    if created_at is not None and (
        not isinstance(created_at, datetime) or created_at.tzinfo is None
    ):
        raise LabelError(
            f"{ident}: created_at must be a timezone-aware datetime, got {created_at!r}"
        )


def check_annotation_fields(
    ident: str,
    confidence: object,
    manual_annotation: object,
    created_by: object,
    created_at: object,
) -> float:
    """Check what an annotation carries besides its frames and coordinates; the confidence."""
    value = check_confidence(ident, confidence)
    check_flag(ident, "manual_annotation", manual_annotation)
    check_creation(ident, created_by, created_at)
    return value


A = TypeVar("A", Annotation, ClassificationAnnotation)


class InstanceBase(Generic[A]):
    """An instance's id, its annotations by frame, its answers and the row it is in.

    :class:`~annotask.labels.ObjectInstance` and
    :class:`~annotask.labels.ClassificationInstance` add what their kind of item holds.
    """

    __slots__ = ("_annotations", "_answers", "_hash", "_owner")

    _HASH_NAME: ClassVar[str]
    """How messages name the instance's hash: ``object_hash``, ``classification_hash``."""
    _ABSENT: ClassVar[str]
    """What :meth:`get_annotation` says of a frame the instance is not on."""

    def __init__(self, instance_hash: str | None) -> None:
        problem = None if instance_hash is None else name_problem(instance_hash)
        if problem is not None:
            raise LabelError(f"{self._HASH_NAME} {problem}")
        self._hash = instance_hash or new_hash()
        self._annotations: dict[int, A] = {}
        self._answers: dict[str, AnswerValue] = {}
        self._owner: Owner | None = None

    @property
    def ontology_item(self) -> ObjectClass | Classification:
        """The ontology item this is an instance of."""
        raise NotImplementedError

    @property
    def feature_hash(self) -> str:
        """The feature hash of the ontology item."""
        return self.ontology_item.feature_hash

    def is_assigned_to_label_row(self) -> bool:
        """Whether the instance has been added to a label row."""
        return self._owner is not None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.ontology_item.name!r}, "
            f"{self._HASH_NAME}={self._hash!r}, frames={sorted(self._annotations)})"
        )

    def _ident(self, frame: int | None = None) -> str:
        where = f"{self.ontology_item.name} ({self._HASH_NAME} {self._hash})"
        return where if frame is None else f"{where}, frame {frame}"

    def get_annotations(self) -> list[A]:
        """The annotations, by frame."""
        return [self._annotations[f] for f in sorted(self._annotations)]

    def get_annotation(self, frame: int = 0) -> A:
        """The annotation on ``frame``; :class:`LabelError` if the instance is not on it."""
        found = self._annotations.get(frame)
        if found is None:
            raise LabelError(
                f"{self._ident(frame)}: {self._ABSENT}; frames: {sorted(self._annotations)}"
            )
        return found

    def get_annotation_frames(self) -> set[int]:
        """The frames the instance is on."""
        return set(self._annotations)

    def _touch(self) -> None:
        if self._owner is not None:
            self._owner._touch()
