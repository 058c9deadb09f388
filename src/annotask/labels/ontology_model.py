"""The parts of an ontology: object classes, classifications, attributes and options.

These are immutable values. Build them with :meth:`annotask.labels.Ontology.from_dict`, which
checks a whole definition at once and derives the feature hashes; the constructors here only
index what they are given.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from annotask.errors import NotFoundError

if TYPE_CHECKING:
    from annotask.labels.classification_instance import ClassificationInstance
    from annotask.labels.object_instance import ObjectInstance

__all__ = [
    "Attribute",
    "AttributeType",
    "Classification",
    "ObjectClass",
    "Option",
    "Question",
    "Shape",
]


KindFilter = type[Any] | None
"""A kind to filter ontology parts by (``ObjectClass``, ``RadioAttribute``, …), or None."""


class Shape(StrEnum):
    """The geometry of an object class; decides which coordinates its instances take."""

    BOUNDING_BOX = "bounding_box"
    ROTATABLE_BOUNDING_BOX = "rotatable_bounding_box"
    POLYGON = "polygon"
    POLYLINE = "polyline"
    POINT = "point"
    BITMASK = "bitmask"
    SKELETON = "skeleton"


class AttributeType(StrEnum):
    """The kind of answer a question (attribute or classification) takes."""

    RADIO = "radio"
    CHECKLIST = "checklist"
    TEXT = "text"
    NUMERIC = "numeric"


class _Parent:
    """The seed's child lookups, shared by every part that has parts beneath it."""

    __slots__ = ()

    name: str

    def _below(self) -> Iterator[Attribute | Option]:
        raise NotImplementedError

    def get_child_by_hash(self, feature_node_hash: str, type_: KindFilter = None) -> Any:
        """A question or option beneath this part, by feature hash (and kind)."""
        return find_child(self.name, self._below(), feature_node_hash, type_, by="hash")

    def get_child_by_title(self, title: str, type_: KindFilter = None) -> Any:
        """The first question or option beneath this part named ``title`` (of kind ``type_``)."""
        return find_child(self.name, self._below(), title, type_, by="title")

    def get_children_by_title(self, title: str, type_: KindFilter = None) -> list[Any]:
        """Every question or option beneath this part named ``title`` (of kind ``type_``)."""
        found = [c for c in self._below() if c.name == title]
        return found if type_ is None else [c for c in found if isinstance(c, type_)]


@dataclass(frozen=True, slots=True)
class Option(_Parent):
    """One choice of a radio or checklist question; may nest further questions."""

    name: str
    feature_hash: str
    questions: tuple[Attribute, ...] = ()

    @property
    def label(self) -> str:
        """The seed's name for :attr:`name`."""
        return self.name

    @property
    def title(self) -> str:
        """The seed's other name for :attr:`name`."""
        return self.name

    @property
    def value(self) -> str:
        """The option's value in exports: its name, lower case, spaces as underscores."""
        return self.name.lower().replace(" ", "_")

    @property
    def feature_node_hash(self) -> str:
        """The seed's name for :attr:`feature_hash`."""
        return self.feature_hash

    @property
    def nested_options(self) -> tuple[Attribute, ...]:
        """The seed's name for :attr:`questions` (the questions nested under this option)."""
        return self.questions

    @property
    def attributes(self) -> tuple[Attribute, ...]:
        """The questions nested under this option."""
        return self.questions

    def _below(self) -> Iterator[Attribute | Option]:
        return _questions_below(self.questions)


class _Choices(_Parent):
    """Option lookups shared by attributes and classifications."""

    __slots__ = ()

    name: str
    feature_hash: str
    options: tuple[Option, ...]
    _option_index: dict[str, Option]

    def get_option(self, name_or_hash: str) -> Option:
        """The option with this name or feature hash; :class:`NotFoundError` otherwise."""
        option = self._option_index.get(name_or_hash)
        if option is None:
            known = ", ".join(repr(o.name) for o in self.options) or "none"
            raise NotFoundError(f"{self.name!r} has no option {name_or_hash!r}; options: {known}")
        return option

    def find_option(self, name_or_hash: str) -> Option | None:
        """The option with this name or feature hash, or None."""
        return self._option_index.get(name_or_hash)

    @property
    def title(self) -> str:
        """The seed's name for :attr:`name`."""
        return self.name

    @property
    def feature_node_hash(self) -> str:
        """The seed's name for ``feature_hash``."""
        return self.feature_hash


