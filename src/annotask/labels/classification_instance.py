"""One answer to a classification (weather: snow) over a range of frames."""

from __future__ import annotations

from datetime import datetime

from annotask.errors import LabelError, NotFoundError
from annotask.labels import _answers
from annotask.labels._answers import Answer, AnswerInput, AnswerValue
from annotask.labels._frames import Frames
from annotask.labels._instance_common import (
    ClassificationAnnotation,
    ClassificationFrame,
    InstanceBase,
    Owner,
    check_annotation_fields,
    check_in_range,
    frames_for,
)
from annotask.labels.ontology_model import Attribute, Classification, Question

__all__ = ["ClassificationInstance"]


class ClassificationInstance(InstanceBase[ClassificationFrame, ClassificationAnnotation]):
    """An instance of a classification: the frames it covers and its answers.

    The answers (the classification's own and those nested under its options) hold for all
    of its frames. In a label row, two instances of one classification may not share a frame.
    """

    __slots__ = ("_classification",)

    _HASH_NAME = "classification_hash"
    _ABSENT = "not on this frame"

    def __init__(
        self, ontology_classification: Classification, classification_hash: str | None = None
    ) -> None:
        if not isinstance(ontology_classification, Classification):
            raise LabelError(
                f"a ClassificationInstance needs a Classification, got {ontology_classification!r}"
            )
        super().__init__(classification_hash)
        self._classification = ontology_classification

    @property
    def ontology_item(self) -> Classification:
        """The classification this instance answers."""
        return self._classification

    @property
    def classification_hash(self) -> str:
        """This instance's id within its label row."""
        return self._hash

    @property
    def classification_name(self) -> str:
        """The name of the classification."""
        return self._classification.name

    def _view(self, frame: int) -> ClassificationAnnotation:
        return ClassificationAnnotation(self, frame)

    # -- frames --------------------------------------------------------------------------

    def set_for_frames(
        self,
        frames: Frames = 0,
        *,
        overwrite: bool = False,
        confidence: float = 1.0,
        manual_annotation: bool = True,
        created_by: str | None = None,
        created_at: datetime | None = None,
    ) -> None:
        """Put the classification on ``frames`` (int, list, set or range).

        In a label row, a frame that already carries this classification (this instance or
        another) is refused unless ``overwrite=True``, as in the seed; with it, this
        instance's data on its own frames is replaced (another instance's frames stay
        refused: ``add_classification_instance(force=True)`` takes them).
        """
        ident = self._ident()
        frame_list = frames_for(ident, frames)
        if not overwrite and self._owner is not None:
            taken = [f for f in frame_list if f in self._annotations]
            if taken:
                raise LabelError(
                    f"{self._ident(taken[0])}: the classification is already on frame(s) "
                    f"{taken}; pass overwrite=True to replace its data there"
                )
        confidence = check_annotation_fields(
            ident, confidence, manual_annotation, created_by, created_at
        )
        if self._owner is not None:
            self._check_against(self._owner, frame_list)
        for frame in frame_list:
            self._annotations[frame] = ClassificationFrame(
                frame, confidence, manual_annotation, created_by, created_at
            )
        self._touch()

    def _check_against(self, owner: Owner, frames: list[int] | None = None) -> None:
        """Check ``frames`` (default: all of this instance's) against the label row."""
        frame_list = sorted(self._annotations) if frames is None else frames
        check_in_range(self._ident(), frame_list, owner.number_of_frames)
        self._check_clashes(owner, frame_list)

    def _check_clashes(self, owner: Owner, frames: list[int]) -> None:
        clashes = owner._clashes(self, frames)
        if clashes:
            other, shared = next(iter(clashes.items()))
            raise LabelError(
                f"{self._ident(shared[0])}: frame(s) {shared} already carry "
                f"{self._classification.name!r} instance {other}; a classification takes one "
                "instance per frame (add_classification_instance(force=True) replaces it)"
            )

    def remove_from_frames(self, frames: Frames) -> None:
        """Take the instance off ``frames``; absent frames are skipped."""
        removed = [f for f in frames_for(self._ident(), frames) if self._annotations.pop(f, None)]
        if removed:
            self._touch()

    # -- answers -------------------------------------------------------------------------

    def _question(self, attribute: Question | str | None) -> Question:
        tree = self._classification.tree
        if attribute is None:
            return self._classification
        if isinstance(attribute, Attribute | Classification):
            if tree.contains(attribute):
                return attribute
            raise LabelError(
                f"{self._ident()}: {attribute.name!r} is not a question of "
                f"{self._classification.name!r}"
            )
        try:
            return tree.get(attribute)
        except NotFoundError as exc:
            raise LabelError(f"{self._ident()}: {exc}") from exc

    def set_answer(
        self,
        answer: AnswerInput,
        attribute: Question | str | None = None,
        overwrite: bool = False,
    ) -> None:
        """Answer the classification (default) or a question nested under its options.

        Radio: an Option or option name; checklist: a list of them; text: str; numeric: a
        number. A nested question needs its option selected first. An answered question is
        refused unless ``overwrite=True`` (as in the seed).
        """
        question = self._question(attribute)
        try:
            value = _answers.coerce(question, answer)
        except LabelError as exc:
            raise LabelError(f"{self._ident()}: {exc}") from None
        problem = _answers.parent_problem(self._classification.tree, question, self._answers)
        if problem is not None:
            raise LabelError(f"{self._ident()}: {problem}")
        if not overwrite and question.feature_hash in self._answers:
            raise LabelError(
                f"{self._ident()}: {_answers.describe(question)} is already answered; "
                "pass overwrite=True to replace the answer"
            )
        self._answers[question.feature_hash] = value
        _answers.drop(self._answers, question, value)
        self._touch()

    def get_answer(self, attribute: Question | str | None = None) -> Answer | None:
        """The answer to the classification (default) or a nested question; None if unanswered."""
        value = self._answers.get(self._question(attribute).feature_hash)
        return None if value is None else _answers.public(value)

    def delete_answer(self, attribute: Question | str | None = None) -> None:
        """Remove the answer and the answers nested under it."""
        question = self._question(attribute)
        if self._answers.pop(question.feature_hash, None) is not None:
            _answers.drop(self._answers, question, None)
            self._touch()

    # -- copies and ownership ------------------------------------------------------------

    def copy(self) -> ClassificationInstance:
        """A copy with a new classification hash, in no label row."""
        twin = ClassificationInstance(self._classification)
        twin._annotations = dict(self._annotations)
        twin._answers = dict(self._answers)
        return twin

    @classmethod
    def _restore(
        cls,
        classification: Classification,
        classification_hash: str,
        annotations: dict[int, ClassificationFrame],
        answers: dict[str, AnswerValue],
    ) -> ClassificationInstance:
        """Rebuild from already-checked document parts (no checks here)."""
        instance = cls.__new__(cls)
        instance._classification = classification
        instance._hash = classification_hash
        instance._annotations = annotations
        instance._answers = answers
        instance._owner = None
        return instance
