"""Which errors are transient: the one classification every retry in annotask asks.

A transient error is one the same operation may well not meet if it runs again after a
pause; the runners' reconnect loop and the Celery integration's retries both decide with
:func:`transient_kind`:

- **connection lost**: the server refused or dropped the connection, the network cut it, the
  driver invalidated it (SQLSTATE class ``08``, ``ConnectionError``, ``TimeoutError``);
- **server restarting**: PostgreSQL shutting down or starting (``57P01``, ``57P02``, ``57P03``:
  also what a backend terminated by an administrator reports);
- **serialization failure** (``40001``) and **deadlock** (``40P01``): the server rolled the
  transaction back, and running it again may succeed;
- **database busy**: a SQLite file stayed locked past the busy timeout.

Anything else is not transient: a constraint or syntax error, a missing table, a database
that does not exist, refused credentials, an agent's own bug. A wrapping error (a
:class:`~annotask.errors.StoreError` raised from the driver's) is classified by its cause.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

__all__ = ["Transient", "is_transient", "transient_kind"]


class Transient(StrEnum):
    """Why an error is worth retrying after a pause."""

    CONNECTION_LOST = "connection lost"
    SERVER_RESTARTING = "server restarting"
    SERIALIZATION_FAILURE = "serialization failure"
    DEADLOCK = "deadlock"
    BUSY = "database busy"


_SQLSTATES = {
    "57P01": Transient.SERVER_RESTARTING,  # admin_shutdown (also pg_terminate_backend)
    "57P02": Transient.SERVER_RESTARTING,  # crash_shutdown
    "57P03": Transient.SERVER_RESTARTING,  # cannot_connect_now
    "40001": Transient.SERIALIZATION_FAILURE,
    "40P01": Transient.DEADLOCK,
}
# Connection failures that waiting will not cure (reported without a SQLSTATE by psycopg).
_PERMANENT = ("does not exist", "authentication failed", "password", "permission denied")
_CAUSES_FOLLOWED = 4


def transient_kind(exc: BaseException) -> Transient | None:
    """Why ``exc`` (or the error it was raised from) is transient; None if it is not."""
    link: BaseException | None = exc
    for _ in range(_CAUSES_FOLLOWED):
        if link is None:
            return None
        kind = _kind(link)
        if kind is not None:
            return kind
        link = link.__cause__
    return None


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is worth retrying after a pause (see :func:`transient_kind`)."""
    return transient_kind(exc) is not None


def _kind(exc: BaseException) -> Transient | None:
    if isinstance(exc, ConnectionError | TimeoutError):
        return Transient.CONNECTION_LOST
    if not isinstance(exc, DBAPIError):
        return None
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    kind = _SQLSTATES.get(str(sqlstate)) if sqlstate is not None else None
    if kind is not None:
        return kind
    if (
        exc.connection_invalidated
        or isinstance(exc, InterfaceError)
        or str(sqlstate).startswith("08")
    ):
        return Transient.CONNECTION_LOST
    if sqlstate is not None:
        return None
    return _by_message(exc) if isinstance(exc, OperationalError) else None


def _by_message(exc: OperationalError) -> Transient | None:
    """For drivers that give no SQLSTATE: SQLite, and psycopg's refused connections."""
    message = str(exc.orig).lower()
    if "sqlite" in type(exc.orig).__module__:
        return Transient.BUSY if "locked" in message or "busy" in message else None
    if any(word in message for word in _PERMANENT):
        return None
    if "connection" in message or "server closed" in message:
        return Transient.CONNECTION_LOST
    return None
