"""Logging in and out (browser sessions) and the caller's own API tokens."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from annotask.errors import AuthenticationError
from annotask.server.auth import CSRF_COOKIE, SESSION_COOKIE, Caller, current_caller
from annotask.server.problems import Problem
from annotask.server.schemas import LoginBody, SessionOut, TokenBody, TokenOut
from annotask.server.state import state_of

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["session"])

CallerDep = Annotated[Caller, Depends(current_caller)]


@router.post("/session", response_model=SessionOut)
def log_in(body: LoginBody, request: Request, response: Response) -> SessionOut:
    """Log in with a password: sets an HttpOnly session cookie; answers the CSRF token."""
    state = state_of(request)
    address = request.client.host if request.client is not None else "?"
    wait, stamp = state.limiter.reserve(body.user, address)
    if stamp is None:
        raise Problem(
            429,
            f"too many failed logins for {body.user!r} from {address}; try again in "
            f"{int(wait) + 1} s",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    try:
        user = state.accounts.check_password(body.user, body.password)
    except Exception as exc:
        # a wrong password keeps its reserved attempt as a failure; an attempt whose
        # password was never judged (the store broke) is given back
        if not isinstance(exc, AuthenticationError):
            state.limiter.release(body.user, address, stamp)
        raise
    state.limiter.succeeded(body.user, address)
    secret, session = state.accounts.open_session(user)
    max_age = int(session.expires_at - time.time())
    secure = state.settings.secure_cookies
    response.set_cookie(
        SESSION_COOKIE, secret, max_age=max_age, httponly=True, samesite="lax", secure=secure
    )
    response.set_cookie(
        CSRF_COOKIE, session.csrf_token, max_age=max_age, samesite="strict", secure=secure
    )
    info = state.accounts.get_user(user)
    return SessionOut(
        user=user,
        is_admin=info.is_admin,
        via="session",
        csrf_token=session.csrf_token,
        expires_at=session.expires_at,
    )


@router.get("/session", response_model=SessionOut)
def who_am_i(caller: CallerDep, request: Request) -> SessionOut:
    """Who the caller is (and, for a session, its CSRF token)."""
    info = state_of(request).accounts.get_user(caller.user)
    session = caller.session
    return SessionOut(
        user=caller.user,
        is_admin=info.is_admin,
        via=caller.via,
        csrf_token=None if session is None else session.csrf_token,
        expires_at=None if session is None else session.expires_at,
    )


@router.delete("/session", status_code=204)
def log_out(caller: CallerDep, request: Request, response: Response) -> None:
    """End the browser session (the cookie is cleared)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if caller.via == "session" and cookie:
        state_of(request).accounts.close_session(cookie)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


@router.get("/tokens", response_model=list[TokenOut])
def my_tokens(caller: CallerDep, request: Request) -> list[TokenOut]:
    """The caller's API tokens (never their secrets)."""
    tokens = state_of(request).accounts.list_tokens(caller.user)
    return [
        TokenOut(id=t.id, name=t.name, created_at=t.created_at, last_used_at=t.last_used_at)
        for t in tokens
    ]


@router.post("/tokens", response_model=TokenOut, status_code=201)
def make_token(body: TokenBody, caller: CallerDep, request: Request) -> TokenOut:
    """A new API token for the caller; its secret is in this answer only."""
    accounts = state_of(request).accounts
    issued = accounts.issue_token(caller.user, body.name)
    stored = next(t for t in accounts.list_tokens(caller.user) if t.id == issued.id)
    return TokenOut(
        id=issued.id, name=issued.name, created_at=stored.created_at, secret=issued.secret
    )


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: str, caller: CallerDep, request: Request) -> None:
    """Revoke one of the caller's API tokens."""
    state_of(request).accounts.revoke_token(token_id, caller.user)
