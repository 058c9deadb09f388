"""The seed's SDK names for the parts of an ontology, for agents that ``isinstance`` them.

``Object`` is :class:`ObjectClass`. ``RadioAttribute``, ``ChecklistAttribute``,
``TextAttribute`` and ``NumericAttribute`` match any question (object attribute or
classification) of that type; ``NestableOption`` and ``FlatOption`` match any option. They
are kinds to test against (``isinstance(attribute, RadioAttribute)``, ``type_=`` in
:meth:`Ontology.get_child_by_hash`), not classes to build: ontologies are built from their
definitions.
"""

from __future__ import annotations

from typing import Any, ClassVar

from annotask.labels.ontology_model import Attribute, AttributeType, Classification, ObjectClass
from annotask.labels.ontology_model import Option as _Option

__all__ = [
    "ChecklistAttribute",
    "FlatOption",
    "NestableOption",
    "NumericAttribute",
    "Object",
    "RadioAttribute",
    "TextAttribute",
]

Object = ObjectClass
"""The seed's name for an object class."""


class _Kind(type):
    """A class whose ``isinstance`` asks the object's kind instead of its class."""

    matches: Any

    def __instancecheck__(cls, instance: object) -> bool:
        return bool(cls.matches(instance))


class _QuestionKind(metaclass=_Kind):
    answer_type: ClassVar[AttributeType]

    def __init__(self) -> None:
        raise TypeError(
            f"{type(self).__name__} is a kind to test with isinstance(); build ontologies "
            "from a definition (Ontology.from_dict)"
        )

    @classmethod
    def matches(cls, instance: object) -> bool:
        """Whether ``instance`` is a question of this kind."""
        return isinstance(instance, Attribute | Classification) and (
            instance.type is cls.answer_type
        )


class RadioAttribute(_QuestionKind):
    """Any question answered with one option."""

    answer_type = AttributeType.RADIO


class ChecklistAttribute(_QuestionKind):
    """Any question answered with several options."""

    answer_type = AttributeType.CHECKLIST


class TextAttribute(_QuestionKind):
    """Any question answered with text."""

    answer_type = AttributeType.TEXT


class NumericAttribute(_QuestionKind):
    """Any question answered with a number."""

    answer_type = AttributeType.NUMERIC


class _OptionKind(metaclass=_Kind):
    def __init__(self) -> None:
        raise TypeError(f"{type(self).__name__} is a kind to test with isinstance()")

    @classmethod
    def matches(cls, instance: object) -> bool:
        """Whether ``instance`` is an option."""
        return isinstance(instance, _Option)


class NestableOption(_OptionKind):
    """An option of a radio question (it may nest questions)."""


class FlatOption(_OptionKind):
    """An option of a checklist question."""
