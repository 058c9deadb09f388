"""Server benchmark: the HTTP API on a project of 100,000 tasks, beside bare Starlette.

Our app (``create_app`` over an SQLite store) and a bare Starlette app (one endpoint answering
a fixed JSON body of the same size as ours) each run under Uvicorn in a process of their own,
one worker each, in the same run. 32 concurrent clients (httpx, asyncio) then ask:

- the task list ``/tasks?stage=…&limit=50`` (a token per request, membership checked);
- a label row ``GET`` of 50 objects;
- a thumbnail (cached after the first request).

Prints ``name: value unit`` lines: requests/s and p50/p95 latency of each, the bare endpoint's
requests/s for the same body sizes, the ratios ``*_vs_bare`` (our throughput over bare
Starlette's; target >= 0.3 for the task list and the label row), and the cost of the last page
of the task list over the first (``last_page_vs_first``, target <= 1).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

import annotask
from annotask.client.access import Accounts
from annotask.labels import BoundingBoxCoordinates, ObjectInstance

WORKFLOW = {
    "stages": [
        {"name": "Annotate", "type": "annotation", "pathways": {"submit": "Complete"}},
        {"name": "Complete", "type": "complete"},
    ]
}
ONTOLOGY = {"objects": [{"name": "car", "shape": "bounding_box"}]}
CLIENTS = 32
KEEP_ALIVE_S = 120  # both servers: a loaded machine must not close connections mid-run


def _make_project(folder: Path, count: int) -> tuple[str, str, str, str]:
    """A project of ``count`` tasks over real PNGs; its hash, an item, a token, the URL."""
    images = folder / "images"
    images.mkdir()
    encoded = folder / "one.png"
    Image.new("RGB", (640, 480), (30, 120, 200)).save(encoded)
    data = encoded.read_bytes()
    paths = []
    for i in range(count):
        path = images / f"item{i:06d}.png"
        path.write_bytes(data)
        paths.append(path)
    url = f"sqlite:///{folder / 'annotask.db'}"
    with annotask.Client(url, user="bench") as client:
        dataset = client.create_dataset("bench")
        dataset.add_items(paths[:1])
        dataset.add_items(paths[1:], probe=False)
        project = client.create_project(
            "bench", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
        )
        row = project.list_label_rows(data_hashes=[dataset.list_items()[0].data_hash])[0]
        row.initialise_labels()
        car = row.ontology.get_object("car")
        for i in range(50):
            box = ObjectInstance(car)
            box.set_for_frames(BoundingBoxCoordinates(i / 60, 0.1, 0.01, 0.02), frames=0)
            row.add_object_instance(box)
        row.save()
        token = Accounts(client.store).issue_token("bench", "bench").secret
        return project.project_hash, row.data_hash, token, url


def _serve_ours(url: str, cache: str, sock: socket.socket) -> None:
    import uvicorn  # noqa: PLC0415 - in the server process

    from annotask.server.app import create_app  # noqa: PLC0415
    from annotask.server.settings import ServerSettings  # noqa: PLC0415

    app = create_app(ServerSettings(url=url, cache_dir=Path(cache)))
    config = uvicorn.Config(app, log_level="warning", timeout_keep_alive=KEEP_ALIVE_S)
    uvicorn.Server(config).run(sockets=[sock])


def _serve_bare(bodies: dict[str, bytes], sock: socket.socket) -> None:
    import uvicorn  # noqa: PLC0415 - in the server process
    from starlette.applications import Starlette  # noqa: PLC0415
    from starlette.requests import Request  # noqa: PLC0415
    from starlette.responses import Response  # noqa: PLC0415
    from starlette.routing import Route  # noqa: PLC0415

    async def endpoint(request: Request) -> Response:
        return Response(bodies[request.path_params["name"]], media_type="application/json")

    app = Starlette(routes=[Route("/bare/{name}", endpoint)])
    config = uvicorn.Config(app, log_level="warning", timeout_keep_alive=KEEP_ALIVE_S)
    uvicorn.Server(config).run(sockets=[sock])


def _start(target: Callable[..., None], *args: Any) -> tuple[multiprocessing.Process, str]:
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    process = multiprocessing.get_context("spawn").Process(
        target=target, args=(*args, sock), daemon=True
    )
    process.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/", timeout=2)
            sock.close()
            return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"the server for {target.__name__} did not start")


async def _load(
    base: str, path: str, headers: dict[str, str], total: int
) -> tuple[float, list[float]]:
    """Seconds for ``total`` requests from 32 concurrent clients, and each request's latency."""
    latencies: list[float] = []
    left = total
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as http:

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                start = time.perf_counter()
                answer = await http.get(path)
                latencies.append(time.perf_counter() - start)
                if answer.status_code != 200:
                    raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:200]}")

        await http.get(path)  # warm: caches, connections
        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
        return time.perf_counter() - began, latencies


