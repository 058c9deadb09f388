"""Browser fixtures: a real ``annotask serve`` process on a free port, Debian's chromium driven
by Playwright, and projects whose images an agent pre-labelled with a real runner."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

import annotask
from annotask.client.access import Accounts
from annotask.labels import BoundingBoxCoordinates, LabelRow, ObjectInstance
from annotask.tasks import Runner
from tests.definitions import WORKFLOW

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
USERS = {"bob": "annotator", "carol": "reviewer"}
ONTOLOGY: dict[str, Any] = {
    "objects": [
        {"name": "car", "shape": "bounding_box"},
        {"name": "truck", "shape": "bounding_box"},
        {"name": "road", "shape": "polygon"},
    ],
    "classifications": [{"name": "weather", "type": "radio", "options": ["sunny", "rain"]}],
}
WIDTH, HEIGHT = 320, 240


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    return found


@dataclass
class Site:
    """The server under test, the store behind it, and where screenshots go."""

    url: str
    store_url: str
    client: annotask.Client
    """Acts as alice, the owner of every project the tests make."""
    folder: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """``annotask serve --port 0`` on a fresh SQLite store with alice, bob and carol."""
    folder = tmp_path_factory.mktemp("web")
    store_url = f"sqlite:///{folder / 'web.db'}"
    client = annotask.Client(store_url, user="alice")
    accounts = Accounts(client.store)
    accounts.set_password("alice", PASSWORD)
    for user in USERS:
        accounts.create_user(user, PASSWORD)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTASK_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONUNBUFFERED"] = "1"
    command = [sys.executable, "-m", "annotask", "--db", store_url, "serve", "--port", "0"]
    server = subprocess.Popen(
        command, env=env, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        url = _wait_for_url(server)
        yield Site(url, store_url, client, folder)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        client.close()


def _wait_for_url(server: subprocess.Popen[str]) -> str:
    assert server.stdout is not None
    deadline = time.monotonic() + 30
    seen = []
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        if not line and server.poll() is not None:
            break
        seen.append(line)
        match = re.search(r"at (http://[\d.]+:\d+)/", line)
        if match:
            return match.group(1)
    raise RuntimeError("annotask serve did not start:\n" + "".join(seen))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, driven by Playwright."""
    executable = _chromium()
    if executable is None:
        pytest.skip("chromium is not installed (apt-get install chromium; make test does it)")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - browser tests only

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


def screenshot(page: Any, tmp_path: Path, name: str) -> Path:
    """Save a screenshot under the test's tmp dir (and ``$ANNOTASK_SCREENSHOT_DIR``)."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    copy_to = os.environ.get("ANNOTASK_SCREENSHOT_DIR")
    if copy_to:
        Path(copy_to).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(copy_to) / path.name)
    return path


def log_in(browser: Any, site: Site, user: str) -> Any:
    """A new browser session logged in as ``user``; returns its page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    # offline: anything not from the server under test is refused (and logged)
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(site.url)
            else (log.warning("refused %s", route.request.url), route.abort())
        ),
    )
    page = context.new_page()
    page.on("pageerror", lambda error: log.warning("page error (%s): %s", user, error))
    page.on("console", lambda msg: log.info("console (%s): %s", user, msg.text))
    page.on(
        "response",
        lambda r: log.info("HTTP %s (%s): %s", r.status, user, r.url) if r.status >= 400 else None,
    )
    page.goto(site.url + "/#/login")
    page.fill("#login-user", user)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#projects")
    return page


def write_images(folder: Path, count: int) -> list[Path]:
    """Small PNGs, each with a different grey and a white square."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        picture = Image.new("RGB", (WIDTH, HEIGHT), (40 + 30 * i, 60, 90))
        ImageDraw.Draw(picture).rectangle((40 + 10 * i, 50, 120 + 10 * i, 130), fill="white")
        path = folder / f"img{i}.png"
        picture.save(path)
        paths.append(path)
    return paths


def agent_box(i: int) -> BoundingBoxCoordinates:
    """Where the test agent puts its box on item ``i``."""
    return BoundingBoxCoordinates(
        top_left_x=0.125 + 0.03 * i, top_left_y=0.2, width=0.25, height=0.35
    )


def prelabel(project: annotask.Project, client: annotask.Client, limit: int | None = None) -> int:
    """Run a real agent over the Pre-label stage: a car box on each image, on to Review."""
    runner = Runner(project.project_hash, client=client)
    done = 0

    @runner.stage("Pre-label")
    def agent(row: LabelRow) -> str | None:
        nonlocal done
        if limit is not None and done >= limit:
            return None
        index = int(row.data_title.removeprefix("img").split(".")[0])
        car = ObjectInstance(row.ontology.get_object("car"))
        confidence = 0.9 - 0.1 * index
        car.set_for_frames(agent_box(index), 0, confidence=confidence, manual_annotation=False)
        row.add_object_instance(car)
        row.save()
        done += 1
        return "has objects"

    runner()
    return done


def make_project(site: Site, name: str, images: list[Path]) -> annotask.Project:
    """A project over ``images`` with bob as annotator and carol as reviewer."""
    dataset = site.client.create_dataset(name)
    dataset.add_items(images)
    project = site.client.create_project(
        name, datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
    )
    for user, role in USERS.items():
        project.add_member(user, role)
    return project
