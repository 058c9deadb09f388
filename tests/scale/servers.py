"""A private PostgreSQL server for tests that restart it: initdb into a temporary folder,
start it on a free port, restart it on demand, remove it at the end."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


def _bindir() -> Path | None:
    for candidate in (shutil.which("pg_config"),):
        if candidate:
            out = subprocess.run(
                [candidate, "--bindir"], check=False, capture_output=True, text=True
            )
            path = Path(out.stdout.strip())
            if (path / "initdb").exists():
                return path
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateServer:
    """A PostgreSQL server only this test uses."""

    def __init__(self, bindir: Path, folder: Path, as_user: list[str]) -> None:
        self.bindir = bindir
        self.folder = folder
        self.data = folder / "data"
        self.port = _free_port()
        self._as_user = as_user
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self._as_user, *args], check=True, capture_output=True, text=True, timeout=60
        )

    def init(self) -> None:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
            "-c synchronous_commit=off -c max_connections=50"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.folder / "server.log"), "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


def private_server_reason() -> str | None:
    """Why a private server cannot be made here, or None."""
    if _bindir() is None:
        return "no PostgreSQL server binaries (initdb) on this machine"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to start PostgreSQL as another user"
    return None


@contextmanager
def private_server() -> Iterator[PrivateServer]:
    """Start a private PostgreSQL server; stop and delete it afterwards."""
    bindir = _bindir()
    assert bindir is not None
    folder = Path(tempfile.mkdtemp(prefix="annotask-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        shutil.chown(folder, user="postgres")
        folder.chmod(0o755)
        as_user = ["runuser", "-u", "postgres", "--"]
    server = PrivateServer(bindir, folder, as_user)
    try:
        server.init()
        server.start()
        yield server
    finally:
        with suppress(subprocess.SubprocessError):
            server.stop()
        time.sleep(0.1)
        shutil.rmtree(folder, ignore_errors=True)
