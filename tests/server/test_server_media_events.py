"""Storage items (bytes with Range, thumbnails, frames), events with a live stream, and
export/import over HTTP."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import httpx
import pytest
from PIL import Image

import annotask
from annotask.media import write_test_video
from tests.definitions import ONTOLOGY, WORKFLOW
from tests.server.conftest import Server


def _base(server: Server) -> str:
    return f"/api/projects/{server.project.project_hash}"


def _first_item(server: Server) -> str:
    tasks = server.http.get(_base(server) + "/tasks", headers=server.as_("bob")).json()
    return str(tasks["tasks"][0]["data_hash"])


def test_media_bytes_honour_range_requests(server: Server) -> None:
    data_hash = _first_item(server)
    item = server.http.get(f"{_base(server)}/items/{data_hash}", headers=server.as_("bob"))
    assert item.status_code == 200 and item.json()["width"] == 40
    path = f"{_base(server)}/items/{data_hash}/media"
    whole = server.http.get(path, headers=server.as_("bob"))
    assert whole.status_code == 200 and whole.headers["content-type"] == "image/png"
    part = server.http.get(path, headers={**server.as_("bob"), "Range": "bytes=0-7"})
    assert part.status_code == 206 and part.content == whole.content[:8]
    assert part.headers["content-range"].startswith("bytes 0-7/")
    outside = server.http.get(path, headers={**server.as_("eve"), "Range": "bytes=0-7"})
    assert outside.status_code == 404


def test_thumbnails_fit_the_size_asked_and_frames_come_as_png_or_jpeg(server: Server) -> None:
    data_hash = _first_item(server)
    thumb = server.http.get(
        f"{_base(server)}/items/{data_hash}/thumbnail",
        params={"size": 20},
        headers=server.as_("bob"),
    )
    assert thumb.status_code == 200
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 20
    too_big = server.http.get(
        f"{_base(server)}/items/{data_hash}/thumbnail",
        params={"size": 5000},
        headers=server.as_("bob"),
    )
    assert too_big.status_code == 422 and "size" in too_big.json()["detail"]
    frame = server.http.get(
        f"{_base(server)}/items/{data_hash}/frames/0",
        params={"format": "jpeg"},
        headers=server.as_("bob"),
    )
    assert frame.status_code == 200 and frame.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(frame.content)).size == (40, 30)
    missing = server.http.get(
        f"{_base(server)}/items/{data_hash}/frames/3", headers=server.as_("bob")
    )
    assert missing.status_code == 404


def test_a_video_frame_by_index(server: Server, tmp_path: Path) -> None:
    video = write_test_video(tmp_path / "clip.mp4", frames=12, width=32, height=24)
    with annotask.Client(server.url, user="alice") as alice:
        dataset = alice.create_dataset("videos")
        dataset.add_items([video])
        project = alice.create_project(
            "video", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
        )
        data_hash = project.list_tasks()[0].data_hash
    headers = server.as_("alice")
    base = f"/api/projects/{project.project_hash}/items/{data_hash}"
    frame = server.http.get(f"{base}/frames/7", headers=headers)
    assert frame.status_code == 200
    assert Image.open(io.BytesIO(frame.content)).size == (32, 24)
    beyond = server.http.get(f"{base}/frames/12", headers=headers)
    assert beyond.status_code == 404 and "0..11" in beyond.json()["detail"]


def test_events_page_by_id_and_the_stream_resumes_from_last_event_id(server: Server) -> None:
    stage = server.project.workflow.get_stage(name="Pre-label")
    tasks = list(stage.get_tasks())
    for task in tasks[:2]:
        assert isinstance(task, annotask.AgentTask)
        task.proceed("empty")
    page = server.http.get(_base(server) + "/events", headers=server.as_("bob")).json()
    assert [e["pathway"] for e in page["events"]] == ["empty", "empty"]
    first_id = page["events"][0]["id"]
    received: list[dict[str, object]] = []
    got_two = threading.Event()

    def listen() -> None:
        with server.http.stream(
            "GET",
            _base(server) + "/events/stream",
            headers={**server.as_("bob"), "Last-Event-ID": str(first_id)},
            timeout=20,
        ) as answer:
            assert answer.headers["content-type"].startswith("text/event-stream")
            for line in answer.iter_lines():
                if line.startswith("data: "):
                    received.append(json.loads(line.removeprefix("data: ")))
                    if len(received) == 2:
                        got_two.set()
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    task = tasks[2]
    assert isinstance(task, annotask.AgentTask)
    task.proceed("has objects")  # after the stream started
    assert got_two.wait(15), received
    # resumed after the first event: the second, then the one made while streaming
    assert received[0]["id"] == page["events"][1]["id"] < received[1]["id"]
    assert received[1]["task_uuid"] == str(tasks[2].uuid)
    assert received[1]["pathway"] == "has objects"
    listener.join(5)


def test_export_downloads_and_import_is_all_or_nothing(server: Server) -> None:
    exported = server.http.get(
        _base(server) + "/export", params={"format": "json"}, headers=server.as_("bob")
    )
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    assert len(exported.json()["label_rows"]) == 5
    coco = server.http.get(
        _base(server) + "/export", params={"format": "coco"}, headers=server.as_("bob")
    ).json()
    car = coco["categories"][0]
    good = {
        "images": [{"id": 1, "file_name": "img0.png", "width": 40, "height": 30}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": car["id"], "bbox": [4, 3, 8, 6]}],
        "categories": [car],
    }
    bad = {
        **good,
        "images": [*good["images"], {"id": 2, "file_name": "nope.png", "width": 4, "height": 3}],
        "annotations": [
            *good["annotations"],
            {"id": 2, "image_id": 2, "category_id": car["id"], "bbox": [0, 0, 1, 1]},
        ],
    }
    refused = server.http.post(
        _base(server) + "/import",
        files={"file": ("bad.json", json.dumps(bad).encode(), "application/json")},
        headers=server.as_("bob"),
    )
    assert refused.status_code == 422 and "nope.png" in refused.json()["detail"]
    assert all(r.version == 0 for r in server.project.list_label_rows())
    imported = server.http.post(
        _base(server) + "/import",
        files={"file": ("good.json", json.dumps(good).encode(), "application/json")},
        headers=server.as_("bob"),
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["objects_added"] == 1
    assert sorted(r.version for r in server.project.list_label_rows()) == [0, 0, 0, 0, 1]


@pytest.mark.parametrize("body", [b"not json", b"[1, 2"])
def test_an_upload_that_is_not_json_is_422(server: Server, body: bytes) -> None:
    answer = server.http.post(
        _base(server) + "/import",
        files={"file": ("x.json", body, "application/json")},
        headers=server.as_("bob"),
    )
    assert answer.status_code == 422 and "is not valid JSON" in answer.json()["detail"]
    assert isinstance(answer, httpx.Response)
