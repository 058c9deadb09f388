"""Short ids: a unique leading part of a UUID (at least 4 hex digits) names a project,
dataset or task wherever its full UUID is accepted, as in git."""

from __future__ import annotations

import re
from collections.abc import Sequence

from annotask.errors import NotFoundError, ValidationError

__all__ = ["MIN_LENGTH", "SHORT_LENGTH", "looks_like_prefix", "one_match", "short"]

MIN_LENGTH = 4
SHORT_LENGTH = 8
_PREFIX = re.compile(r"[0-9a-f][0-9a-f-]{3,35}")


def looks_like_prefix(key: str) -> bool:
    """Whether ``key`` could be the start of a UUID (4-36 hex digits and dashes)."""
    return _PREFIX.fullmatch(key.lower()) is not None


def short(uuid: object, length: int = SHORT_LENGTH) -> str:
    """The first ``length`` characters of a UUID, for display."""
    return str(uuid)[:length]


def one_match(key: str, matches: Sequence[str], noun: str, where: str = "") -> str:
    """The one UUID in ``matches`` that starts with ``key``; an error naming the candidates
    when there are several, and a NotFoundError when there are none."""
    if len(matches) == 1:
        return matches[0]
    suffix = f" {where}" if where else ""
    if not matches:
        raise NotFoundError(f"no {noun} with UUID or prefix {key!r}{suffix}")
    listed = ", ".join(matches[:5]) + (" …" if len(matches) > 5 else "")
    raise ValidationError(
        f"{key!r} is the start of several {noun} UUIDs{suffix} ({listed}); give more characters"
    )
