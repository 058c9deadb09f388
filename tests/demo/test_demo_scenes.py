"""The demo media: real photos loaded offline, rendered scenes and a video with ground truth."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import av
import pytest

from annotask.demo import DemoManifest, media_file_names, write_demo_media
from annotask.media import probe
from tests.demo.conftest import load_rgb


def test_writes_every_named_file_in_order(manifest: DemoManifest) -> None:
    assert [item.name for item in manifest] == media_file_names()
    assert all(item.path.is_file() and item.path.parent == manifest.folder for item in manifest)
    assert {item.kind for item in manifest} == {"photo", "scene", "video"}


def test_photos_are_skimage_samples_with_their_real_size(manifest: DemoManifest) -> None:
    photos = manifest.of_kind("photo")
    assert len(photos) >= 3
    astronaut = manifest.by_name("astronaut.jpg")
    assert (astronaut.source, astronaut.width, astronaut.height) == (
        "skimage.data.astronaut",
        512,
        512,
    )
    for photo in photos:
        assert photo.truth is None and photo.expects_objects is None
        assert load_rgb(photo).shape == (photo.height, photo.width, 3)


def test_media_are_made_without_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("the demo must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    made = write_demo_media(tmp_path / "offline")
    assert len(made) == len(media_file_names())


def test_scenes_have_shapes_inside_the_picture_and_one_is_empty(manifest: DemoManifest) -> None:
    scenes = manifest.of_kind("scene")
    empty = [s for s in scenes if not s.expects_objects]
    assert len(empty) == 1 and empty[0].truth == {0: ()}
    for scene in scenes:
        assert scene.truth is not None and set(scene.truth) == {0}
        for truth in scene.truth[0]:
            x, y, w, h = truth.box
            assert truth.label in {"circle", "rectangle", "triangle"}
            assert x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= 1 and y + h <= 1


def test_video_is_h264_with_truth_for_every_frame(manifest: DemoManifest) -> None:
    (video,) = manifest.of_kind("video")
    info = probe(video.path)
    assert (info.width, info.height, info.frame_count) == (320, 240, 60)
    with av.open(str(video.path)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    assert video.truth is not None and sorted(video.truth) == list(range(60))
    counts = {len(boxes) for boxes in video.truth.values()}
    assert counts == {2, 3}  # the triangle enters a third of the way in


def test_manifest_round_trips_through_a_dict(manifest: DemoManifest) -> None:
    assert DemoManifest.from_dict(manifest.to_dict()) == manifest


def test_by_name_names_a_missing_file(manifest: DemoManifest) -> None:
    with pytest.raises(KeyError, match=r"nothing\.png"):
        manifest.by_name("nothing.png")
