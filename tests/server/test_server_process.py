"""A real ``annotask serve`` process on a free port, driven over HTTP, stopped by a signal."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import annotask
from annotask.client.access import Accounts
from tests.definitions import ONTOLOGY, WORKFLOW


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            httpx.get(base + "/openapi.json", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("annotask serve did not answer within 60 s")


@pytest.mark.slow
def test_annotask_serve_answers_and_stops_cleanly_on_a_signal(
    store_url: str, images: list[Path]
) -> None:
    # SIGTERM (a service manager) on one backend, SIGINT (Ctrl-C) on the other
    stop = signal.SIGINT if store_url.startswith("postgresql") else signal.SIGTERM
    with annotask.Client(store_url, user="alice") as alice:
        dataset = alice.create_dataset("images")
        dataset.add_items(images)
        project = alice.create_project(
            "served", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
        )
        accounts = Accounts(alice.store)
        accounts.set_password("alice", "a long password")
        token = accounts.issue_token("alice", "ci").secret
    env = {
        **os.environ,
        "ANNOTASK_DATABASE_URL": store_url,
        "ANNOTASK_USER": "alice",
        "PYTHONPATH": os.pathsep.join([str(Path.cwd() / "src"), str(Path.cwd())]),
    }
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "annotask", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base, server)
        with httpx.Client(base_url=base, timeout=30) as http:
            login = http.post("/api/session", json={"user": "alice", "password": "a long password"})
            assert login.status_code == 200
            csrf = login.json()["csrf_token"]
            data_hash = project.list_tasks()[0].data_hash
            path = f"/api/projects/{project.project_hash}/label-rows/{data_hash}"
            row = http.get(path).json()
            saved = http.put(
                path,
                json={"labels": row["labels"], "priority": 0.9},
                headers={"If-Match": '"0"', "X-CSRF-Token": csrf},
            )
            assert saved.status_code == 200, saved.text
            by_token = httpx.get(
                base + "/api/projects", headers={"Authorization": f"Bearer {token}"}
            )
            assert [p["title"] for p in by_token.json()] == ["served"]
    finally:
        server.send_signal(stop)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in out
    with annotask.Client(store_url, user="alice") as alice:
        row = alice.get_project(project.project_hash).get_label_row(data_hash)
        assert row.version == 1 and row.priority == 0.9
