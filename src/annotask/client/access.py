"""Accounts: users, their passwords and credentials, and how a caller proves who they are.

Whoever can open the store is trusted as the user they name (the CLI, the runners). Everyone
else proves it here: a password (argon2-hashed) that opens a browser session, or an API token.
Secrets (tokens, session ids) are random and stored only as SHA-256 hashes; they are shown once.
The one permission check — what a proven user may do on a project — stays
:meth:`annotask.workflow.context.Context.require`, used by every client object.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from annotask.errors import (
    AuthenticationError,
    AuthorizationError,
    NotFoundError,
    ValidationError,
)
from annotask.limits import check_name
from annotask.store import Store, access
from annotask.store import credentials as cred_store
from annotask.store.clock import epoch, utcnow

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["Accounts", "IssuedToken", "Session", "TokenInfo", "UserInfo"]

log = logging.getLogger(__name__)

TOKEN_PREFIX = "atk_"
SESSION_SECONDS = 7 * 24 * 3600
_TOUCH_EVERY = timedelta(minutes=1)
_MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as the accounts see them."""

    name: str
    is_admin: bool
    has_password: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new API token: ``secret`` is shown this once and never stored."""

    id: str
    name: str
    secret: str


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A stored API token, without its secret."""

    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class Session:
    """A browser session: who, and the CSRF token every change must carry."""

    id: str
    user: str
    csrf_token: str
    expires_at: float


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _csrf_for(secret: str) -> str:
    return hmac.new(secret.encode(), b"annotask csrf", hashlib.sha256).hexdigest()


def _hasher() -> Any:
    try:
        from argon2 import PasswordHasher  # noqa: PLC0415 - only password commands need it
    except ImportError:
        raise ValidationError(
            "passwords need argon2-cffi: pip install 'annotask[server]'"
        ) from None
    return PasswordHasher()


