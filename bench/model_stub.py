"""A stand-in for a hosted model: an HTTP server on 127.0.0.1 that answers after a delay.

It runs in its own process (so that it does not compete with the runner for the GIL), on
asyncio with keep-alive connections. ``POST /predict`` answers ``{"box": [...],
"score": ...}`` after ``delay_s``; ``GET /stats`` gives the arrival times (monotonic
seconds) of every ``/predict`` request so far. It stops by itself after ``max_requests``
predictions or ``idle_s`` seconds without a request, and when the context exits.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["model_stub", "request_times"]


def _response(body: bytes, status: str = "200 OK") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _serve(  # noqa: C901 - one small HTTP server, read at once
    conn: Connection, delay_s: float, max_requests: int, idle_s: float
) -> None:
    times: list[float] = []
    done = asyncio.Event()
    last = [time.monotonic()]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *headers = head.decode("latin-1").split("\r\n")
                length = 0
                for header in headers:
                    name, _, value = header.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                last[0] = time.monotonic()
                if line.startswith("GET /stats"):
                    writer.write(_response(json.dumps({"times": times}).encode()))
                elif len(times) >= max_requests:
                    writer.write(_response(b'{"error": "request budget used up"}', "429 Too Many"))
                else:
                    times.append(time.monotonic())
                    await asyncio.sleep(delay_s)
                    score = 0.5 + (len(times) % 50) / 100
                    body = {"box": [0.1, 0.2, 0.3, 0.4], "score": score}
                    writer.write(_response(json.dumps(body).encode()))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client went away, or the stub is stopping
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    conn.send(server.sockets[0].getsockname()[1])

    async def watch() -> None:
        while time.monotonic() - last[0] < idle_s and not conn.poll():
            await asyncio.sleep(0.1)
        done.set()

    watcher = asyncio.create_task(watch())
    async with server:
        await done.wait()
    watcher.cancel()


def _main(conn: Connection, delay_s: float, max_requests: int, idle_s: float) -> None:
    asyncio.run(_serve(conn, delay_s, max_requests, idle_s))


@contextmanager
def model_stub(
    delay_s: float = 0.1, max_requests: int = 100_000, idle_s: float = 120.0
) -> Iterator[str]:
    """Start the stub in a child process; yield its base URL (``http://127.0.0.1:PORT``)."""
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=_main, args=(theirs, delay_s, max_requests, idle_s), daemon=True
    )
    process.start()
    try:
        if not ours.poll(30):
            raise RuntimeError("the model stub did not start within 30 s")
        yield f"http://127.0.0.1:{ours.recv()}"
    finally:
        ours.send("stop")
        process.join(5)
        if process.is_alive():
            process.kill()


def request_times(url: str) -> list[float]:
    """Arrival times of the stub's ``/predict`` requests (monotonic seconds)."""
    import httpx  # noqa: PLC0415 - only where the stub is used

    stats: dict[str, Any] = httpx.get(f"{url}/stats", timeout=10).json()
    return [float(t) for t in stats["times"]]
