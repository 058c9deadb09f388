"""The app factory: ``create_app()`` builds the FastAPI app over one store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from annotask.server.api import (
    events,
    interchange,
    items,
    label_rows,
    projects,
    session,
    tasks,
    users,
)
from annotask.server.limits import BodyLimit, NulInUrl
from annotask.server.problems import install_handlers
from annotask.server.settings import ServerSettings
from annotask.server.state import ServerState
from annotask.server.web import mount_web

__all__ = ["create_app"]

ROUTERS = (
    session.router,
    projects.router,
    tasks.router,
    label_rows.router,
    items.router,
    events.router,
    interchange.router,
    users.router,
)


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    """The annotask HTTP app (REST API under ``/api``, OpenAPI at ``/docs``) over a store.

    The store is opened (and migrated) here, so a bad URL fails now, not on a first request.
    """
    settings = settings or ServerSettings()
    state = ServerState(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    from annotask import __version__  # noqa: PLC0415 - the package imports this layer lazily

    app = FastAPI(
        title="annotask",
        version=__version__,
        description="Projects, tasks and labels of an annotask store, for members only.",
        lifespan=lifespan,
    )
    app.state.annotask = state
    install_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    mount_web(app)
    app.add_middleware(NulInUrl)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app
