"""COCO export and import: round trips for boxes, polygons, masks, skeletons; bad input."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest

from annotask.datatypes import DataType
from annotask.errors import LabelError
from annotask.labels import (
    BitmaskCoordinates,
    BoundingBoxCoordinates,
    LabelRow,
    ObjectInstance,
    Ontology,
    PointCoordinate,
    PolygonCoordinates,
    PolylineCoordinates,
    SkeletonCoordinates,
    export_coco,
    import_coco,
)
from annotask.labels._rle import compress

WIDTH, HEIGHT = 64, 48


def _mask() -> np.ndarray[Any, Any]:
    mask = np.zeros((HEIGHT, WIDTH), dtype=bool)
    mask[10:20, 5:30] = True
    mask[40, 60] = True
    return mask


def _labelled(ontology: Ontology, row: LabelRow, frames: Any = 0) -> LabelRow:
    car = ObjectInstance(ontology.get_object("car"))
    car.set_for_frames(BoundingBoxCoordinates(0.125, 0.25, 0.5, 0.5), frames, confidence=0.75)
    road = ObjectInstance(ontology.get_object("road"))
    road.set_for_frames(PolygonCoordinates([(0.0, 0.0), (0.5, 0.0), (0.5, 0.5)]), frames)
    puddle = ObjectInstance(ontology.get_object("puddle"))
    puddle.set_for_frames(BitmaskCoordinates.from_array(_mask()), frames)
    person = ObjectInstance(ontology.get_object("person"))
    person.set_for_frames(
        SkeletonCoordinates(
            {"head": (0.5, 0.25), "right_hand": (0.75, 0.5)}, {"right_hand": False}
        ),
        frames,
    )
    lane = ObjectInstance(ontology.get_object("lane"))
    lane.set_for_frames(PolylineCoordinates([(0.1, 0.1), (0.9, 0.9)]), frames)
    for instance in (car, road, puddle, person, lane):
        row.add_object_instance(instance)
    return row


def _by_class(row: LabelRow) -> dict[str, list[ObjectInstance]]:
    found: dict[str, list[ObjectInstance]] = {}
    for instance in row.get_object_instances():
        found.setdefault(instance.object_name, []).append(instance)
    return found


def test_export_writes_pixels_categories_and_masks(ontology: Ontology, make_row: Any) -> None:
    row = _labelled(ontology, make_row(width=WIDTH, height=HEIGHT))
    coco = export_coco([(row, "street.jpg")], ontology)
    assert json.loads(json.dumps(coco)) == coco
    assert [c["name"] for c in coco["categories"]] == [o.name for o in ontology.objects]
    person = next(c for c in coco["categories"] if c["name"] == "person")
    assert person["keypoints"] == ["head", "left_hand", "right_hand"]
    assert person["skeleton"] == [[1, 2], [1, 3]]
    assert coco["images"] == [
        {
            "id": 1,
            "file_name": "street.jpg",
            "width": WIDTH,
            "height": HEIGHT,
            "label_hash": row.label_hash,
            "frame": 0,
        }
    ]
    by_category = {a["category_id"]: a for a in coco["annotations"]}
    ids = {c["name"]: c["id"] for c in coco["categories"]}
    car = by_category[ids["car"]]
    assert car["bbox"] == [8.0, 12.0, 32.0, 24.0]
    assert car["score"] == 0.75
    road = by_category[ids["road"]]
    assert road["segmentation"] == [[0.0, 0.0, 32.0, 0.0, 32.0, 24.0]]
    assert road["area"] == pytest.approx(384.0)
    puddle = by_category[ids["puddle"]]
    assert puddle["segmentation"]["size"] == [HEIGHT, WIDTH]
    assert puddle["bbox"] == [5, 10, 56, 31]
    assert puddle["area"] == 251
    skeleton = by_category[ids["person"]]
    assert skeleton["keypoints"] == [32.0, 12.0, 2, 0, 0, 0, 48.0, 24.0, 1]
    assert skeleton["num_keypoints"] == 2
    assert ids["lane"] not in by_category
    assert coco["info"]["skipped_objects"] == {"polyline": 1}


def test_export_then_import_round_trips_boxes_polygons_masks_and_skeletons(
    ontology: Ontology, make_row: Any
) -> None:
    source = _labelled(ontology, make_row(width=WIDTH, height=HEIGHT))
    coco = export_coco([(source, "street.jpg")], ontology, compress_rle=True)
    assert isinstance(coco["annotations"][2]["segmentation"]["counts"], str)
    target = make_row(width=WIDTH, height=HEIGHT, data_title="copy.jpg")
    report = import_coco(coco, ontology, {"street.jpg": target})
    assert report.objects_added == 4
    assert report.rows_changed == (target.label_hash,)
    assert report.unmatched_images == ()
    imported = _by_class(target)
    original = _by_class(source)
    for name in ("car", "road", "puddle", "person"):
        got = imported[name][0].get_annotation(0)
        want = original[name][0].get_annotation(0)
        assert got.coordinates == want.coordinates, name
        assert got.confidence == want.confidence
        assert imported[name][0].object_hash == original[name][0].object_hash
    assert np.array_equal(
        imported["puddle"][0].get_annotation().coordinates.to_array(),  # type: ignore[union-attr]
        _mask(),
    )
    assert imported["car"][0].get_annotation().manual_annotation is False
    assert imported["road"][0].get_annotation().manual_annotation is True
    assert "lane" not in imported


def test_video_frames_become_images_and_come_back_as_one_object(
    ontology: Ontology, make_row: Any
) -> None:
    def video(title: str) -> LabelRow:
        row: LabelRow = make_row(
            data_title=title,
            data_type=DataType.VIDEO,
            number_of_frames=20,
            width=WIDTH,
            height=HEIGHT,
        )
        return row

    source = video("drive.mp4")
    car = ObjectInstance(ontology.get_object("car"))
    car.set_for_frames(BoundingBoxCoordinates(0.25, 0.25, 0.5, 0.5), [3, 7])
    source.add_object_instance(car)
    coco = export_coco([(source, "drive.mp4")], ontology)
    assert [i["file_name"] for i in coco["images"]] == ["drive.mp4#frame3", "drive.mp4#frame7"]
    target = video("drive-copy.mp4")
    report = import_coco(coco, ontology, {"drive.mp4": target})
    assert report.objects_added == 1
    assert report.annotations_imported == 2
    (copied,) = target.get_object_instances()
    assert copied.get_annotation_frames() == {3, 7}


def test_import_reports_unmatched_images_and_skipped_categories(
    ontology: Ontology, image_row: LabelRow
) -> None:
    coco = {
        "images": [
            {"id": 1, "file_name": "street.jpg", "width": WIDTH, "height": HEIGHT},
            {"id": 2, "file_name": "elsewhere.jpg", "width": WIDTH, "height": HEIGHT},
        ],
        "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "bus"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10]},
            {"id": 2, "image_id": 1, "category_id": 2, "bbox": [0, 0, 10, 10]},
            {"id": 3, "image_id": 2, "category_id": 1, "bbox": [0, 0, 10, 10]},
        ],
    }
    report = import_coco(coco, ontology, {"street.jpg": image_row}, skip_unknown=True)
    assert report.objects_added == 1
    assert report.unmatched_images == ("elsewhere.jpg",)
    assert report.unknown_categories == ("bus",)
    assert report.skipped_annotations == 2
    (car,) = image_row.get_object_instances()
    assert car.get_annotation().coordinates == BoundingBoxCoordinates(0.0, 0.0, 10 / 64, 10 / 48)


GOOD: dict[str, Any] = {
    "images": [{"id": 1, "file_name": "street.jpg", "width": WIDTH, "height": HEIGHT}],
    "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "road"}, {"id": 3, "name": "sign"}],
    "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10]}],
}


def _bad(change: Any) -> dict[str, Any]:
    coco = copy.deepcopy(GOOD)
    change(coco)
    return coco


@pytest.mark.parametrize(
    ("coco", "message"),
    [
        (_bad(lambda c: c["annotations"][0].update(category_id=9)), "category_id 9 is not among"),
        (_bad(lambda c: c["annotations"][0].update(image_id=9)), "image_id 9 is not among"),
        (
            _bad(lambda c: c["annotations"][0].update(bbox=[60, 0, 10, 10])),
            "bbox right edge 70.0 lies outside the image",
        ),
        (
            _bad(lambda c: c["annotations"][0].update(bbox=[-1, 0, 10, 10])),
            "bbox x -1.0 lies outside",
        ),
        (_bad(lambda c: c["annotations"][0].update(bbox=[0, 0, 10])), "bbox must be"),
        (_bad(lambda c: c["annotations"][0].update(bbox=[0, 0, -1, 5])), "negative size"),
        (
            _bad(lambda c: c["categories"].append({"id": 4, "name": "bus"})),
            "categories 'bus' are not object classes",
        ),
        (
            _bad(lambda c: c["categories"].append({"id": 1, "name": "car"})),
            "category id 1 is listed twice",
        ),
        (_bad(lambda c: c["images"][0].update(width=100)), "is 100x48, but its data item is 64x48"),
        (
            _bad(
                lambda c: c["annotations"].append(
                    {
                        "id": 2,
                        "image_id": 1,
                        "category_id": 2,
                        "segmentation": [[0, 0, 1, 1, 2, 2], [5, 5, 6, 6, 7, 7]],
                    }
                )
            ),
            "exactly one polygon, got 2 part",
        ),
        (
            _bad(
                lambda c: c["annotations"].append(
                    {"id": 2, "image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1]}
                )
            ),
            "COCO cannot carry point objects",
        ),
        (
            _bad(lambda c: c["annotations"][0].update(score=1.5)),
            "confidence must be a number in 0..1",
        ),
        (_bad(lambda c: c.update(annotations={})), r"annotations: Input should be a valid list"),
    ],
)
def test_bad_coco_is_refused_and_nothing_changes(
    ontology: Ontology, image_row: LabelRow, coco: dict[str, Any], message: str
) -> None:
    with pytest.raises(LabelError, match=message) as info:
        import_coco(coco, ontology, {"street.jpg": image_row})
    assert "nothing was imported" in str(info.value)
    assert image_row.get_object_instances() == []
    assert not image_row.has_unsaved_changes


def test_mask_of_the_wrong_size_is_refused(ontology: Ontology, image_row: LabelRow) -> None:
    coco = _bad(
        lambda c: c.update(
            categories=[{"id": 1, "name": "puddle"}],
            annotations=[
                {
                    "id": 1,
                    "image_id": 1,
                    "category_id": 1,
                    "segmentation": {"size": [2, 2], "counts": compress([1, 3])},
                }
            ],
        )
    )
    with pytest.raises(LabelError, match=r"RLE size \[2, 2\] differs"):
        import_coco(coco, ontology, {"street.jpg": image_row})


def test_rows_must_be_initialised(ontology: Ontology, backend: Any) -> None:
    row = LabelRow(backend.create_row(data_title="a.jpg", width=WIDTH, height=HEIGHT), ontology)
    with pytest.raises(LabelError, match=r"not initialised; call initialise_labels\(\) first"):
        import_coco(GOOD, ontology, {"street.jpg": row})


def test_export_needs_the_image_size(ontology: Ontology, make_row: Any) -> None:
    row = make_row(width=None, height=None)
    with pytest.raises(LabelError, match="COCO needs its size"):
        export_coco([(row, "a.jpg")], ontology)


def test_point_objects_are_counted_as_skipped(ontology: Ontology, image_row: LabelRow) -> None:
    sign = ObjectInstance(ontology.get_object("sign"))
    sign.set_for_frames(PointCoordinate(0.5, 0.5))
    image_row.add_object_instance(sign)
    coco = export_coco([(image_row, "a.jpg")], ontology)
    assert coco["annotations"] == []
    assert coco["info"]["skipped_objects"] == {"point": 1}


def test_import_into_a_row_that_has_the_object_hash_gives_a_new_one(
    ontology: Ontology, image_row: LabelRow
) -> None:
    first = _bad(lambda c: c["annotations"][0].update(object_hash="same"))
    import_coco(first, ontology, {"street.jpg": image_row})
    import_coco(first, ontology, {"street.jpg": image_row})
    hashes = [i.object_hash for i in image_row.get_object_instances()]
    assert hashes[0] == "same"
    assert len(set(hashes)) == 2
