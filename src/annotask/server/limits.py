"""Limits on what callers may send: body size (before reading it) and failed logins."""

from __future__ import annotations

import threading
import time
from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from annotask.server.problems import problem_response

__all__ = ["BodyLimit", "LoginLimiter"]


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
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
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


class LoginLimiter:
    """Counts failed logins per (user, address); too many in a window are refused."""

    def __init__(self, attempts: int, window_s: float) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, user: str, address: str) -> float:
        """Seconds until another try is allowed (0 when allowed now)."""
        now = time.monotonic()
        with self._lock:
            failures = self._failures.get((user, address))
            if failures is None:
                return 0.0
            while failures and failures[0] <= now - self.window_s:
                failures.popleft()
            if len(failures) < self.attempts:
                return 0.0
            return failures[0] + self.window_s - now

    def failed(self, user: str, address: str) -> None:
        """Record a failed login."""
        with self._lock:
            self._failures.setdefault((user, address), deque()).append(time.monotonic())

    def succeeded(self, user: str, address: str) -> None:
        """Forget the failures of a user who logged in."""
        with self._lock:
            self._failures.pop((user, address), None)