def _index_options(options: tuple[Option, ...]) -> dict[str, Option]:
    index = {o.name: o for o in options}
    index.update({o.feature_hash: o for o in options})
    return index


@dataclass(frozen=True, slots=True)
class Attribute(_Choices):
    """A question asked about an object (or nested under an option).

    ``dynamic`` attributes are answered per frame; static ones once per instance.
    """

    name: str
    type: AttributeType
    feature_hash: str
    options: tuple[Option, ...] = ()
    dynamic: bool = False
    _option_index: dict[str, Option] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_option_index", _index_options(self.options))

    def _below(self) -> Iterator[Attribute | Option]:
        for option in self.options:
            yield option
            yield from _questions_below(option.questions)


@dataclass(frozen=True, slots=True)
class Classification(_Choices):
    """A question asked about a whole frame range of the data item; may nest questions."""

    name: str
    type: AttributeType
    feature_hash: str
    options: tuple[Option, ...] = ()
    _option_index: dict[str, Option] = field(init=False, repr=False, compare=False)
    _tree: QuestionTree = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_option_index", _index_options(self.options))
        object.__setattr__(self, "_tree", QuestionTree(self.name, (self,)))

    @property
    def dynamic(self) -> bool:
        """Classification answers hold for all frames of an instance: always False."""
        return False

    @property
    def tree(self) -> QuestionTree:
        """This classification and the questions nested under its options."""
        return self._tree

    @property
    def attributes(self) -> tuple[Classification]:
        """The seed's shape: a classification's question as its one attribute, so that
        ``classification.attributes[0].options`` are its options. Here the classification
        is its own question, so the attribute is the classification itself."""
        return (self,)

    def get_attribute(self, name_or_hash: str) -> Question:
        """This classification or a nested question, by name or feature hash."""
        return self._tree.get(name_or_hash)

    def _below(self) -> Iterator[Attribute | Option]:
        return part_children(self)

    def create_instance(self) -> ClassificationInstance:
        """A new, empty instance of this classification."""
        # instances build on the model: imported here, where one is made
        from annotask.labels.classification_instance import (  # noqa: PLC0415
            ClassificationInstance,
        )

        return ClassificationInstance(self)


Question = Attribute | Classification
"""Anything that takes an answer: an object attribute or a classification."""


@dataclass(frozen=True, slots=True)
class ObjectClass(_Parent):
    """An object class: a name, a shape and the attributes its instances answer.

    Skeleton classes also name their ``keypoints`` and the ``edges`` between them.
    """

    name: str
    shape: Shape
    feature_hash: str
    attributes: tuple[Attribute, ...] = ()
    keypoints: tuple[str, ...] = ()
    edges: tuple[tuple[str, str], ...] = ()
    _tree: QuestionTree = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tree", QuestionTree(self.name, self.attributes))

    @property
    def tree(self) -> QuestionTree:
        """The attributes of this class, nested ones included."""
        return self._tree

    def get_attribute(self, name_or_hash: str) -> Attribute:
        """An attribute (top-level or nested) by name or feature hash."""
        found = self._tree.get(name_or_hash)
        if not isinstance(found, Attribute):  # pragma: no cover - trees of objects hold attributes
            raise NotFoundError(f"{self.name!r} has no attribute {name_or_hash!r}")
        return found

    @property
    def title(self) -> str:
        """The seed's name for :attr:`name`."""
        return self.name

    @property
    def feature_node_hash(self) -> str:
        """The seed's name for :attr:`feature_hash`."""
        return self.feature_hash

    def _below(self) -> Iterator[Attribute | Option]:
        return part_children(self)

    def create_instance(self) -> ObjectInstance:
        """A new instance of this object class, with no frames yet."""
        # instances build on the model: imported here, where one is made
        from annotask.labels.object_instance import ObjectInstance  # noqa: PLC0415

        return ObjectInstance(self)


