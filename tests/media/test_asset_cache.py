"""The on-disk asset cache: one fetch per asset across uses and threads; bounded; files in use
are never evicted."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from annotask.media import local_asset
from annotask.media.cache import CACHE_ENV, AssetCache


class _Files(BaseHTTPRequestHandler):
    gets: ClassVar[Counter[str]] = Counter()
    lock = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            self.gets[self.path] += 1
        body = self.path.encode().ljust(1000, b"x")
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def server() -> Iterator[str]:
    """An HTTP server on a free port serving 1,000-byte files, counting GETs per path."""
    _Files.gets = Counter()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_an_asset_is_fetched_once_with_the_cache_and_each_time_without(
    server: str, tmp_path: Path
) -> None:
    cache = AssetCache(tmp_path / "cache")
    for _ in range(3):
        with local_asset(f"{server}/a.png", data_hash="a", cache=cache) as path:
            assert path.read_bytes().startswith(b"/a.png")
    assert _Files.gets["/a.png"] == 1
    for _ in range(2):
        with local_asset(f"{server}/b.png", data_hash="b") as path:
            assert path.exists()
        assert not path.exists()  # without a cache, the download is removed
    assert _Files.gets["/b.png"] == 2


def test_the_environment_turns_the_cache_on(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "env-cache"))
    for _ in range(2):
        with local_asset(f"{server}/c.png", data_hash="c") as path:
            assert path.parent == tmp_path / "env-cache"
    assert _Files.gets["/c.png"] == 1


def test_threads_wanting_one_asset_fetch_it_once(server: str, tmp_path: Path) -> None:
    cache = AssetCache(tmp_path / "cache")
    barrier = threading.Barrier(8)
    sizes: list[int] = []

    def use() -> None:
        barrier.wait()
        with local_asset(f"{server}/d.png", data_hash="d", cache=cache) as path:
            sizes.append(path.stat().st_size)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sizes == [1000] * 8 and _Files.gets["/d.png"] == 1


def test_eviction_keeps_the_cache_bounded_and_never_removes_a_file_in_use(
    server: str, tmp_path: Path
) -> None:
    cache = AssetCache(tmp_path / "cache", max_bytes=1500)
    with local_asset(f"{server}/e.png", data_hash="e", cache=cache) as in_use:
        with local_asset(f"{server}/f.png", data_hash="f", cache=cache):
            pass
        assert in_use.exists()  # over the limit, but e is in use and f is the newest
        assert in_use.read_bytes().startswith(b"/e.png")
    with local_asset(f"{server}/g.png", data_hash="g", cache=cache):
        pass
    left = sorted(p.name for p in (tmp_path / "cache").iterdir() if p.suffix == ".png")
    assert left == ["g.png"]  # e and f were least recently used and free
    with local_asset(f"{server}/e.png", data_hash="e", cache=cache):
        pass
    assert _Files.gets["/e.png"] == 2  # fetched again after its eviction
