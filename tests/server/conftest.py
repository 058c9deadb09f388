"""Server fixtures: the app over a real store with one member per role, and their tokens."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

import annotask
from annotask.client.access import Accounts
from annotask.server.app import create_app
from annotask.server.settings import ServerSettings

ROLES = {
    "alice": "owner",
    "adam": "admin",
    "bob": "annotator",
    "carol": "reviewer",
    "dave": "worker",
    "eve": None,  # not a member
}
PASSWORD = "correct horse battery"


@dataclass
class Server:
    """The app under test and what the tests need to talk to it."""

    http: httpx.Client
    project: annotask.Project
    tokens: dict[str, str]
    url: str

    def as_(self, user: str) -> dict[str, str]:
        """Headers that authenticate as ``user``."""
        return {"Authorization": f"Bearer {self.tokens[user]}"}


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with Uvicorn in a thread on a free port; yield its base URL."""
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def server(store_url: str, project: annotask.Project, tmp_path: Path) -> Iterator[Server]:
    """The app on the store of ``project``, with a user (and token) per role."""
    store = project._ctx.store
    accounts = Accounts(store)
    tokens: dict[str, str] = {}
    for user, role in ROLES.items():
        if user != "alice":
            accounts.create_user(user, PASSWORD if user == "bob" else None)
        if role is not None and user != "alice":
            project.add_member(user, role)
        tokens[user] = accounts.issue_token(user, "tests").secret
    accounts.set_password("alice", PASSWORD)
    settings = ServerSettings(url=store_url, cache_dir=tmp_path / "cache", max_body_bytes=200_000)
    with serving(create_app(settings)) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield Server(http, project, tokens, store_url)