class QuestionTree:
    """Index of a tree of questions: by feature hash, by name, and each one's parent option."""

    __slots__ = ("_by_hash", "_by_name", "_owner", "parents")

    def __init__(self, owner: str, roots: tuple[Question, ...]) -> None:
        self._owner = owner
        self._by_hash: dict[str, Question] = {}
        self._by_name: dict[str, list[Question]] = {}
        self.parents: dict[str, tuple[Question, Option]] = {}
        """Feature hash of a nested question -> (the question above it, the option it hangs on)."""
        for question, parent in _walk(roots, None):
            self._by_hash[question.feature_hash] = question
            self._by_name.setdefault(question.name, []).append(question)
            if parent is not None:
                self.parents[question.feature_hash] = parent

    def __iter__(self) -> Iterator[Question]:
        return iter(self._by_hash.values())

    def by_hash(self, feature_hash: str) -> Question | None:
        """The question with this feature hash, or None."""
        return self._by_hash.get(feature_hash)

    def get(self, name_or_hash: str) -> Question:
        """The question with this feature hash or (unambiguous) name."""
        found = self._by_hash.get(name_or_hash)
        if found is not None:
            return found
        named = self._by_name.get(name_or_hash, [])
        if len(named) == 1:
            return named[0]
        if named:
            raise NotFoundError(
                f"{self._owner!r} has {len(named)} questions named {name_or_hash!r}; "
                "pass the Attribute object or its feature hash"
            )
        known = ", ".join(repr(n) for n in self._by_name) or "none"
        raise NotFoundError(f"{self._owner!r} has no attribute {name_or_hash!r}; known: {known}")

    def contains(self, question: Question) -> bool:
        """Whether this very question (by feature hash and content) belongs to the tree."""
        found = self._by_hash.get(question.feature_hash)
        return found is question or found == question


OntologyChild = ObjectClass | Classification | Attribute | Option
"""Any part of an ontology that has a feature hash."""


def part_children(part: ObjectClass | Classification) -> Iterator[Attribute | Option]:
    """The questions and options under an object class or classification, depth first (a
    classification is its own question, so it is not listed under itself)."""
    if isinstance(part, ObjectClass):
        yield from _questions_below(part.attributes)
        return
    for option in part.options:
        yield option
        yield from _questions_below(option.questions)


def _questions_below(questions: tuple[Attribute, ...]) -> Iterator[Attribute | Option]:
    for question in questions:
        yield question
        for option in question.options:
            yield option
            yield from _questions_below(option.questions)


def find_child(
    owner: str,
    children: Iterable[OntologyChild],
    key: str,
    type_: KindFilter,
    *,
    by: str,
) -> OntologyChild:
    """The first of ``children`` whose feature hash (``by="hash"``) or name (``by="title"``)
    is ``key`` and that is of kind ``type_``; :class:`NotFoundError` naming what there is."""
    listed = list(children)
    for child in listed:
        matches = child.feature_hash == key if by == "hash" else child.name == key
        if matches and (type_ is None or isinstance(child, type_)):
            return child
    kind = "" if type_ is None else f" of kind {type_.__name__}"
    what = "feature hash" if by == "hash" else "title"
    names = ", ".join(sorted({repr(c.name) for c in listed})) or "none"
    raise NotFoundError(f"{owner!r} has no part{kind} with {what} {key!r}; its parts: {names}")


def _walk(
    questions: tuple[Question, ...], parent: tuple[Question, Option] | None
) -> Iterator[tuple[Question, tuple[Question, Option] | None]]:
    for question in questions:
        yield question, parent
        for option in question.options:
            yield from _walk(option.questions, (question, option))
