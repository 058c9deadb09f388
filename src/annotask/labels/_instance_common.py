"""What object and classification instances share: per-frame annotations and their owner."""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NamedTuple, Protocol, TypeVar, cast

from annotask.errors import LabelError
from annotask.labels._answers import AnswerValue
from annotask.labels._frames import Frames, normalise_frames
from annotask.labels._numbers import as_real
from annotask.labels._text import name_problem
from annotask.labels.coordinates import Coordinates
from annotask.labels.ontology_model import Classification, ObjectClass
from annotask.limits import shown

if TYPE_CHECKING:
    from annotask.labels.classification_instance import ClassificationInstance
    from annotask.labels.object_instance import ObjectInstance

__all__ = [
    "Annotation",
    "ClassificationAnnotation",
    "ClassificationFrame",
    "InstanceBase",
    "ObjectFrame",
    "Owner",
    "check_annotation_fields",
    "check_confidence",
    "check_in_range",
    "frames_for",
    "new_hash",
]


class ObjectFrame(NamedTuple):
    """What an object instance holds on one frame (stored per frame; read by the document
    codec directly)."""

    frame: int
    coordinates: Coordinates
    confidence: float = 1.0
    manual_annotation: bool = True
    created_by: str | None = None
    created_at: datetime | None = None


class ClassificationFrame(NamedTuple):
    """What a classification instance holds on one frame."""

    frame: int
    confidence: float = 1.0
    manual_annotation: bool = True
    created_by: str | None = None
    created_at: datetime | None = None


F = TypeVar("F", ObjectFrame, ClassificationFrame)


class _FrameAnnotation(Generic[F]):
    """An instance on one frame, read and written through: setting a property changes the
    instance (and marks its label row changed), as the seed's annotations do."""

    __slots__ = ("_frame", "_instance")

    _instance: InstanceBase[F, Any]

    def __init__(self, instance: InstanceBase[F, Any], frame: int) -> None:
        self._instance = instance
        self._frame = frame

    def _data(self) -> F:
        found = self._instance._annotations.get(self._frame)
        if found is None:
            raise LabelError(
                f"{self._instance._ident(self._frame)}: this annotation is gone (the instance "
                "was taken off the frame)"
            )
        return found

    def _write(self, data: F) -> None:
        self._instance._annotations[self._frame] = data
        self._instance._touch()

    @property
    def frame(self) -> int:
        """The frame number."""
        return self._frame

    @property
    def confidence(self) -> float:
        """How sure the annotator (or model) is, 0..1."""
        return self._data().confidence

    @confidence.setter
    def confidence(self, value: float) -> None:
        checked = check_confidence(self._instance._ident(self._frame), value)
        self._write(self._data()._replace(confidence=checked))

    @property
    def manual_annotation(self) -> bool:
        """Whether a person (not a model) made it."""
        return self._data().manual_annotation

    @manual_annotation.setter
    def manual_annotation(self, value: bool) -> None:
        flag = check_flag(self._instance._ident(self._frame), "manual_annotation", value)
        self._write(self._data()._replace(manual_annotation=flag))

    @property
    def created_by(self) -> str | None:
        """Who made it, if recorded."""
        return self._data().created_by

    @created_by.setter
    def created_by(self, value: str | None) -> None:
        data = self._data()
        check_creation(self._instance._ident(self._frame), value, data.created_at)
        self._write(data._replace(created_by=value))

    @property
    def created_at(self) -> datetime | None:
        """When it was made (timezone-aware), if recorded."""
        return self._data().created_at

    @created_at.setter
    def created_at(self, value: datetime | None) -> None:
        data = self._data()
        check_creation(self._instance._ident(self._frame), data.created_by, value)
        self._write(data._replace(created_at=value))

    def _astuple(self) -> tuple[object, ...]:
        return tuple(self._data())

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _FrameAnnotation)  # for the type checker
        return self._astuple() == other._astuple()

    __hash__ = None  # type: ignore[assignment]  # mutable: compared by value, not hashable

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._data()._asdict().items())
        return f"{type(self).__name__}({fields})"


class Annotation(_FrameAnnotation[ObjectFrame]):
    """An object instance on one frame (from ``get_annotation``): coordinates, confidence,
    ``manual_annotation``, ``created_by``, ``created_at``; each can be set."""

    __slots__ = ()

    @property
    def coordinates(self) -> Coordinates:
        """Where the object is on this frame."""
        return self._data().coordinates

    @coordinates.setter
    def coordinates(self, value: Coordinates) -> None:
        data = self._data()
        instance = cast("ObjectInstance", self._instance)
        # the instance checks the shape and the data item's size, and writes the frame
        instance.set_for_frames(
            value,
            self._frame,
            overwrite=True,
            confidence=data.confidence,
            manual_annotation=data.manual_annotation,
            created_by=data.created_by,
            created_at=data.created_at,
        )


class ClassificationAnnotation(_FrameAnnotation[ClassificationFrame]):
    """A classification instance on one frame (from ``get_annotation``): confidence,
    ``manual_annotation``, ``created_by``, ``created_at``; each can be set."""

    __slots__ = ()


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


V = TypeVar("V", Annotation, ClassificationAnnotation)


class InstanceBase(Generic[F, V]):
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
        self._annotations: dict[int, F] = {}
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

    def _view(self, frame: int) -> V:
        """The annotation object of ``frame``."""
        raise NotImplementedError

    def get_annotations(self) -> list[V]:
        """The annotations, by frame (each reads and writes this instance)."""
        view = self._view
        return [view(f) for f in sorted(self._annotations)]

    def get_annotation(self, frame: int = 0) -> V:
        """The annotation on ``frame``; :class:`LabelError` if the instance is not on it.
        Setting its properties (``confidence``, ``coordinates``, …) changes the instance."""
        if frame not in self._annotations:
            raise LabelError(
                f"{self._ident(frame)}: {self._ABSENT}; frames: {sorted(self._annotations)}"
            )
        return self._view(frame)

    def get_annotation_frames(self) -> set[int]:
        """The frames the instance is on."""
        return set(self._annotations)

    def _touch(self) -> None:
        if self._owner is not None:
            self._owner._touch()
