"""Limits on what callers may send: body size (before reading it), failed logins, and the
largest number a request may carry."""

from __future__ import annotations

import threading
import time
from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from annotask.server.problems import problem_response

__all__ = ["STORE_INT_MAX", "BodyLimit", "LoginLimiter", "NulInUrl", "parse_id"]

STORE_INT_MAX = 2**31 - 1
"""The largest id or version both stores hold (PostgreSQL's INTEGER; SQLite's is wider):
the bound of every integer a request may carry, so both stores refuse the same input."""
_ID_DIGITS = len(str(STORE_INT_MAX))
_IDLE_SWEEP_AT = 10_000


def parse_id(text: str) -> int | None:
    """A version or event id as a header carries it (ASCII digits, at most
    :data:`STORE_INT_MAX`); None for anything else, never an error (however long the text)."""
    if not text or len(text) > _ID_DIGITS or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= STORE_INT_MAX else None


class _TooLarge(BaseException):
    """Raised from ``receive`` past the limit; a BaseException, so that body parsers that
    turn every ``Exception`` into a 400 let it through to the middleware."""


class BodyLimit:
    """ASGI middleware: a body over ``max_bytes`` is answered 413 without being read.

    A declared ``Content-Length`` over the limit is refused at once; a chunked body is
    counted as it arrives and refused as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (
            not declared.isdigit()
            or len(declared) > len(str(self.max_bytes))
            or int(declared) > self.max_bytes
        ):
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            f"request body over the server's limit of {self.max_bytes} bytes; send less "
            "(or start the server with a larger --max-body)",
            instance=scope.get("path"),
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


class NulInUrl:
    """ASGI middleware: a URL with a NUL character in its path or query (``%00``) is a 422
    problem, before any view: no name, title or filter holds one, and PostgreSQL refuses
    them in text (a NUL reaching a query there would be a 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope["query_string"]):
            response = problem_response(
                422,
                "the URL contains a NUL character (%00), which no name, title or filter "
                "holds; remove it",
                instance=scope["path"].replace("\x00", "%00"),
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class LoginLimiter:
    """Counts login attempts per (user, address); too many failures in a window are refused.

    An attempt is reserved (counted as a failure) *before* its password is checked, under the
    lock, so that concurrent attempts cannot all pass the check while the slow password
    hashes run: at most ``attempts`` passwords are checked per (user, address) and window.
    A login that succeeds forgets the failures of its (user, address).
    """

    def __init__(self, attempts: int, window_s: float) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def reserve(self, user: str, address: str) -> tuple[float, float | None]:
        """Reserve one attempt: ``(0, stamp)`` when it may go ahead (it counts as a failure
        until :meth:`succeeded` or :meth:`release`), else ``(seconds to wait, None)``."""
        now = time.monotonic()
        key = (user, address)
        with self._lock:
            failures = self._failures.setdefault(key, deque())
            while failures and failures[0] <= now - self.window_s:
                failures.popleft()
            if len(failures) >= self.attempts:
                return max(failures[0] + self.window_s - now, 0.001), None
            failures.append(now)
            self._forget_idle(now)
            return 0.0, now

    def release(self, user: str, address: str, stamp: float) -> None:
        """Give back a reserved attempt whose password was never judged (the check broke)."""
        with self._lock:
            failures = self._failures.get((user, address))
            if failures is not None and stamp in failures:
                failures.remove(stamp)

    def succeeded(self, user: str, address: str) -> None:
        """Forget the failures of a user who logged in."""
        with self._lock:
            self._failures.pop((user, address), None)

    def _forget_idle(self, now: float) -> None:
        """Drop keys whose failures are all past the window (called under the lock, only
        when the table has grown), so that guessed user names do not pile up."""
        if len(self._failures) < _IDLE_SWEEP_AT:
            return
        for key in [k for k, f in self._failures.items() if not f or f[-1] <= now - self.window_s]:
            del self._failures[key]