class Accounts:
    """Users and credentials on one store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._dummy_hash: str | None = None

    # users --------------------------------------------------------------------------------
    def create_user(self, name: str, password: str | None = None, *, admin: bool = False) -> None:
        """Make a user (with a password, if given); ValidationError if the name is taken."""
        name = _check_name(name)
        password_hash = None if password is None else self._hash_password(password)
        with self._store.write() as conn:
            _refuse_taken(conn, name)
            access.ensure_user(conn, name)
            if password_hash is not None:
                cred_store.set_password_hash(conn, name, password_hash)
            if admin:
                cred_store.set_admin(conn, name, True)
        log.info("created user %r%s", name, " (admin)" if admin else "")

    def check_name_free(self, name: str) -> None:
        """Refuse (ValidationError) a name :meth:`create_user` would refuse: before asking
        for a password that would then be thrown away."""
        name = _check_name(name)
        with self._store.read() as conn:
            _refuse_taken(conn, name)

    def get_user(self, name: str) -> UserInfo:
        """One user; NotFoundError if there is none."""
        with self._store.read() as conn:
            record = cred_store.get_user(conn, name)
        if record is None:
            raise NotFoundError(f"no user {name!r}; create one with `annotask users create`")
        return UserInfo(
            record.name, record.is_admin, record.password_hash is not None, record.created_at
        )

    def require_admin(self, name: str) -> None:
        """Refuse (AuthorizationError) unless ``name`` is a site admin."""
        with self._store.read() as conn:
            record = cred_store.get_user(conn, name)
        if record is None or not record.is_admin:
            raise AuthorizationError(
                f"user {name!r} is not a site admin; `annotask users create NAME --admin` makes one"
            )

    def list_users(self) -> list[UserInfo]:
        """Every user, by name."""
        with self._store.read() as conn:
            records = cred_store.list_users(conn)
        return [
            UserInfo(r.name, r.is_admin, r.password_hash is not None, r.created_at) for r in records
        ]

    def set_password(self, name: str, password: str) -> None:
        """Replace the user's password; their browser sessions end."""
        password_hash = self._hash_password(password)
        with self._store.write() as conn:
            self._require_user(conn, name)
            cred_store.set_password_hash(conn, name, password_hash)
            for record in cred_store.list_credentials(conn, name, "session"):
                cred_store.delete_credential(conn, record.id)

    def check_password(self, name: str, password: str) -> str:
        """The user's name when ``password`` is theirs; AuthenticationError otherwise.

        An unknown user costs the same hashing time as a wrong password.
        """
        with self._store.read() as conn:
            record = cred_store.get_user(conn, name)
        hasher = _hasher()
        stored = record.password_hash if record is not None else None
        try:
            hasher.verify(stored or self._dummy(), password)
        except Exception:  # argon2 raises several kinds of mismatch; all mean "no"
            stored = None
        if stored is None or record is None:
            raise AuthenticationError("wrong user name or password")
        return record.name

    def _hash_password(self, password: str) -> str:
        if len(password) < 8:
            raise ValidationError("a password needs at least 8 characters")
        return str(_hasher().hash(password))

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = str(_hasher().hash(secrets.token_hex(16)))
        return self._dummy_hash

    # API tokens ---------------------------------------------------------------------------
    def issue_token(self, user: str, name: str = "api") -> IssuedToken:
        """A new API token for ``user``; its secret is in the result only."""
        label = check_name(name, "a token's name", _MAX_NAME)  # no control characters
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = str(uuidlib.uuid4())
        with self._store.write() as conn:
            self._require_user(conn, user)
            cred_store.insert_credential(
                conn,
                cred_store.CredentialRecord(
                    token_id, user, "token", label, _hash_secret(secret), utcnow(), None, None
                ),
            )
        log.info("issued API token %s (%r) for user %r", token_id, label, user)
        return IssuedToken(token_id, label, secret)

    def list_tokens(self, user: str) -> list[TokenInfo]:
        """The user's API tokens (never their secrets), oldest first."""
        with self._store.read() as conn:
            self._require_user(conn, user)
            records = cred_store.list_credentials(conn, user, "token")
        return [TokenInfo(r.id, r.name, r.created_at, r.last_used_at) for r in records]

    def revoke_token(self, token_id: str, user: str | None = None) -> None:
        """Delete an API token by id (only one of ``user``'s, when given)."""
        with self._store.write() as conn:
            deleted = cred_store.delete_credential(conn, token_id, user)
        if not deleted:
            raise NotFoundError(
                f"no API token {token_id!r}; list them with `annotask users tokens`"
            )

    def token_user(self, secret: str) -> str:
        """The user an API token belongs to; AuthenticationError if it is not a live token."""
        record = self._find(secret, "token")
        if record is None:
            raise AuthenticationError("the API token is not valid (revoked or mistyped)")
        return record.user_name

    # browser sessions ---------------------------------------------------------------------
    def open_session(self, user: str, seconds: float = SESSION_SECONDS) -> tuple[str, Session]:
        """A new session for ``user``: its secret (for the cookie) and the session."""
        secret = secrets.token_urlsafe(32)
        session_id = str(uuidlib.uuid4())
        expires = epoch() + seconds
        with self._store.write() as conn:
            cred_store.delete_expired(conn, epoch())
            cred_store.insert_credential(
                conn,
                cred_store.CredentialRecord(
                    session_id,
                    user,
                    "session",
                    "browser",
                    _hash_secret(secret),
                    utcnow(),
                    expires,
                    None,
                ),
            )
        return secret, Session(session_id, user, _csrf_for(secret), expires)

    def session(self, secret: str) -> Session:
        """The live session a cookie secret opens; AuthenticationError if none."""
        record = self._find(secret, "session")
        if record is None or record.expires_at is None or record.expires_at < epoch():
            raise AuthenticationError("the session has ended; log in again")
        return Session(record.id, record.user_name, _csrf_for(secret), record.expires_at)

    def close_session(self, secret: str) -> None:
        """End the session a cookie secret opens (nothing if it is already gone)."""
        record = self._find(secret, "session")
        if record is not None:
            with self._store.write() as conn:
                cred_store.delete_credential(conn, record.id)

    # -------------------------------------------------------------------------------------
    def _find(self, secret: str, kind: str) -> cred_store.CredentialRecord | None:
        digest = _hash_secret(secret)
        with self._store.read() as conn:
            record = cred_store.find_credential(conn, digest, kind)
        if record is None or not hmac.compare_digest(record.secret_hash, digest):
            return None
        if record.last_used_at is None or utcnow() - record.last_used_at > _TOUCH_EVERY:
            with self._store.write() as conn:
                cred_store.touch_credential(conn, record.id)
        return record

    def _require_user(self, conn: Any, name: str) -> None:
        if cred_store.get_user(conn, name) is None:
            raise NotFoundError(f"no user {name!r}; create one with `annotask users create`")


def _refuse_taken(conn: Connection, name: str) -> None:
    if cred_store.get_user(conn, name) is not None:
        raise ValidationError(
            f"user {name!r} exists already; set a password with `annotask users passwd {name}`"
        )


def _check_name(name: str) -> str:
    name = name.strip()
    bad = any(c.isspace() or not c.isprintable() or c in "/:" for c in name)
    if not name or len(name) > _MAX_NAME or bad:
        raise ValidationError(
            f"a user name needs 1..{_MAX_NAME} characters, no spaces, control characters, "
            f"'/' or ':'; got {name!r}"
        )
    return name
