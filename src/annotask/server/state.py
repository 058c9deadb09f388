"""What the app shares across requests: the store's client, the accounts, the login limiter."""

from __future__ import annotations

import threading
from typing import cast

from fastapi import FastAPI, Request

from annotask.client import Client
from annotask.client.access import Accounts
from annotask.server.api.lookup import forget_projects
from annotask.server.event_feed import EventWaker
from annotask.server.limits import LoginLimiter
from annotask.server.settings import ServerSettings

__all__ = ["ServerState", "state_of"]


class ServerState:
    """One open store and a client per authenticated user, made once and reused."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.root = Client(settings.url)
        self.accounts = Accounts(self.root.store)
        self.limiter = LoginLimiter(settings.login_attempts, settings.login_window_s)
        self.waker = EventWaker(self.root.store)
        self.closing = False
        self._clients: dict[str, Client] = {}
        self._lock = threading.Lock()

    def client_for(self, user: str) -> Client:
        """A client acting as ``user`` (who has proven who they are)."""
        client = self._clients.get(user)
        if client is None:
            with self._lock:
                client = self._clients.get(user) or self.root.as_user(user)
                self._clients[user] = client
        return client

    def close(self) -> None:
        """Stop event streams and release the store."""
        self.closing = True
        self.waker.close()
        forget_projects(self.root.store)
        self.root.close()


def state_of(request: Request) -> ServerState:
    """The state of the app serving ``request``."""
    return cast(ServerState, cast(FastAPI, request.app).state.annotask)
