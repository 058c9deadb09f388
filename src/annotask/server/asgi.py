"""The app as Uvicorn worker processes build it: settings travel in an environment variable."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from fastapi import FastAPI

from annotask.server.app import create_app
from annotask.server.settings import ServerSettings

__all__ = ["SETTINGS_ENV", "app_from_env", "export_settings"]

SETTINGS_ENV = "ANNOTASK_SERVER_SETTINGS"


def export_settings(settings: ServerSettings) -> None:
    """Put ``settings`` where :func:`app_from_env` (in this or a child process) finds them."""
    values = asdict(settings)
    values["cache_dir"] = str(settings.cache_dir)
    os.environ[SETTINGS_ENV] = json.dumps(values)


def app_from_env() -> FastAPI:
    """The app, with the settings :func:`export_settings` left (defaults without)."""
    text = os.environ.get(SETTINGS_ENV)
    if not text:
        return create_app()
    values = json.loads(text)
    values["cache_dir"] = Path(values["cache_dir"])
    return create_app(ServerSettings(**values))
