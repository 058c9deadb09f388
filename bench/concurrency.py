"""Concurrency benchmark: an async agent calling a 100 ms model API, at several concurrencies.

The model is ``bench/model_stub.py``: a real HTTP server on 127.0.0.1 (its own process)
that answers after 100 ms. The agent calls it with ``httpx`` (one keep-alive client per
concurrent slot, handed out by an async generator dependency), writes one box per task with
the returned score and moves the task; every outcome is committed (checked). The baseline
of each line is the limit ``concurrency / 0.1 s``; the ratio is our tasks/s over it.

With ``--aiohttp`` the concurrency-64 run is repeated with ``aiohttp`` as the client, which
costs far less CPU per request than httpx here: the gap between the two lines is the HTTP
client's, not the runner's. With ``--sleep`` it is repeated with no HTTP at all (the agent
awaits ``asyncio.sleep(0.1)``): the runner's own ceiling on this machine.
``bench/ocr.py`` has the batch-stage figures of a real network.

Prints ``name: value unit`` lines; ratios as ``name: 0.83x``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import ssl
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
from agent_project import prepare
from model_stub import model_stub

import annotask
from annotask.labels import BoundingBoxCoordinates, LabelRow, ObjectInstance
from annotask.tasks import Depends, Runner, TaskAgentReturnStruct

DELAY_S = 0.1
_TLS = ssl.create_default_context()


class _Slots:
    """One HTTP client per concurrent call (made on the runner's event loop)."""

    def __init__(self, size: int, kind: str) -> None:
        self.size = size
        self.kind = kind
        self.free: asyncio.Queue[Any] | None = None
        self.all: list[Any] = []

    async def take(self) -> Any:
        if self.free is None:
            self.free = asyncio.Queue()
            for _ in range(self.size):
                client = _new_client(self.kind)
                self.all.append(client)
                self.free.put_nowait(client)
        return await self.free.get()


def _new_client(kind: str) -> Any:
    if kind == "sleep":
        return None
    if kind == "httpx":  # one TLS context for all: each new one reads the CA bundle (~40 ms)
        return httpx.AsyncClient(timeout=10, verify=_TLS)
    import aiohttp  # noqa: PLC0415 - only with --aiohttp

    return aiohttp.ClientSession()


async def _predict(client: Any, kind: str, url: str, title: str) -> dict[str, Any]:
    if kind == "sleep":
        await asyncio.sleep(DELAY_S)
        return {"box": [0.1, 0.2, 0.3, 0.4], "score": 0.9}
    if kind == "httpx":
        response = await client.post(f"{url}/predict", json={"item": title})
        response.raise_for_status()
        return dict(response.json())
    async with client.post(f"{url}/predict", json={"item": title}) as reply:
        reply.raise_for_status()
        return dict(await reply.json())


def _run(db: Path, url: str, concurrency: int, kind: str) -> tuple[float, int]:
    """Seconds for the runner to take every task through the agent; tasks committed."""
    slots = _Slots(concurrency, kind)

    async def http_client() -> AsyncIterator[Any]:
        client = await slots.take()
        try:
            yield client
        finally:
            assert slots.free is not None
            slots.free.put_nowait(client)

    with annotask.Client(f"sqlite:///{db}", user="bench") as client:
        project = client.get_project("bench")
        car = project.ontology.get_object("car")
        runner = Runner(project.project_hash, client=client)

        @runner.stage("Agent")
        async def pre_label(
            label_row: LabelRow, http: Annotated[Any, Depends(http_client)]
        ) -> TaskAgentReturnStruct:
            answer = await _predict(http, kind, url, label_row.data_title)
            x, y, w, h = answer["box"]
            instance = ObjectInstance(car)
            instance.set_for_frames(
                BoundingBoxCoordinates(top_left_x=x, top_left_y=y, width=w, height=h),
                frames=0,
                confidence=answer["score"],
            )
            label_row.add_object_instance(instance)
            return TaskAgentReturnStruct(pathway="done", label_row=label_row)

        start = time.perf_counter()
        report = runner(max_concurrency=concurrency)
        seconds = time.perf_counter() - start
        done = project.task_counts().get("Complete", {})
        committed = sum(done.values())
        assert report.moved == committed, (report, done)
        return seconds, committed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 tasks instead of 5,000")
    parser.add_argument("--tasks", type=int, default=None)
    parser.add_argument("--aiohttp", action="store_true", help="also run aiohttp at 64")
    parser.add_argument("--sleep", action="store_true", help="also run without HTTP at 64")
    parser.add_argument("--only-extra", action="store_true", help="skip the httpx runs")
    args = parser.parse_args()
    count = args.tasks or (1_000 if args.quick else 5_000)
    logging.basicConfig(level=logging.WARNING)
    runs: list[tuple[int, int, str]] = []
    if not args.only_extra:
        runs += [(1, max(20, count // 50), "httpx"), (16, count, "httpx"), (64, count, "httpx")]
    if args.aiohttp:
        runs.append((64, count, "aiohttp"))
    if args.sleep:
        runs.append((64, count, "sleep"))
    with tempfile.TemporaryDirectory(prefix="annotask-bench-") as tmp:
        folder = Path(tmp)
        templates: dict[int, Path] = {}
        with model_stub(DELAY_S, max_requests=sum(n for _, n, _ in runs) + 100) as url:
            for concurrency, tasks, kind in runs:
                if tasks not in templates:
                    sub = folder / f"t{tasks}"
                    sub.mkdir()
                    templates[tasks] = prepare(sub, tasks)
                db = folder / f"c{concurrency}-{kind}.db"
                shutil.copy(templates[tasks], db)
                seconds, committed = _run(db, url, concurrency, kind)
                rate = committed / seconds
                limit = concurrency / DELAY_S
                name = f"async_{kind}_c{concurrency}"
                print(f"{name}_tasks: {committed} count")
                print(f"{name}: {rate:.0f} tasks/s")
                print(f"{name}_limit: {limit:.0f} tasks/s")
                print(f"{name}_vs_limit: {rate / limit:.2f}x", flush=True)


if __name__ == "__main__":
    main()
