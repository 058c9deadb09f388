"""Editing conflicts, video frames and the live overview, in a real browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotask.labels import BoundingBoxCoordinates, LabelRow, ObjectInstance
from annotask.media.synthetic import write_test_video
from annotask.tasks import Runner
from tests.web.conftest import Site, log_in, make_project, prelabel, screenshot, write_images


def _drag_first_box(page: Any, dx: float, dy: float) -> None:
    box = page.locator("#overlay .obj rect.shape").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=4)
    page.mouse.up()


def test_two_sessions_edit_one_row_and_the_second_save_shows_the_conflict(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    project = make_project(site, "conflict", write_images(tmp_path / "img", 1))
    prelabel(project, site.client)
    [task] = project.list_tasks()
    pages = [log_in(browser, site, user) for user in ("carol", "alice")]
    for page in pages:
        page.goto(f"{site.url}/#/p/{project.project_hash}/t/{task.uuid}")
        page.wait_for_selector("#overlay .obj")
    carol, alice = pages
    _drag_first_box(alice, 30, 0)
    alice.keyboard.press("Control+s")
    alice.wait_for_selector(".banner.ok")
    _drag_first_box(carol, 0, 30)
    carol.click("#save")
    carol.wait_for_selector(".banner.conflict")
    banner = carol.locator(".banner.conflict").inner_text()
    assert "alice saved version 2" in banner
    assert carol.locator("#save-state").inner_text() == "unsaved changes"  # carol's edit kept
    screenshot(carol, tmp_path, "conflict")

    row = project.get_label_row("img0.png")
    row.initialise_labels()
    assert row.version == 2  # alice's save, not overwritten
    [car] = row.get_object_instances()
    assert car.get_annotation(0).coordinates.top_left_y == pytest.approx(0.2)
    assert car.get_annotation(0).coordinates.top_left_x > 0.13

    carol.click("#reload")
    carol.wait_for_function("document.getElementById('save-state').textContent === 'version 2'")
    assert carol.locator(".banner").count() == 0


def _video_project(site: Site, tmp_path: Path) -> Any:
    video = write_test_video(tmp_path / "clip.mp4", frames=12, width=160, height=120, fps=10)
    project = make_project(site, "video", [video])
    runner = Runner(project.project_hash, client=site.client)

    @runner.stage("Pre-label")
    def agent(row: LabelRow) -> str:
        for frame, (name, x) in {0: ("car", 0.1), 6: ("truck", 0.6)}.items():
            instance = ObjectInstance(row.ontology.get_object(name))
            box = BoundingBoxCoordinates(top_left_x=x, top_left_y=0.3, width=0.2, height=0.3)
            instance.set_for_frames(box, frame, confidence=0.7, manual_annotation=False)
            row.add_object_instance(instance)
        row.save()
        return "has objects"

    runner()
    return project


def test_stepping_a_video_shows_that_frames_boxes_and_not_another(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    project = _video_project(site, tmp_path)
    [task] = project.list_tasks()
    page = log_in(browser, site, "carol")
    page.goto(f"{site.url}/#/p/{project.project_hash}/t/{task.uuid}")
    page.wait_for_selector("#overlay .obj")
    names = lambda: [e.get_attribute("data-name") for e in page.locator("#overlay .obj").all()]  # noqa: E731
    assert names() == ["car"]
    assert sorted(int(t.get_attribute("data-frame")) for t in page.locator(".tick").all()) == [0, 6]
    for _ in range(5):
        page.keyboard.press(".")
    assert page.locator("#frame-label").get_attribute("data-frame") == "5"
    assert names() == []
    assert page.locator("#item").get_attribute("src").endswith("/frames/5?format=jpeg")
    page.keyboard.press(".")
    page.wait_for_function("document.getElementById('item').complete")
    assert names() == ["truck"]
    assert page.evaluate("document.getElementById('item').naturalWidth") == 160
    screenshot(page, tmp_path, "video-frame-6")
    page.fill("#frame-slider", "0")
    assert names() == ["car"]


def test_the_overview_counts_change_without_a_reload_when_a_runner_moves_tasks(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    project = make_project(site, "live", write_images(tmp_path / "img", 3))
    page = log_in(browser, site, "carol")
    page.goto(f"{site.url}/#/p/{project.project_hash}")
    page.wait_for_selector("text=live")
    count = lambda stage: page.locator(f'[data-count="{stage}"]').text_content()  # noqa: E731
    assert count("Pre-label") == "3 tasks" and count("Review") == "0 tasks"
    page.evaluate("window.notReloaded = true")
    assert prelabel(project, site.client, limit=2) == 2
    page.wait_for_function(
        "document.querySelector('[data-count=\"Review\"]').textContent === '2 tasks'"
    )
    assert count("Pre-label") == "1 task"
    assert page.evaluate("window.notReloaded") is True
    page.wait_for_selector('.moved[data-pathway="has objects"] b:text("2")')
    screenshot(page, tmp_path, "overview-live")


def test_the_api_docs_render_offline(site: Site, browser: Any, tmp_path: Path) -> None:
    page = log_in(browser, site, "carol")  # every request outside the server is refused
    refused: list[str] = []
    page.on("requestfailed", lambda request: refused.append(request.url))
    page.goto(f"{site.url}/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "annotask" in page.locator(".swagger-ui .info .title").inner_text()
    page.wait_for_selector(".opblock-tag")
    assert refused == []
    screenshot(page, tmp_path, "api-docs")


def test_history_shows_who_saved_what_changed_and_an_owner_reverts(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    project = make_project(site, "history", write_images(tmp_path / "img", 1))
    prelabel(project, site.client)
    [task] = project.list_tasks()
    carol = log_in(browser, site, "carol")
    carol.goto(f"{site.url}/#/p/{project.project_hash}/t/{task.uuid}")
    carol.wait_for_selector("#overlay .obj")
    _drag_first_box(carol, 25, 0)
    carol.keyboard.press("Control+s")
    carol.wait_for_selector(".banner.ok")
    carol.click("#history summary")
    carol.wait_for_selector('#history tr[data-version="2"]')
    assert "carol" in carol.locator('#history tr[data-version="2"]').inner_text()
    assert carol.locator("#history button:text('revert to this')").count() == 0  # reviewer
    carol.locator('#history tr[data-version="2"] button').first.click()
    carol.wait_for_selector("#diff .moved")
    assert "moved car" in carol.locator("#diff .moved").inner_text()
    assert carol.locator("#diff .added").inner_text() == "added none"

    alice = log_in(browser, site, "alice")
    alice.goto(f"{site.url}/#/p/{project.project_hash}/t/{task.uuid}")
    alice.wait_for_selector("#overlay .obj")
    alice.click("#history summary")
    alice.locator('#history tr[data-version="1"] button:text("revert to this")').click()
    alice.wait_for_selector('#history tr[data-version="3"]')
    screenshot(alice, tmp_path, "history")
    row = project.get_label_row("img0.png")
    row.initialise_labels()
    assert row.version == 3
    [car] = row.get_object_instances()
    assert car.get_annotation(0).coordinates.top_left_x == pytest.approx(0.125)
