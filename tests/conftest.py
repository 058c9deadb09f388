"""Shared fixtures: real stores (an SQLite file, and PostgreSQL when its server answers)."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

import annotask
from tests.definitions import ONTOLOGY, WORKFLOW


def pytest_configure(config: pytest.Config) -> None:
    """Let the processes tests start take Ctrl-C even when the suite does not.

    A shell starts a background job with SIGINT ignored, and a process it starts inherits
    that; the tests that press Ctrl-C on a runner or a follower would then wait on a process
    that never stops. A Python handler here is reset to the default in each child.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


PG_URL = os.environ.get(
    "ANNOTASK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_reason() -> str | None:
    try:
        import psycopg  # noqa: PLC0415 - optional driver
    except ImportError:
        return "psycopg is not installed (pip install 'annotask[postgres]')"
    try:
        with psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {PG_URL} does not answer: {str(exc).strip().splitlines()[0]}"


_PG_SKIP = _postgres_reason()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty PostgreSQL schema, dropped afterwards."""
    if _PG_SKIP:
        pytest.skip(f"skipping PostgreSQL tests: {_PG_SKIP}")
    import psycopg  # noqa: PLC0415 - optional driver

    schema = f"annotask_test_{uuid.uuid4().hex[:12]}"
    dsn = PG_URL.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store URL on each backend: an SQLite file, and a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'annotask.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def client(store_url: str) -> Iterator[annotask.Client]:
    """A client acting as 'alice' on a fresh store."""
    with annotask.Client(store_url, user="alice") as c:
        yield c


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    """Five small real PNG images."""
    folder = tmp_path / "images"
    folder.mkdir()
    paths = []
    for i in range(5):
        path = folder / f"img{i}.png"
        Image.new("RGB", (40, 30), (40 * i, 100, 200 - 30 * i)).save(path)
        paths.append(path)
    return paths


@pytest.fixture
def project(client: annotask.Client, images: list[Path]) -> annotask.Project:
    """A project over five images with the DESIGN.md workflow."""
    dataset = client.create_dataset("images")
    dataset.add_items(images)
    return client.create_project("demo", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free localhost port."""
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - heavy import, S3 tests only

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
