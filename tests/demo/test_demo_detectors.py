"""The detectors find the rendered shapes and the astronaut's face, with meaningful confidences."""

from __future__ import annotations

import numpy as np
import pytest

from annotask.demo import (
    SHAPE_LABELS,
    DemoManifest,
    Detection,
    TruthBox,
    box_iou,
    detect_faces,
    detect_objects,
    detect_shapes,
)
from annotask.errors import ValidationError
from annotask.labels import BoundingBoxCoordinates
from tests.demo.conftest import load_rgb, video_frames

ASTRONAUT_FACE = (0.34, 0.13, 0.2, 0.2)  # where the face is in skimage's astronaut, by eye


def assert_matches(found: list[Detection], truth: tuple[TruthBox, ...], where: str) -> None:
    """One detection per true object, of its class, with IoU >= 0.7, and nothing else."""
    assert len(found) == len(truth), f"{where}: found {found}, truth {truth}"
    for expected in truth:
        best = max(found, key=lambda d: box_iou(d.box, expected.box))
        assert best.label == expected.label, f"{where}: {best} for {expected}"
        assert box_iou(best.box, expected.box) >= 0.7, f"{where}: {best} for {expected}"


def test_shapes_in_every_scene_are_found_with_their_class(manifest: DemoManifest) -> None:
    for scene in manifest.of_kind("scene"):
        assert scene.truth is not None
        assert_matches(detect_shapes(load_rgb(scene)), scene.truth[0], scene.name)


def test_the_empty_scene_yields_nothing(manifest: DemoManifest) -> None:
    (empty,) = [s for s in manifest.of_kind("scene") if not s.expects_objects]
    assert detect_objects(load_rgb(empty)) == []


def test_shapes_are_found_in_compressed_video_frames(manifest: DemoManifest) -> None:
    (video,) = manifest.of_kind("video")
    assert video.truth is not None
    frames = video_frames(video)
    for index in range(0, len(frames), 7):
        assert_matches(detect_shapes(frames[index]), video.truth[index], f"frame {index}")


def test_astronaut_has_a_face_where_her_face_is(manifest: DemoManifest) -> None:
    faces = detect_faces(load_rgb(manifest.by_name("astronaut.jpg")))
    assert faces and all(face.label == "face" for face in faces)
    assert box_iou(faces[0].box, ASTRONAUT_FACE) >= 0.6


def test_no_shapes_are_reported_in_photographs(manifest: DemoManifest) -> None:
    for photo in manifest.of_kind("photo"):
        assert detect_shapes(load_rgb(photo)) == [], photo.name


def test_confidences_lie_in_0_to_1_and_differ(manifest: DemoManifest) -> None:
    found = [
        detection
        for item in manifest.of_kind("scene") + manifest.of_kind("photo")[:1]
        for detection in detect_objects(load_rgb(item))
    ]
    confidences = [d.confidence for d in found]
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert len({round(c, 3) for c in confidences}) >= 5
    assert {d.label for d in found} == {"face", *SHAPE_LABELS}


def test_a_ragged_blob_is_not_a_shape() -> None:
    rng = np.random.default_rng(3)
    picture = np.full((120, 160, 3), 128, np.uint8)
    blob = rng.random((40, 60)) < 0.5  # salt and pepper red: no clean outline
    picture[40:80, 50:110][blob] = (220, 30, 30)
    assert detect_shapes(picture) == []


def test_shapes_cut_by_the_edge_are_not_guessed() -> None:
    picture = np.full((100, 100, 3), 128, np.uint8)
    picture[0:40, 0:40] = (30, 30, 220)
    assert detect_shapes(picture) == []


def test_detectors_refuse_anything_but_rgb_uint8() -> None:
    with pytest.raises(ValidationError, match=r"RGB uint8 array \[h, w, 3\]"):
        detect_shapes(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValidationError, match="RGB uint8"):
        detect_faces(np.zeros((10, 10, 3), np.float32))  # type: ignore[arg-type]


def test_a_detection_checks_its_confidence_and_box() -> None:
    with pytest.raises(ValidationError, match="confidence"):
        Detection("circle", (0.1, 0.1, 0.2, 0.2), 1.5)
    with pytest.raises(ValidationError, match="inside the image"):
        Detection("circle", (0.9, 0.1, 0.2, 0.2), 0.5)


def test_a_detection_converts_to_label_coordinates() -> None:
    box = Detection("face", (0.25, 0.5, 0.5, 0.25), 0.9).bounding_box()
    assert box == BoundingBoxCoordinates(top_left_x=0.25, top_left_y=0.5, width=0.5, height=0.25)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0.0, 0.0, 0.5, 0.5), (0.0, 0.0, 0.5, 0.5), 1.0),
        ((0.0, 0.0, 0.5, 0.5), (0.5, 0.5, 0.5, 0.5), 0.0),
        ((0.0, 0.0, 0.4, 0.4), (0.2, 0.0, 0.4, 0.4), 1 / 3),
    ],
)
def test_box_iou(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float], expected: float
) -> None:
    assert box_iou(a, b) == pytest.approx(expected)
