"""Fixtures for the media tests: small generated media, a local S3 server, an HTTP server."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from annotask.datatypes import DataType
from annotask.media import iter_frames, write_test_video

VIDEO_FRAMES = 90


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def bframe_video(media_dir: Path) -> Path:
    """90 frames, GOP 30, two B-frames between references (H.264 in MP4)."""
    return write_test_video(media_dir / "bframes.mp4", frames=VIDEO_FRAMES, gop=30, bframes=2)


@pytest.fixture(scope="session")
def long_gop_video(media_dir: Path) -> Path:
    """90 frames, GOP 60, three B-frames, in Matroska (no frame count in the header)."""
    return write_test_video(media_dir / "longgop.mkv", frames=VIDEO_FRAMES, gop=60, bframes=3)


@pytest.fixture(scope="session")
def decoded(bframe_video: Path, long_gop_video: Path) -> dict[Path, list[NDArray[np.uint8]]]:
    """Every frame of the session videos, by sequential decoding."""
    return {
        path: [frame.content for frame in iter_frames(path, DataType.VIDEO)]
        for path in (bframe_video, long_gop_video)
    }


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the test folder; ``/slow/...`` stalls before answering."""

    def do_GET(self) -> None:
        if self.path.startswith("/slow/"):
            time.sleep(3)
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def http_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, folder it serves) for a local HTTP server."""
    root = tmp_path_factory.mktemp("www")

    def handler(*args: object, **kwargs: object) -> _Handler:
        return _Handler(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()
