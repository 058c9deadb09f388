"""One object (a car, a person) across the frames it appears on, with its answers."""

from __future__ import annotations

from datetime import datetime

from annotask.errors import LabelError, NotFoundError
from annotask.labels import _answers
from annotask.labels._answers import Answer, AnswerInput, AnswerValue
from annotask.labels._frames import Frames
from annotask.labels._instance_common import (
    Annotation,
    InstanceBase,
    ObjectFrame,
    Owner,
    check_annotation_fields,
    check_in_range,
    frames_for,
)
from annotask.labels.coordinates import (
    SHAPE_COORDINATES,
    BitmaskCoordinates,
    Coordinates,
    SkeletonCoordinates,
)
from annotask.labels.ontology_model import Attribute, ObjectClass

__all__ = ["ObjectInstance"]


class ObjectInstance(InstanceBase[ObjectFrame, Annotation]):
    """An instance of an object class: coordinates per frame, static and dynamic answers.

    Every change is checked in full before anything is changed; a failing call raises
    :class:`LabelError` naming the object, the frame and what was expected, and leaves the
    instance as it was. Frames are checked against the label row once the instance is in one.
    """

    __slots__ = ("_dynamic", "_object")

    _HASH_NAME = "object_hash"
    _ABSENT = "not annotated on this frame"

    def __init__(self, ontology_object: ObjectClass, object_hash: str | None = None) -> None:
        if not isinstance(ontology_object, ObjectClass):
            raise LabelError(f"an ObjectInstance needs an ObjectClass, got {ontology_object!r}")
        super().__init__(object_hash)
        self._object = ontology_object
        self._dynamic: dict[int, dict[str, AnswerValue]] = {}

    # -- identity ------------------------------------------------------------------------

    @property
    def ontology_item(self) -> ObjectClass:
        """The object class of this instance."""
        return self._object

    @property
    def object_hash(self) -> str:
        """This instance's id within its label row."""
        return self._hash

    @property
    def object_name(self) -> str:
        """The name of the object class."""
        return self._object.name

    def _view(self, frame: int) -> Annotation:
        return Annotation(self, frame)

    # -- coordinates ---------------------------------------------------------------------

    def set_for_frames(
        self,
        coordinates: Coordinates,
        frames: Frames = 0,
        *,
        overwrite: bool = False,
        confidence: float = 1.0,
        manual_annotation: bool = True,
        created_by: str | None = None,
        created_at: datetime | None = None,
    ) -> None:
        """Place the object at ``coordinates`` on ``frames`` (int, list, set or range).

        A frame the object is already on is refused (:class:`LabelError`) unless
        ``overwrite=True``, which replaces what it holds there.
        """
        ident = self._ident()
        frame_list = frames_for(ident, frames)
        self._check_coordinates(coordinates)
        confidence = check_annotation_fields(
            ident, confidence, manual_annotation, created_by, created_at
        )
        if not overwrite and self._annotations:
            taken = [f for f in frame_list if f in self._annotations]
            if taken:
                raise LabelError(
                    f"{self._ident(taken[0])}: the object is already on frame(s) {taken}; "
                    "pass overwrite=True to replace its coordinates there"
                )
        if self._owner is not None:
            self._check_fits(self._owner, frame_list, coordinates)
        for frame in frame_list:
            self._annotations[frame] = ObjectFrame(
                frame, coordinates, confidence, manual_annotation, created_by, created_at
            )
        self._touch()

    def _check_coordinates(self, coordinates: object) -> None:
        expected = SHAPE_COORDINATES[self._object.shape]
        if type(coordinates) is not expected:
            raise LabelError(
                f"{self._ident()}: a {self._object.shape.value} object takes "
                f"{expected.__name__}, got {type(coordinates).__name__}"
            )
        if isinstance(coordinates, SkeletonCoordinates):
            unknown = sorted(set(coordinates.keypoints) - set(self._object.keypoints))
            if unknown:
                raise LabelError(
                    f"{self._ident()}: unknown keypoint(s) {', '.join(map(repr, unknown))}; "
                    f"keypoints: {', '.join(map(repr, self._object.keypoints))}"
                )

    def _check_fits(self, owner: Owner, frames: list[int], coordinates: Coordinates) -> None:
        check_in_range(self._ident(), frames, owner.number_of_frames)
        if not isinstance(coordinates, BitmaskCoordinates) or None in (owner.width, owner.height):
            return
        size = (coordinates.height, coordinates.width)
        if size != (owner.height, owner.width):
            raise LabelError(
                f"{self._ident(frames[0])}: bitmask is {size[0]}x{size[1]} (height x width), "
                f"the data item is {owner.height}x{owner.width}"
            )

    def _check_against(self, owner: Owner) -> None:
        """Check every frame against ``owner`` (used when adding to a label row)."""
        for frame, annotation in self._annotations.items():
            self._check_fits(owner, [frame], annotation.coordinates)

    def remove_from_frames(self, frames: Frames) -> None:
        """Take the object (and its dynamic answers) off ``frames``; absent frames are skipped."""
        frame_list = frames_for(self._ident(), frames)
        removed = False
        for frame in frame_list:
            if self._annotations.pop(frame, None) is not None:
                removed = True
            self._dynamic.pop(frame, None)
        if removed:
            self._touch()

    # -- answers -------------------------------------------------------------------------

    def _attribute(self, attribute: Attribute | str) -> Attribute:
        tree = self._object.tree
        if isinstance(attribute, Attribute):
            if tree.contains(attribute):
                return attribute
            known = ", ".join(repr(q.name) for q in tree) or "none"
            raise LabelError(
                f"{self._ident()}: {attribute.name!r} is not an attribute of "
                f"{self._object.name!r}; its attributes: {known}"
            )
        try:
            return self._object.get_attribute(attribute)
        except NotFoundError as exc:
            raise LabelError(f"{self._ident()}: {exc}") from exc

    def _coerce(self, attribute: Attribute, answer: object) -> AnswerValue:
        try:
            return _answers.coerce(attribute, answer)
        except LabelError as exc:
            raise LabelError(f"{self._ident()}: {exc}") from None

    def set_answer(
        self,
        answer: AnswerInput,
        attribute: Attribute | str,
        frames: Frames | None = None,
        overwrite: bool = False,
    ) -> None:
        """Answer ``attribute`` (an Attribute, or its name or hash).

        Radio: an Option or option name; checklist: a list of them; text: str; numeric: a
        number. Dynamic attributes are answered on ``frames`` (default: every annotated
        frame), which must be annotated, replacing answers there; static attributes take no
        frames, and an answered one is refused unless ``overwrite=True`` (as in the seed).
        """
        question = self._attribute(attribute)
        value = self._coerce(question, answer)
        if not question.dynamic:
            if frames is not None:
                raise LabelError(
                    f"{self._ident()}: {_answers.describe(question)} is static (one answer for "
                    f"all frames); call set_answer without frames"
                )
            if not overwrite and question.feature_hash in self._answers:
                raise LabelError(
                    f"{self._ident()}: {_answers.describe(question)} is already answered; "
                    "pass overwrite=True to replace the answer"
                )
            self._check_parent(question, self._answers, None)
            _store(self._answers, question, value)
        else:
            frame_list = self._dynamic_frames(question, frames)
            for frame in frame_list:
                self._check_parent(question, self._dynamic.get(frame, {}), frame)
            for frame in frame_list:
                _store(self._dynamic.setdefault(frame, {}), question, value)
        self._touch()

    def _check_parent(
        self, question: Attribute, answers: dict[str, AnswerValue], frame: int | None
    ) -> None:
        problem = _answers.parent_problem(self._object.tree, question, answers)
        if problem is not None:
            raise LabelError(f"{self._ident(frame)}: {problem}")

    def _dynamic_frames(self, question: Attribute, frames: Frames | None) -> list[int]:
        if frames is None:
            if not self._annotations:
                raise LabelError(
                    f"{self._ident()}: {_answers.describe(question)} is dynamic and the object "
                    "is on no frame yet; call set_for_frames first"
                )
            return sorted(self._annotations)
        frame_list = frames_for(self._ident(), frames)
        for frame in frame_list:
            if frame not in self._annotations:
                raise LabelError(
                    f"{self._ident(frame)}: not annotated on this frame, so "
                    f"{_answers.describe(question)} cannot be answered there; "
                    f"annotated frames: {sorted(self._annotations)}"
                )
        return frame_list

    def get_answer(self, attribute: Attribute | str, frame: int | None = None) -> Answer | None:
        """The answer to ``attribute``, or None if unanswered.

        Static attributes: ``frame`` is ignored (the answer holds on every frame). Dynamic
        attributes need ``frame``; :meth:`get_dynamic_answers` gives them all.
        """
        question = self._attribute(attribute)
        if not question.dynamic:
            value = self._answers.get(question.feature_hash)
        elif frame is None:
            raise LabelError(
                f"{self._ident()}: {_answers.describe(question)} is dynamic; pass frame=, "
                "or call get_dynamic_answers() for every frame"
            )
        else:
            value = self._dynamic.get(frame, {}).get(question.feature_hash)
        return None if value is None else _answers.public(value)

    def get_dynamic_answers(self, attribute: Attribute | str) -> dict[int, Answer]:
        """Frame -> answer for a dynamic attribute, on the frames where it is answered."""
        question = self._attribute(attribute)
        if not question.dynamic:
            raise LabelError(
                f"{self._ident()}: {_answers.describe(question)} is static; use get_answer()"
            )
        key = question.feature_hash
        return {
            frame: _answers.public(answers[key])
            for frame, answers in sorted(self._dynamic.items())
            if key in answers
        }

    def delete_answer(self, attribute: Attribute | str, frames: Frames | None = None) -> None:
        """Remove the answer (and answers nested under it); dynamic: on ``frames`` or all."""
        question = self._attribute(attribute)
        if not question.dynamic:
            if frames is not None:
                raise LabelError(
                    f"{self._ident()}: {_answers.describe(question)} is static; give no frames"
                )
            targets = [self._answers]
        else:
            chosen = None if frames is None else set(frames_for(self._ident(), frames))
            targets = [a for f, a in self._dynamic.items() if chosen is None or f in chosen]
        for answers in targets:
            if answers.pop(question.feature_hash, None) is not None:
                _answers.drop(answers, question, None)
        self._touch()

    # -- checks ------------------------------------------------------------------------

    def is_valid(self) -> None:
        """Check the instance is complete, as the seed does: :class:`LabelError` if it is on
        no frame, or holds dynamic answers on frames it is not on; returns None otherwise."""
        if not self._annotations:
            raise LabelError(
                f"{self._ident()}: on no frame; place it with set_for_frames(coordinates, frame)"
            )
        stray = sorted(
            f for f, answers in self._dynamic.items() if answers and f not in self._annotations
        )
        if stray:
            raise LabelError(
                f"{self._ident()}: dynamic answers on frame(s) {stray}, where the object has "
                "no coordinates; set_for_frames there or delete_answer(attribute, frames)"
            )

    # -- copies and ownership ------------------------------------------------------------

    def copy(self) -> ObjectInstance:
        """A copy with a new object hash, in no label row."""
        twin = ObjectInstance(self._object)
        twin._annotations = dict(self._annotations)
        twin._answers = dict(self._answers)
        twin._dynamic = {f: dict(a) for f, a in self._dynamic.items()}
        return twin

    @classmethod
    def _restore(
        cls,
        ontology_object: ObjectClass,
        object_hash: str,
        annotations: dict[int, ObjectFrame],
        answers: dict[str, AnswerValue],
        dynamic: dict[int, dict[str, AnswerValue]],
    ) -> ObjectInstance:
        """Rebuild from already-checked document parts (no checks here)."""
        instance = cls.__new__(cls)
        instance._object = ontology_object
        instance._hash = object_hash
        instance._annotations = annotations
        instance._answers = answers
        instance._dynamic = dynamic
        instance._owner = None
        return instance


def _store(answers: dict[str, AnswerValue], question: Attribute, value: AnswerValue) -> None:
    answers[question.feature_hash] = value
    _answers.drop(answers, question, value)
