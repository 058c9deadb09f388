"""The web app: one HTML page and its ES modules, served by the API's own process."""

from annotask.server.web.mount import mount_web

__all__ = ["mount_web"]
