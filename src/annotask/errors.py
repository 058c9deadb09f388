"""The annotask exception tree.

Every error annotask raises on purpose is an :class:`AnnotaskError`; errors from the
libraries underneath (SQLAlchemy, PyAV, fsspec, Celery) are converted at the boundary and
chained, so callers catch one root::

    AnnotaskError
    ├── PrintableError           a mistake in input or setup; the message says it all
    │   ├── AuthenticationError  a password, token or session does not prove who the caller is
    │   ├── AuthorizationError   the client's user may not read or change this
    │   ├── NotFoundError        no such project, dataset, item, stage, task or label row
    │   └── ValidationError      a definition or argument is malformed (workflow, ontology, option)
    │       └── PathwayError     an agent returned a pathway its stage does not have
    ├── LabelError           a label or coordinate does not fit the ontology or the data
    ├── ConflictError        the thing changed since it was read (stale label version, moved task,
    │                        lost lease)
    ├── MediaError           an asset cannot be fetched, probed or decoded
    └── StoreError           the database cannot be opened, migrated or reached
"""

from __future__ import annotations

__all__ = [
    "MESSAGE_MAX_CHARS",
    "AnnotaskError",
    "AuthenticationError",
    "AuthorizationError",
    "ConflictError",
    "LabelError",
    "MediaError",
    "NotFoundError",
    "PathwayError",
    "PrintableError",
    "StoreError",
    "ValidationError",
]


MESSAGE_MAX_CHARS = 10_000
"""Longest message an annotask error carries; longer ones are cut, saying how much was cut."""


class AnnotaskError(Exception):
    """Root of every error annotask raises on purpose."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(_capped(arg) for arg in args))


def _capped(arg: object) -> object:
    if isinstance(arg, str) and len(arg) > MESSAGE_MAX_CHARS:
        cut = len(arg) - MESSAGE_MAX_CHARS
        return f"{arg[:MESSAGE_MAX_CHARS]}… ({cut} more characters cut)"
    return arg


class PrintableError(AnnotaskError):
    """Raised for a mistake in input or setup whose message says what to fix; the command
    line prints it as is, without a traceback (the seed's ``PrintableError``)."""


class AuthenticationError(PrintableError):
    """Raised when a password, API token or session does not prove who the caller is."""


class AuthorizationError(PrintableError):
    """Raised when the client's user is not allowed to read or change a resource."""


class NotFoundError(PrintableError):
    """Raised when a named or identified resource does not exist."""


class ValidationError(PrintableError):
    """Raised when a definition or argument is malformed; nothing has been changed."""


class PathwayError(ValidationError):
    """Raised when a pathway name or UUID is not one of the stage's pathways."""


class LabelError(AnnotaskError):
    """Raised when a label, coordinate or answer does not fit the ontology or the data."""


class ConflictError(AnnotaskError):
    """Raised when a resource changed since it was read: stale version, moved task, lost lease."""


class MediaError(AnnotaskError):
    """Raised when an asset cannot be fetched, probed or decoded."""


class StoreError(AnnotaskError):
    """Raised when the store cannot be opened, migrated or reached."""
