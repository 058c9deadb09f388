"""Web app benchmark: the task browser on a project of 100,000 tasks, in Debian's chromium.

One ``create_app`` server (Uvicorn, its own process) over an SQLite store of ``--tasks`` tasks.
Playwright drives chromium, logged in with a password, and measures:

- ``first_page_interactive``: from opening the task browser to its first 48 tiles on screen
  (thumbnails requested, each tile a link);
- ``next_page``: from clicking *Next* to the second page's tiles on screen;
- ``overlays_drawn``: until every tile of the first page has its labels drawn;
- ``api_first_page``: the same page of the JSON API fetched by the page itself, the baseline;
  ``first_page_vs_api`` and ``next_page_vs_api`` are our times over it.

Targets: first page under 1 s, next page under 300 ms. Prints ``name: value unit`` lines.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import shutil
import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

import annotask
from annotask.client.access import Accounts
from annotask.labels import BoundingBoxCoordinates, ObjectInstance

WORKFLOW = {
    "stages": [
        {"name": "Review", "type": "review", "pathways": {"approve": "Complete", "reject": "Fix"}},
        {"name": "Fix", "type": "annotation", "pathways": {"submit": "Review"}},
        {"name": "Complete", "type": "complete"},
    ]
}
ONTOLOGY = {"objects": [{"name": "car", "shape": "bounding_box"}]}
PASSWORD = "bench password"


def _make_project(folder: Path, count: int) -> tuple[str, str]:
    """A project of ``count`` tasks over real PNGs, the first 100 rows with 5 boxes each."""
    images = folder / "images"
    images.mkdir()
    one = folder / "one.png"
    Image.new("RGB", (640, 480), (30, 120, 200)).save(one)
    data = one.read_bytes()
    paths = []
    for i in range(count):
        path = images / f"item{i:06d}.png"
        path.write_bytes(data)
        paths.append(path)
    url = f"sqlite:///{folder / 'annotask.db'}"
    with annotask.Client(url, user="bench") as client:
        Accounts(client.store).set_password("bench", PASSWORD)
        dataset = client.create_dataset("bench")
        dataset.add_items(paths[:1])
        dataset.add_items(paths[1:], probe=False)
        project = client.create_project(
            "bench", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
        )
        car = project.ontology.get_object("car")
        for row in project.list_label_rows_v2()[:100]:
            row.initialise_labels()
            for i in range(5):
                box = ObjectInstance(car)
                box.set_for_frames(BoundingBoxCoordinates(i / 6, 0.1, 0.1, 0.2), frames=0)
                row.add_object_instance(box)
            row.save()
        return project.project_hash, url


def _serve(url: str, cache: str, sock: socket.socket) -> None:
    import uvicorn  # noqa: PLC0415 - in the server process

    from annotask.server.app import create_app  # noqa: PLC0415
    from annotask.server.settings import ServerSettings  # noqa: PLC0415

    app = create_app(ServerSettings(url=url, cache_dir=Path(cache)))
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


def _start(url: str, cache: str) -> tuple[multiprocessing.Process, str]:
    sock = socket.create_server(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    process = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(url, cache, sock), daemon=True
    )
    process.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/", timeout=2)
            sock.close()
            return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def _tiles_shown(page: Any, number: int) -> None:
    page.wait_for_function(
        f"document.getElementById('grid')?.dataset.page === '{number}'"
        " && document.querySelectorAll('#grid .tile a.thumb').length === 48"
    )


def _one_round(page: Any, base: str, project: str) -> dict[str, float]:
    page.goto(f"{base}/#/")  # another page, so the task browser is built anew
    page.wait_for_selector("#projects")
    page.wait_for_load_state("networkidle")
    api = page.evaluate(
        """async (path) => { const t = performance.now(); await (await fetch(path)).json();
           return (performance.now() - t) / 1000; }""",
        f"/api/projects/{project}/tasks?stage=Review&limit=48",
    )
    began = time.perf_counter()
    page.evaluate(f"location.hash = '#/p/{project}/tasks?stage=Review'")
    _tiles_shown(page, 1)
    first = time.perf_counter() - began
    page.wait_for_function(
        "[...document.querySelectorAll('#grid .tile')].every(t => t.dataset.objects)"
    )
    overlays = time.perf_counter() - began
    began = time.perf_counter()
    page.click("#next-page")
    _tiles_shown(page, 2)
    following = time.perf_counter() - began
    return {"first": first, "next": following, "overlays": overlays, "api": float(api)}


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5,000 tasks, 3 rounds")
    parser.add_argument("--tasks", type=int, default=None, help="tasks in the project")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("bench/webapp.py needs Debian's chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only this bench

    count = args.tasks or (5_000 if args.quick else 100_000)
    rounds = 3 if args.quick else 7
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        made = time.perf_counter()
        project, url = _make_project(folder, count)
        print(f"tasks: {count}")
        print(f"setup: {time.perf_counter() - made:.1f} s")
        server, base = _start(url, str(folder / "cache"))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(base + "/#/login")
                page.fill("#login-user", "bench")
                page.fill("#login-password", PASSWORD)
                page.click("#login-submit")
                page.wait_for_selector("#projects")
                runs = [_one_round(page, base, project) for _ in range(rounds)]
                browser.close()
        finally:
            server.terminate()
            server.join(10)
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"rounds: {rounds}")
    print(f"first_page_interactive: {median['first'] * 1000:.0f} ms")
    print(f"next_page: {median['next'] * 1000:.0f} ms")
    print(f"overlays_drawn: {median['overlays'] * 1000:.0f} ms")
    print(f"api_first_page: {median['api'] * 1000:.0f} ms")
    print(f"first_page_vs_api: {median['first'] / median['api']:.2f}x")
    print(f"next_page_vs_api: {median['next'] / median['api']:.2f}x")


if __name__ == "__main__":
    main()
