"""``annotask serve``: the HTTP API over the configured store, under Uvicorn."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated, Any

import typer

from annotask.cli.session import get_session
from annotask.errors import ValidationError

__all__ = ["serve"]

_APP = "annotask.server.asgi:app_from_env"


def serve(
    ctx: typer.Context,
    *,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port (0: any free port).")
    ] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    max_body: Annotated[
        int, typer.Option("--max-body", metavar="BYTES", min=1, help="Largest request body.")
    ] = 64 * 1024 * 1024,
    secure_cookies: Annotated[
        bool, typer.Option("--secure-cookies", help="Session cookies only over HTTPS.")
    ] = False,
) -> None:
    """Serve the platform over HTTP: members log in with a password or an API token."""
    session = get_session(ctx)
    try:
        import uvicorn  # noqa: PLC0415 - the server extra; the CLI must start fast
    except ImportError:
        raise ValidationError(
            "annotask serve needs the server extra: pip install 'annotask[server]'"
        ) from None
    from annotask.server.asgi import export_settings  # noqa: PLC0415 - heavy, serve only
    from annotask.server.settings import ServerSettings  # noqa: PLC0415

    url = session.client().url  # opens and migrates the store before listening
    session.close()
    export_settings(ServerSettings(url=url, max_body_bytes=max_body, secure_cookies=secure_cookies))
    if workers > 1 and port == 0:
        raise ValidationError("--workers needs a fixed --port (0 picks one per process)")
    sock = socket.create_server((host, port)) if workers == 1 else None
    bound = port if sock is None else sock.getsockname()[1]
    session.say(f"annotask: serving {url} at http://{host}:{bound}/ (API docs: /docs)")
    session.note(
        "log in with a password (`annotask users create NAME`, then POST /api/session) or "
        "an API token (`annotask users token NAME`, sent as 'Authorization: Bearer <token>'); "
        "Ctrl-C stops"
    )
    level = "info" if session.verbose else "warning"
    config = uvicorn.Config(
        _APP,
        factory=True,
        host=host,
        port=bound,
        workers=workers,
        log_level=level,
        timeout_graceful_shutdown=5,
    )
    with _stopped_quietly():
        _run(uvicorn, config, sock, level)
    session.note("annotask: server stopped")


def _run(uvicorn: Any, config: Any, sock: socket.socket | None, level: str) -> None:
    if sock is None:
        uvicorn.run(
            _APP,
            factory=True,
            host=config.host,
            port=config.port,
            workers=config.workers,
            log_level=level,
            timeout_graceful_shutdown=5,
        )
        return
    with sock:
        uvicorn.Server(config).run(sockets=[sock])


@contextmanager
def _stopped_quietly() -> Iterator[None]:
    """Uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again; here
    that second raise finds a handler that lets ``serve`` return, so the exit status is 0."""

    def ignore(_sig: int, _frame: FrameType | None) -> None:
        return None

    previous = {sig: signal.signal(sig, ignore) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
