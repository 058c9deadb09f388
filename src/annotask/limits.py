"""Bounds on what users send, checked before anything reaches the store.

One set of limits, the same on SQLite and PostgreSQL, so that both stores accept and refuse
the same input. Every refusal is a :class:`~annotask.errors.ValidationError` naming the thing
and the bound:

- names (users, stages, pathways, ontology classes, options, dataset and project titles):
  trimmed, non-empty, at most :data:`NAME_MAX_CHARS` characters, no control characters;
- free texts (descriptions): at most :data:`TEXT_MAX_CHARS` characters, no NUL;
- storage-item names: at most :data:`ITEM_NAME_MAX_CHARS` characters, no NUL;
- ``client_metadata``: a mapping of JSON values (str, int, float, bool, None, lists and
  mappings with string keys), finite numbers only, nested at most :data:`MAX_DEPTH` levels,
  at most :data:`METADATA_MAX_BYTES` bytes as JSON;
- definition files and JSON documents: nested at most :data:`MAX_DEPTH` levels.

:func:`shown` formats any value for an error message without expanding it: containers are
described by type and size, strings are cut to :data:`SHOWN_MAX_CHARS`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from annotask.errors import ValidationError

__all__ = [
    "ITEM_NAME_MAX_CHARS",
    "MAX_DEPTH",
    "METADATA_MAX_BYTES",
    "NAME_MAX_CHARS",
    "SHOWN_MAX_CHARS",
    "TEXT_MAX_CHARS",
    "check_depth",
    "check_item_name",
    "check_metadata",
    "check_name",
    "check_text",
    "load_json",
    "shown",
]

NAME_MAX_CHARS = 200
"""Longest name or title (users, stages, pathways, classes, options, datasets, projects)."""
ITEM_NAME_MAX_CHARS = 1000
"""Longest storage-item name."""
TEXT_MAX_CHARS = 100_000
"""Longest free text (a description)."""
METADATA_MAX_BYTES = 1_000_000
"""Largest ``client_metadata`` of one item, as JSON."""
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings in metadata, definitions and JSON documents."""
SHOWN_MAX_CHARS = 80
"""Longest excerpt of a user's value quoted in an error message."""

_SCALARS = (str, int, float, bool, type(None))


def shown(value: object) -> str:
    """``value`` for an error message: short strings and numbers as they are, anything else
    by its type (and length), never expanded."""
    if isinstance(value, str):
        if len(value) <= SHOWN_MAX_CHARS:
            return repr(value)
        return repr(value[:SHOWN_MAX_CHARS]) + f"… ({len(value)} characters)"
    if isinstance(value, int) and value.bit_length() > 4 * SHOWN_MAX_CHARS:
        # repr would be long, and past 4300 digits Python refuses to write it at all
        return f"a number of about {round(value.bit_length() * math.log10(2))} digits"
    if isinstance(value, bool | int | float | None):
        text = repr(value)
        return text if len(text) <= SHOWN_MAX_CHARS else f"a {len(text)}-digit number"
    if isinstance(value, list | tuple | dict | set | frozenset):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    return f"a {type(value).__name__}"


