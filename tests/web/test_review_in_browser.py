"""A reviewer works the Review queue in a real browser against a real ``annotask serve``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import (
    HEIGHT,
    WIDTH,
    Site,
    agent_box,
    log_in,
    make_project,
    prelabel,
    screenshot,
    write_images,
)


def _open_review(page: Any, site: Site, project_hash: str) -> None:
    page.goto(f"{site.url}/#/p/{project_hash}/tasks?stage=Review")
    page.wait_for_selector(".tile svg .obj")
    page.click(".tile .thumb")
    page.wait_for_selector("#overlay .obj")


def _box_rect(page: Any) -> dict[str, float]:
    rect: dict[str, float] = page.locator("#overlay .obj rect.shape").first.bounding_box()
    return rect


def test_reviewer_sees_agent_boxes_moves_one_and_approves(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    project = make_project(site, "review-flow", write_images(tmp_path / "img", 1))
    assert prelabel(project, site.client) == 1
    page = log_in(browser, site, "carol")
    _open_review(page, site, project.project_hash)
    page.wait_for_function("document.getElementById('item').complete")
    image = page.locator("#item").bounding_box()
    box = _box_rect(page)
    expected = agent_box(0)
    scale = image["width"] / WIDTH
    assert image["height"] / HEIGHT == pytest.approx(scale, rel=0.01)
    assert box["x"] + 1 - image["x"] == pytest.approx(expected.top_left_x * WIDTH * scale, abs=1.5)
    assert box["y"] + 1 - image["y"] == pytest.approx(expected.top_left_y * HEIGHT * scale, abs=1.5)
    # the outline's 2 px stroke straddles the edges: one pixel out on each side
    assert box["width"] == pytest.approx(expected.width * WIDTH * scale + 2, abs=1.5)
    assert box["height"] == pytest.approx(expected.height * HEIGHT * scale + 2, abs=1.5)
    assert page.locator("#instances .badge.agent").count() == 1
    assert page.locator("#current-user").inner_text() == "carol"

    # drag the box 40 screen pixels right and 20 down
    start = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + 20, start[1] + 10, steps=3)
    page.mouse.move(start[0] + 40, start[1] + 20, steps=3)
    page.mouse.up()
    assert page.locator("#save-state").inner_text() == "unsaved changes"
    screenshot(page, tmp_path, "review-moved-box")
    page.click("#action-approve")
    page.wait_for_selector("text=queue is empty")

    row = project.get_label_row("img0.png")
    row.initialise_labels()
    assert row.version == 2
    [car] = row.get_object_instances()
    moved = car.get_annotation(0).coordinates
    assert moved.top_left_x == pytest.approx(expected.top_left_x + 40 / scale / WIDTH, abs=0.01)
    assert moved.top_left_y == pytest.approx(expected.top_left_y + 20 / scale / HEIGHT, abs=0.01)
    assert moved.width == pytest.approx(expected.width)
    [task] = project.list_tasks()
    assert task.stage.name == "Complete"
    screenshot(page, tmp_path, "review-approved")


def test_an_annotator_sees_no_approve_button_and_a_forged_approve_is_refused(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    project = make_project(site, "annotator-gate", write_images(tmp_path / "img", 1))
    prelabel(project, site.client)
    page = log_in(browser, site, "bob")
    _open_review(page, site, project.project_hash)
    assert page.locator("#current-role").inner_text().strip() == "(annotator)"
    assert page.locator("#action-approve").count() == 0
    assert page.locator("#action-reject").count() == 0
    assert page.locator("#tool-box").count() == 0  # no editing in a stage one cannot act in
    screenshot(page, tmp_path, "annotator-review")
    [task] = project.list_tasks()
    forged = page.evaluate(
        """async (path) => {
            const csrf = document.cookie.match(/annotask_csrf=([^;]+)/)[1];
            const answer = await fetch(path, {method: 'POST', credentials: 'same-origin',
              headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
              body: JSON.stringify({stage: 'Review'})});
            return [answer.status, (await answer.json()).detail];
        }""",
        f"/api/projects/{project.project_hash}/tasks/{task.uuid}/approve",
    )
    assert forged[0] == 403, forged
    [task] = project.list_tasks()
    assert task.stage.name == "Review"


def _wait_for_title(page: Any, condition: Callable[[], str]) -> None:
    """Wait until the task view shows a task whose title ``t`` meets ``condition``."""
    page.wait_for_function(
        "() => { const t = document.querySelector('.toolbar b')?.textContent;"
        " return document.querySelector('#overlay .obj') && (" + condition() + "); }"
    )


def test_keyboard_only_review_of_three_tasks(site: Site, browser: Any, tmp_path: Path) -> None:
    project = make_project(site, "keyboard", write_images(tmp_path / "img", 3))
    prelabel(project, site.client)
    page = log_in(browser, site, "carol")
    page.goto(f"{site.url}/#/p/{project.project_hash}/tasks?stage=Review")
    page.wait_for_selector(".tile")
    first = page.locator(".tile").first.get_attribute("data-title")
    page.locator(".tile .thumb").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#overlay .obj")
    assert page.locator(".toolbar b").first.inner_text() == first
    page.keyboard.press("n")  # next, then back
    _wait_for_title(page, lambda: f"t && t !== {first!r}")
    page.keyboard.press("p")
    _wait_for_title(page, lambda: f"t === {first!r}")
    # select the box and nudge it right by keyboard, then approve
    page.keyboard.press("]")
    page.keyboard.press("Shift+ArrowRight")
    assert page.locator("#save-state").inner_text() == "unsaved changes"
    seen = []
    for left in (2, 1, 0):
        page.wait_for_selector("#overlay .obj")
        seen.append(page.locator(".toolbar b").first.inner_text())
        page.keyboard.press("a")
        if left:
            _wait_for_title(page, lambda: f"t && t !== {seen[-1]!r}")
    page.wait_for_selector("text=queue is empty")
    screenshot(page, tmp_path, "keyboard-review-done")
    assert sorted(seen) == ["img0.png", "img1.png", "img2.png"]
    assert {t.stage.name for t in project.list_tasks()} == {"Complete"}
    nudged = project.get_label_row(first)
    nudged.initialise_labels()
    assert nudged.version == 2
    [car] = nudged.get_object_instances()
    index = int(first.removeprefix("img").split(".")[0])
    assert car.get_annotation(0).coordinates.top_left_x == pytest.approx(
        agent_box(index).top_left_x + 0.02
    )
    assert car.get_annotation(0).manual_annotation is True


def test_a_reviewer_rejects_with_a_comment_the_annotator_reads_on_the_event(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    project = make_project(site, "review-reject", write_images(tmp_path / "img", 1))
    assert prelabel(project, site.client) == 1
    page = log_in(browser, site, "carol")
    _open_review(page, site, project.project_hash)
    page.fill("#reject-comment", "the car's box cuts its bumper")
    page.keyboard.press("Escape")  # leave the field: keys act on the task again
    page.keyboard.press("r")
    page.wait_for_selector("text=queue is empty")
    screenshot(page, tmp_path, "review-rejected")
    [task] = project.list_tasks()
    assert task.stage.name == "Annotate"
    rejected = [e for e in project.events() if e.action == "reject"]
    assert [(e.actor, e.detail) for e in rejected] == [("carol", "the car's box cuts its bumper")]
