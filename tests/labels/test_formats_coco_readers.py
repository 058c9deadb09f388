"""COCO export read by pycocotools: it loads, its masks decode to ours, and COCOeval of an
export against itself gives AP 1.0 for boxes, segmentation and keypoints. Numbers are clean."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from annotask.datatypes import DataType
from annotask.labels import (
    BitmaskCoordinates,
    BoundingBoxCoordinates,
    LabelRow,
    ObjectInstance,
    Ontology,
    PolygonCoordinates,
    SkeletonCoordinates,
)
from annotask.labels.formats import ExportItem, get_format

# pycocotools' compiled decoder trips numpy 2's __array__ deprecation; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
coco_format = get_format("coco")
CATEGORIES = {"bbox": None, "segm": ("road", "puddle"), "keypoints": ("person",)}
W, H = 64, 48


def _mask(shift: int) -> np.ndarray[Any, Any]:
    mask = np.zeros((H, W), dtype=bool)
    mask[10 + shift : 20 + shift, 5:30] = True
    return mask


def _rows(ontology: Ontology, make_row: Any) -> list[ExportItem]:
    items = []
    for i in range(3):
        row: LabelRow = make_row(data_title=f"img{i}.png", width=W, height=H)
        car = ObjectInstance(ontology.get_object("car"))
        car.set_for_frames(BoundingBoxCoordinates(0.1 * i + 0.05, 0.3, 0.31, 0.41))
        road = ObjectInstance(ontology.get_object("road"))
        road.set_for_frames(PolygonCoordinates([(0.1, 0.1), (0.9, 0.2), (0.5, 0.9)]))
        puddle = ObjectInstance(ontology.get_object("puddle"))
        puddle.set_for_frames(BitmaskCoordinates.from_array(_mask(i)))
        person = ObjectInstance(ontology.get_object("person"))
        person.set_for_frames(
            SkeletonCoordinates(
                {"head": (0.5, 0.2), "left_hand": (0.3, 0.5), "right_hand": (0.7, 0.5)}
            )
        )
        for instance in (car, road, puddle, person):
            row.add_object_instance(instance)
        items.append(ExportItem(row, row.data_title))
    return items


@pytest.fixture
def exported(ontology: Ontology, make_row: Any, tmp_path: Path) -> Path:
    target = tmp_path / "coco.json"
    coco_format.export(_rows(ontology, make_row), ontology, target, compress_rle=True)
    return target


def _evaluate(path: Path, kind: str) -> float:
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO(str(path))
        detections = json.loads(path.read_text())["annotations"]
        for d in detections:
            d["score"] = 1.0
        wanted = CATEGORIES[kind]
        categories = truth.getCatIds(catNms=list(wanted)) if wanted else truth.getCatIds()
        detections = [d for d in detections if d["category_id"] in categories]
        found = truth.loadRes(detections)
        evaluation = COCOeval(truth, found, kind)
        evaluation.params.catIds = categories
        if kind == "keypoints":  # one sigma per keypoint of our skeleton (COCO's are for 17)
            evaluation.params.kpt_oks_sigmas = np.full(3, 0.05)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return float(evaluation.stats[0])


@pytest.mark.parametrize("kind", ["bbox", "segm", "keypoints"])
def test_cocoeval_of_an_export_against_itself_gives_ap_one(exported: Path, kind: str) -> None:
    assert _evaluate(exported, kind) == pytest.approx(1.0)


def test_pycocotools_decodes_our_rle_masks_to_the_same_pixels(exported: Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(exported))
    puddle = coco.getCatIds(catNms=["puddle"])
    masks = [coco.annToMask(a) for a in coco.loadAnns(coco.getAnnIds(catIds=puddle))]
    for i, decoded in enumerate(masks):
        assert np.array_equal(decoded.astype(bool), _mask(i))
    encoded = mask_utils.encode(np.asfortranarray(_mask(0).astype(np.uint8)))
    ours = json.loads(exported.read_text())
    first = next(a for a in ours["annotations"] if a["category_id"] == puddle[0])
    assert first["segmentation"]["counts"] == encoded["counts"].decode("ascii")


def _numbers(value: object) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []


def test_numbers_are_clean(exported: Path) -> None:
    annotations = json.loads(exported.read_text())["annotations"]
    for annotation in annotations:
        for key in ("bbox", "area", "segmentation", "keypoints"):
            for number in _numbers(annotation.get(key)):
                assert round(number, 4) == number, (key, number)
    car = annotations[0]
    assert car["bbox"] == [3.2, 14.4, 19.84, 19.68]


def test_video_frames_are_images_named_by_the_frame_convention(
    ontology: Ontology, make_row: Any, tmp_path: Path
) -> None:
    row = make_row(
        data_title="clip.mp4", data_type=DataType.VIDEO, number_of_frames=5, width=W, height=H
    )
    car = ObjectInstance(ontology.get_object("car"))
    car.set_for_frames(BoundingBoxCoordinates(0.25, 0.25, 0.5, 0.5), [1, 3])
    row.add_object_instance(car)
    target = tmp_path / "coco.json"
    coco_format.export([ExportItem(row, "clip.mp4")], ontology, target)
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(target))
    names = sorted(image["file_name"] for image in coco.dataset["images"])
    assert names == ["clip.mp4#frame1", "clip.mp4#frame3"]
    copy = make_row(
        data_title="clip.mp4", data_type=DataType.VIDEO, number_of_frames=5, width=W, height=H
    )
    coco_format.import_(target, ontology, {"clip.mp4": copy})
    (back,) = copy.get_object_instances()
    assert back.get_annotation_frames() == {1, 3}
