"""Strings that name things in labels (instance hashes, ``created_by``): as long as any name
may be, and free of control characters, which a document would carry into every export.

Unlike :func:`annotask.limits.check_name` these are kept exactly as given (a document read
back must write the same bytes) and refused with a :class:`~annotask.errors.LabelError`."""

from __future__ import annotations

import re

from annotask.limits import NAME_MAX_CHARS, shown

__all__ = ["name_problem", "storable_text"]

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def name_problem(value: object, *, empty_ok: bool = False) -> str | None:
    """What is wrong with ``value`` as a name in labels (None: nothing), to follow the
    field's name in a message."""
    if type(value) is not str:
        return f"must be a string, got {shown(value)}"
    if len(value) > NAME_MAX_CHARS or not (value or empty_ok):
        return f"must be a string of 1..{NAME_MAX_CHARS} characters, got {shown(value)}"
    if not value.isprintable() and _CONTROL.search(value):
        return (
            "must be a string without control characters or unpaired surrogates, got "
            f"{shown(value)}"
        )
    return None


def storable_text(text: str) -> bool:
    """Whether free text (a text answer) can be stored: no NUL, which PostgreSQL refuses,
    and no unpaired surrogate, which is not Unicode text and no JSON reader takes back."""
    return _UNSTORABLE.search(text) is None
