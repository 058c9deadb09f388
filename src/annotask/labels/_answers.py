"""Answers to questions: checking what a caller gives, nesting, and the document form.

Stored values: radio -> the :class:`Option`; checklist -> a tuple of options in ontology
order; text -> str; numeric -> int or float. In the document an option is its feature hash.
A nested question may only be answered while the option it hangs on is selected; changing
or deleting an answer drops the answers nested under options no longer selected.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from annotask.errors import LabelError
from annotask.labels._numbers import as_real
from annotask.labels._text import storable_text
from annotask.labels.ontology_model import (
    Attribute,
    AttributeType,
    Option,
    Question,
    QuestionTree,
)
from annotask.limits import shown

__all__ = [
    "Answer",
    "AnswerInput",
    "AnswerValue",
    "coerce",
    "decode",
    "describe",
    "drop",
    "encode",
    "parent_problem",
    "public",
]

AnswerValue = Option | tuple[Option, ...] | str | int | float
"""An answer as stored."""

Answer = Option | list[Option] | str | int | float
"""An answer as ``get_answer`` returns it."""

AnswerInput = Option | str | int | float | Sequence[Option | str] | AbstractSet[Option | str]
"""An answer as ``set_answer`` takes it: options may be given by name or feature hash."""


def describe(question: Question) -> str:
    """``attribute 'occluded'`` or ``classification 'weather'``."""
    kind = "attribute" if isinstance(question, Attribute) else "classification"
    return f"{kind} {question.name!r}"


def _expected(question: Question) -> str:
    names = ", ".join(repr(o.name) for o in question.options)
    if question.type is AttributeType.RADIO:
        return f"one of the options {names} (an Option or its name)"
    return f"a list of the options {names}"


def _option(question: Question, given: object) -> Option:
    if isinstance(given, Option):
        found = question.find_option(given.feature_hash)
        if found is not None and found.feature_hash == given.feature_hash:
            return found
    elif isinstance(given, str):
        found = question.find_option(given)
        if found is not None:
            return found
    raise LabelError(f"{describe(question)} expects {_expected(question)}, got {given!r}")


def coerce(question: Question, answer: object) -> AnswerValue:
    """Check ``answer`` against ``question``; the value to store, or :class:`LabelError`."""
    kind = question.type
    if kind is AttributeType.RADIO:
        if isinstance(answer, list | tuple | set | frozenset):
            raise LabelError(
                f"{describe(question)} is a radio question and takes one answer, "
                f"got {len(answer)}: {_expected(question)}"
            )
        return _option(question, answer)
    if kind is AttributeType.CHECKLIST:
        if not isinstance(answer, list | tuple | set | frozenset):
            raise LabelError(f"{describe(question)} expects {_expected(question)}, got {answer!r}")
        chosen = {_option(question, a).feature_hash for a in answer}
        return tuple(o for o in question.options if o.feature_hash in chosen)
    if kind is AttributeType.TEXT:
        if not isinstance(answer, str):
            raise LabelError(f"{describe(question)} expects a str, got {shown(answer)}")
        if not storable_text(answer):
            raise LabelError(
                f"{describe(question)}: a text answer cannot hold a NUL character or an "
                "unpaired surrogate"
            )
        return answer
    return _number(question, answer)


def _number(question: Question, answer: object) -> int | float:
    value = as_real(answer)
    if value is not None and math.isfinite(value):
        return answer if isinstance(answer, int) else value
    raise LabelError(f"{describe(question)} expects a finite number, got {shown(answer)}")


def public(value: AnswerValue) -> Answer:
    """The stored value as callers see it (checklists as lists)."""
    return list(value) if isinstance(value, tuple) else value


def encode(value: AnswerValue) -> Any:
    """Document form: options become their feature hashes."""
    if isinstance(value, Option):
        return value.feature_hash
    if isinstance(value, tuple):
        return [o.feature_hash for o in value]
    return value


def _decode_option(question: Question, raw: object, unknown: set[str]) -> Option | None:
    if not isinstance(raw, str):
        raise LabelError(f"{describe(question)}: an option must be given by its feature hash")
    found = question.find_option(raw)
    if found is None or found.feature_hash != raw:
        unknown.add(raw)
        return None
    return found


def decode(question: Question, raw: object, unknown: set[str]) -> AnswerValue | None:
    """Inverse of :func:`encode`; unknown option hashes go to ``unknown`` (and give None)."""
    kind = question.type
    if kind is AttributeType.RADIO:
        found = question._option_index.get(raw) if type(raw) is str else None
        if found is not None and found.feature_hash == raw:
            return found
        return _decode_option(question, raw, unknown)
    if kind is AttributeType.TEXT and type(raw) is str and storable_text(raw):
        return raw
    if kind is AttributeType.CHECKLIST:
        if not isinstance(raw, list):
            raise LabelError(f"{describe(question)}: a checklist answer must be a list")
        options = [_decode_option(question, r, unknown) for r in raw]
        return tuple(o for o in options if o is not None)
    return coerce(question, raw)


def selected(value: AnswerValue | None, option: Option) -> bool:
    """Whether ``option`` is chosen in ``value``."""
    if isinstance(value, Option):
        return value.feature_hash == option.feature_hash
    if isinstance(value, tuple):
        return any(o.feature_hash == option.feature_hash for o in value)
    return False


def parent_problem(
    tree: QuestionTree, question: Question, answers: dict[str, AnswerValue]
) -> str | None:
    """Why ``question`` cannot be answered given ``answers``, or None if it can."""
    parent = tree.parents.get(question.feature_hash)
    if parent is None:
        return None
    above, option = parent
    if selected(answers.get(above.feature_hash), option):
        return None
    return (
        f"{describe(question)} is asked only when {above.name!r} has option {option.name!r} "
        f"selected; answer that first"
    )


def drop(answers: dict[str, AnswerValue], question: Question, keep: AnswerValue | None) -> None:
    """Remove answers nested under options of ``question`` that ``keep`` does not select."""
    for option in question.options:
        if not selected(keep, option):
            _drop_under(answers, option.questions)


def _drop_under(answers: dict[str, AnswerValue], questions: Iterable[Question]) -> None:
    for question in questions:
        if answers.pop(question.feature_hash, None) is not None:
            for option in question.options:
                _drop_under(answers, option.questions)
