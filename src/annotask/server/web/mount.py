"""Mount the web pages (``/``), their static assets (``/static``) and offline API docs.

Everything the browser loads ships inside the package: nothing comes from the internet.
"""

from __future__ import annotations

import importlib.util
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from annotask.server.api import activity, label_versions
from annotask.server.ranges import RangeFileResponse, RangeStaticFiles

__all__ = ["mount_web"]

_STATIC = Path(str(resources.files("annotask.server.web") / "static"))
_NO_CACHE = {"Cache-Control": "no-cache"}


def _swagger_dir() -> Path | None:
    """Swagger UI's files as the swagger-ui-py package ships them (None without it)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or spec.origin is None:
        return None
    static = Path(spec.origin).parent / "static"
    return static if (static / "swagger-ui-bundle.js").exists() else None


def _offline_docs(app: FastAPI) -> None:
    """Serve ``/docs`` from the swagger-ui-py package's files instead of a CDN."""
    bundle = _swagger_dir()
    if bundle is None or app.docs_url is None:
        return
    docs_url = app.docs_url
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) != docs_url]
    app.mount("/static/swagger-ui", RangeStaticFiles(directory=bundle), name="swagger-ui")
    title = f"{app.title} - API docs"
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(docs_url, include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
        )


def mount_web(app: FastAPI) -> None:
    """Add the web app to ``app``: the page at ``/``, its modules under ``/static``, the two
    API reads only its pages use (project activity, an old label version), offline docs."""
    app.include_router(activity.router)
    app.include_router(label_versions.router)
    _offline_docs(app)
    app.mount("/static", RangeStaticFiles(directory=_STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> RangeFileResponse:
        return RangeFileResponse(_STATIC / "index.html", headers=_NO_CACHE)