def _measure(name: str, base: str, path: str, headers: dict[str, str], total: int) -> float:
    seconds, latencies = asyncio.run(_load(base, path, headers, total))
    rps = total / seconds
    cuts = statistics.quantiles(latencies, n=20)
    print(f"{name}_rps: {rps:.0f} req/s")
    print(f"{name}_p50: {statistics.median(latencies) * 1000:.1f} ms")
    print(f"{name}_p95: {cuts[18] * 1000:.1f} ms")
    return rps


def _page_cost(base: str, path: str, headers: dict[str, str], repeats: int) -> tuple[float, float]:
    """Median seconds of the first page and of the last page (found by walking the cursors)."""
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        cursor = None
        last_cursor = None
        while True:
            params: dict[str, Any] = {"stage": "Annotate", "limit": 500}
            if cursor is not None:
                params["cursor"] = cursor
            page = http.get(path, params=params).json()
            if page["next_cursor"] is None:
                break
            last_cursor, cursor = cursor, page["next_cursor"]
        if last_cursor is None:
            raise RuntimeError("too few tasks to page")

        def timed(params: dict[str, Any]) -> float:
            runs = []
            for _ in range(repeats):
                start = time.perf_counter()
                http.get(path, params=params).raise_for_status()
                runs.append(time.perf_counter() - start)
            return statistics.median(runs)

        first = {"stage": "Annotate", "limit": 50}
        return timed(first), timed({**first, "cursor": cursor})


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5,000 tasks, fewer requests")
    parser.add_argument("--tasks", type=int, default=None, help="tasks in the project")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    count = args.tasks or (5_000 if args.quick else 100_000)
    total = 300 if args.quick else 1_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project_hash, data_hash, token, url = _make_project(folder, count)
        ours, base = _start(_serve_ours, url, str(folder / "cache"))
        headers = {"Authorization": f"Bearer {token}"}
        tasks_path = f"/api/projects/{project_hash}/tasks?stage=Annotate&limit=50"
        row_path = f"/api/projects/{project_hash}/label-rows/{data_hash}"
        thumb_path = f"/api/projects/{project_hash}/items/{data_hash}/thumbnail?size=128"
        bodies = {
            "tasks": httpx.get(base + tasks_path, headers=headers).content,
            "row": httpx.get(base + row_path, headers=headers).content,
        }
        if len(json.loads(bodies["row"])["labels"]["objects"]) != 50:
            raise RuntimeError("the label row should hold 50 objects")
        bare, bare_base = _start(_serve_bare, bodies)
        try:
            print(f"tasks: {count}")
            print(f"concurrent_clients: {CLIENTS}")
            print(f"task_list_bytes: {len(bodies['tasks'])} B")
            print(f"label_row_bytes: {len(bodies['row'])} B")
            task_rps = _measure("task_list", base, tasks_path, headers, total)
            bare_tasks = _measure("bare_task_list", bare_base, "/bare/tasks", {}, total)
            row_rps = _measure("label_row", base, row_path, headers, total)
            bare_row = _measure("bare_label_row", bare_base, "/bare/row", {}, total)
            _measure("thumbnail", base, thumb_path, headers, total)
            print(f"task_list_vs_bare: {task_rps / bare_tasks:.2f}x")
            print(f"label_row_vs_bare: {row_rps / bare_row:.2f}x")
            first, last = _page_cost(
                base, f"/api/projects/{project_hash}/tasks", headers, 5 if args.quick else 20
            )
            print(f"first_page: {first * 1000:.1f} ms")
            print(f"last_page: {last * 1000:.1f} ms")
            print(f"last_page_vs_first: {last / first:.2f}x")
        finally:
            for process in (ours, bare):
                process.terminate()
                process.join(10)


if __name__ == "__main__":
    main()