def check_name(value: object, what: str, max_chars: int = NAME_MAX_CHARS) -> str:
    """``value`` trimmed, if it is a usable name; else a ValidationError naming ``what``."""
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, got {shown(value)}")
    name = value.strip()
    if not name:
        raise ValidationError(f"{what} must not be empty or blank")
    if len(name) > max_chars:
        raise ValidationError(
            f"{what} {shown(name)} is too long: at most {max_chars} characters, has {len(name)}"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValidationError(f"{what} {shown(name)} contains a control character; remove it")
    return name


def check_item_name(value: object, what: str) -> str:
    """A storage item's name: trimmed, non-empty, bounded, no control characters."""
    return check_name(value, what, ITEM_NAME_MAX_CHARS)


def check_text(value: object, what: str, max_chars: int = TEXT_MAX_CHARS) -> str:
    """A free text (may be empty): bounded, no NUL character."""
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, got {shown(value)}")
    if len(value) > max_chars:
        raise ValidationError(f"{what} is too long: at most {max_chars} characters")
    if "\x00" in value:
        raise ValidationError(f"{what} contains a NUL character; remove it")
    return value


def check_depth(value: object, what: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse lists/mappings nested deeper than ``max_depth``, checked without recursion;
    a part shared by several parents is walked again only when reached deeper, so shared
    parts cost little, and a structure that contains itself is refused as too deep."""
    deepest: dict[int, int] = {}
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Mapping):
            children: list[object] = list(node.values())
        elif isinstance(node, list | tuple):
            children = list(node)
        else:
            continue
        if depth > max_depth:
            raise ValidationError(
                f"{what} is nested more than {max_depth} levels deep (or contains itself)"
            )
        if deepest.get(id(node), 0) >= depth:
            continue
        deepest[id(node)] = depth
        stack.extend((child, depth + 1) for child in children)


def load_json(text: str | bytes, what: str) -> Any:
    """Parse JSON text nested at most :data:`MAX_DEPTH` levels; a ValidationError naming
    ``what`` otherwise (``NaN`` and ``Infinity`` are refused too)."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise ValidationError(f"{what} is nested more than {MAX_DEPTH} levels deep") from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, a refused constant
        raise ValidationError(f"{what} is not valid JSON: {_capped(str(exc))}") from exc
    check_depth(value, what)
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _capped(text: str) -> str:
    return text if len(text) <= 4 * SHOWN_MAX_CHARS else text[: 4 * SHOWN_MAX_CHARS] + "…"


def check_metadata(value: object, what: str = "client_metadata") -> dict[str, Any]:
    """A copy of ``value`` as stored metadata, or a ValidationError saying what is wrong
    (the first offending key's path)."""
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"{what} must be a mapping of names to JSON values, got {shown(value)}"
        )
    checked = _json_value(value, what, 1, set())
    size = len(json.dumps(checked, ensure_ascii=False, allow_nan=False).encode())
    if size > METADATA_MAX_BYTES:
        raise ValidationError(
            f"{what} is too large: {size} bytes as JSON, at most {METADATA_MAX_BYTES}"
        )
    if not isinstance(checked, dict):  # pragma: no cover - a Mapping always copies to a dict
        raise ValidationError(f"{what} must be a mapping")
    return checked


def _json_value(value: object, where: str, depth: int, path: set[int]) -> Any:
    """A JSON-safe copy of ``value`` (``path``: the containers above it, to catch cycles);
    the depth is bounded before recursing."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationError(f"{where}: a string contains a NUL character; remove it")
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(
            f"{where}: {value!r} is not a JSON number; store a finite number, null or a string"
        )
    if isinstance(value, _SCALARS):
        return value
    if id(value) in path:
        raise ValidationError(f"{where}: contains itself (a circular structure)")
    if depth > MAX_DEPTH:
        raise ValidationError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    path.add(id(value))
    try:
        return _json_container(value, where, depth, path)
    finally:
        path.discard(id(value))


def _json_container(value: object, where: str, depth: int, path: set[int]) -> Any:
    if isinstance(value, Mapping):
        copied: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(f"{where}: key {shown(key)} is not a string")
            if "\x00" in key:
                raise ValidationError(f"{where}: key {shown(key)} contains a NUL character")
            copied[key] = _json_value(item, f"{where}.{key[:SHOWN_MAX_CHARS]}", depth + 1, path)
        return copied
    if isinstance(value, list | tuple):
        return [_json_value(item, f"{where}[{i}]", depth + 1, path) for i, item in enumerate(value)]
    raise ValidationError(
        f"{where}: {shown(value)} is not a JSON value; use str, int, float, bool, None, "
        "lists and mappings (convert dates to ISO strings, sets to lists)"
    )
