"""User accounts: password hashes, the admin flag, and credentials (API tokens, sessions).

Only hashes are stored: the caller hashes passwords (argon2) and secrets (SHA-256) before
they reach this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from annotask.store.clock import utcnow
from annotask.store.schema import credentials, users

__all__ = [
    "CredentialRecord",
    "UserRecord",
    "delete_credential",
    "delete_expired",
    "find_credential",
    "get_user",
    "insert_credential",
    "list_credentials",
    "list_users",
    "set_admin",
    "set_password_hash",
    "touch_credential",
]


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A stored user."""

    name: str
    created_at: datetime
    password_hash: str | None
    is_admin: bool


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    """A stored API token or browser session (its secret only as a hash)."""

    id: str
    user_name: str
    kind: str
    name: str
    secret_hash: str
    created_at: datetime
    expires_at: float | None
    last_used_at: datetime | None


def _user(row: object) -> UserRecord:
    m = row._mapping  # type: ignore[attr-defined]
    return UserRecord(m["name"], m["created_at"], m["password_hash"], bool(m["is_admin"]))


def get_user(conn: Connection, name: str) -> UserRecord | None:
    """The user called ``name``, or None."""
    row = conn.execute(select(users).where(users.c.name == name)).first()
    return None if row is None else _user(row)


def list_users(conn: Connection) -> list[UserRecord]:
    """Every user, by name."""
    return [_user(r) for r in conn.execute(select(users).order_by(users.c.name))]


def set_password_hash(conn: Connection, name: str, password_hash: str) -> None:
    """Replace the user's password hash."""
    conn.execute(update(users).where(users.c.name == name).values(password_hash=password_hash))


def set_admin(conn: Connection, name: str, is_admin: bool) -> None:
    """Grant or take away the user's site-admin flag."""
    conn.execute(update(users).where(users.c.name == name).values(is_admin=is_admin))


def insert_credential(conn: Connection, record: CredentialRecord) -> None:
    """Store a new token or session."""
    conn.execute(
        insert(credentials).values(
            {name: getattr(record, name) for name in CredentialRecord.__dataclass_fields__}
        )
    )


def find_credential(conn: Connection, secret_hash: str, kind: str) -> CredentialRecord | None:
    """The credential of one kind whose secret hashes to ``secret_hash``, or None."""
    row = conn.execute(
        select(credentials).where(
            credentials.c.secret_hash == secret_hash, credentials.c.kind == kind
        )
    ).first()
    return None if row is None else CredentialRecord(**row._mapping)


def touch_credential(conn: Connection, credential_id: str) -> None:
    """Record that the credential was just used."""
    conn.execute(
        update(credentials).where(credentials.c.id == credential_id).values(last_used_at=utcnow())
    )


def list_credentials(conn: Connection, user_name: str, kind: str) -> list[CredentialRecord]:
    """A user's credentials of one kind, oldest first."""
    rows = conn.execute(
        select(credentials)
        .where(credentials.c.user_name == user_name, credentials.c.kind == kind)
        .order_by(credentials.c.created_at, credentials.c.id)
    )
    return [CredentialRecord(**r._mapping) for r in rows]


def delete_credential(conn: Connection, credential_id: str, user_name: str | None = None) -> bool:
    """Delete a credential by id (only the user's, when ``user_name`` is given)."""
    query = delete(credentials).where(credentials.c.id == credential_id)
    if user_name is not None:
        query = query.where(credentials.c.user_name == user_name)
    return conn.execute(query).rowcount > 0


def delete_expired(conn: Connection, now: float) -> int:
    """Delete credentials whose expiry has passed; return how many."""
    query = delete(credentials).where(
        credentials.c.expires_at.is_not(None), credentials.c.expires_at < now
    )
    return int(conn.execute(query).rowcount)
