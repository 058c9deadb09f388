"""Request → user, in one place: an ``Authorization: Bearer`` API token, or a session cookie
(with the CSRF header on every state-changing request). Nothing else authenticates."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from annotask.client import Client
from annotask.client.access import Session
from annotask.errors import AuthenticationError
from annotask.server.problems import Problem
from annotask.server.state import state_of

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "Caller",
    "CallerClient",
    "current_caller",
    "current_client",
]

SESSION_COOKIE = "annotask_session"
CSRF_COOKIE = "annotask_csrf"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False, description="An API token: `annotask users token NAME`")
_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="A browser session (POST /api/session)"
)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, and how they proved it."""

    user: str
    via: str
    """``"token"`` or ``"session"``."""
    session: Session | None = None


def current_caller(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
    cookie: Annotated[str | None, Security(_cookie)] = None,
) -> Caller:
    """The proven caller of ``request``; 401 when it proves nobody, 403 on a missing CSRF."""
    accounts = state_of(request).accounts
    header = request.headers.get("authorization")
    if header is not None:
        if bearer is None or not bearer.credentials.strip():
            raise AuthenticationError(
                "the Authorization header must be 'Bearer <token>'; make a token with "
                "`annotask users token NAME`"
            )
        return Caller(accounts.token_user(bearer.credentials.strip()), "token")
    if cookie:
        session = accounts.session(cookie)
        if request.method not in _SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
                raise Problem(
                    403,
                    f"missing or wrong {CSRF_HEADER} header: send the csrf_token the login "
                    "answered (also in the annotask_csrf cookie) with every change",
                )
        return Caller(session.user, "session", session)
    raise AuthenticationError(
        "not logged in: send 'Authorization: Bearer <token>' or log in with POST /api/session"
    )


def current_client(request: Request, caller: Annotated[Caller, Depends(current_caller)]) -> Client:
    """A client acting as the proven caller."""
    return state_of(request).client_for(caller.user)


CallerClient = Annotated[Client, Depends(current_client)]
"""A view parameter: the client of the proven caller."""
