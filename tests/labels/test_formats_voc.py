"""Pascal VOC export and import: read back by supervision's loader; bad XML refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import supervision as sv

from annotask.errors import LabelError
from annotask.labels import (
    BoundingBoxCoordinates,
    LabelRow,
    ObjectInstance,
    Ontology,
    PolygonCoordinates,
)
from annotask.labels.formats import ExportItem, ImportMode, get_format
from annotask.labels.formats import voc as voc_module
from annotask.labels.formats._xml import to_bytes

W, H = 64, 48
voc = get_format("voc")


@pytest.fixture
def exported(
    ontology: Ontology,
    fresh_rows: Callable[[], dict[str, LabelRow]],
    image_files: list[Path],
    tmp_path: Path,
) -> tuple[Path, dict[str, LabelRow]]:
    rows = fresh_rows()
    for i, row in enumerate(rows.values()):
        car = ObjectInstance(ontology.get_object("car"))
        car.set_for_frames(BoundingBoxCoordinates(0.125 * i, 0.25, 0.25 + 0.01 * i, 0.5))
        row.add_object_instance(car)
        road = ObjectInstance(ontology.get_object("road"))
        road.set_for_frames(PolygonCoordinates([(0.1, 0.1), (0.9, 0.2), (0.5, 0.9)]))
        row.add_object_instance(road)
    paths = {p.name: p for p in image_files}
    items = [ExportItem(row, name, paths[name]) for name, row in rows.items()]
    target = tmp_path / "voc"
    report = voc.export(items, ontology, target)
    assert (report.images, report.objects) == (3, 6)
    return target, rows


def _shapes(row: LabelRow) -> list[tuple[str, object]]:
    found = [(i.object_name, i.get_annotation().coordinates) for i in row.get_object_instances()]
    return sorted(found, key=repr)


def test_supervision_reads_the_same_boxes_and_polygons(
    exported: tuple[Path, dict[str, LabelRow]],
) -> None:
    target, rows = exported
    dataset = sv.DetectionDataset.from_pascal_voc(
        images_directory_path=str(target / "JPEGImages"),
        annotations_directory_path=str(target / "Annotations"),
    )
    assert sorted(dataset.classes) == ["car", "road"]
    for path, _, detections in dataset:
        row = rows[Path(path).name]
        names = [dataset.classes[c] for c in detections.class_id]
        car = row.get_object_instances("car")[0].get_annotation().coordinates
        assert isinstance(car, BoundingBoxCoordinates)
        expected = [car.top_left_x * W, car.top_left_y * H]
        expected += [(car.top_left_x + car.width) * W, (car.top_left_y + car.height) * H]
        np.testing.assert_allclose(detections.xyxy[names.index("car")], expected, atol=1e-3)
        road = detections.xyxy[names.index("road")]
        np.testing.assert_allclose(road, [0.1 * W, 0.1 * H, 0.9 * W, 0.9 * H], atol=1e-3)
        assert detections.mask is not None  # the polygon became supervision's mask


def test_an_export_imports_back_with_every_object_and_coordinate(
    exported: tuple[Path, dict[str, LabelRow]],
    ontology: Ontology,
    fresh_rows: Callable[[], dict[str, LabelRow]],
) -> None:
    target, rows = exported
    copies = fresh_rows()
    report = voc.import_(target, ontology, copies)
    assert (report.objects_added, len(report.rows_changed)) == (6, 3)
    for name, row in rows.items():
        for (a_name, a), (b_name, b) in zip(_shapes(copies[name]), _shapes(row), strict=True):
            assert a_name == b_name
            np.testing.assert_allclose(_flat(a), _flat(b), atol=1e-5)
    replaced = voc.import_(target, ontology, copies, mode=ImportMode.REPLACE)
    assert (replaced.objects_removed, replaced.objects_added) == (6, 6)


def _flat(coordinates: object) -> list[float]:
    if isinstance(coordinates, BoundingBoxCoordinates):
        c = coordinates
        return [c.top_left_x, c.top_left_y, c.width, c.height]
    assert isinstance(coordinates, PolygonCoordinates)
    return [v for p in coordinates.points for v in (p.x, p.y)]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("<xmin>1</xmin>", "<xmin>nan</xmin>", "not a finite number"),
        ("<xmax>16</xmax>", "<xmax>99</xmax>", r"xmax 99.0 lies outside the image \(0..64\)"),
        ("<name>car</name>", "<name>bus</name>", "classes 'bus' are not object classes"),
        ("<filename>img0.png</filename>", "<filename>gone.png</filename>", "'gone.png' match no"),
        ("<width>64</width>", "<width>65</width>", "image is 65x48, its data item 64x48"),
        ("</annotation>", "", "not well-formed XML"),
        ("<x3>33</x3>\n      <y3>44.2</y3>", "", "a polygon needs 3 points or more"),
    ],
)
def test_bad_files_are_refused_and_nothing_changes(
    exported: tuple[Path, dict[str, LabelRow]],
    ontology: Ontology,
    fresh_rows: Callable[[], dict[str, LabelRow]],
    old: str,
    new: str,
    message: str,
) -> None:
    target, _ = exported
    path = target / "Annotations" / "img0.xml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    copies = fresh_rows()
    with pytest.raises(LabelError, match=message):
        voc.import_(target, ontology, copies)
    assert all(not r.get_object_instances() and not r.has_unsaved_changes for r in copies.values())


@pytest.mark.parametrize(
    ("file_name", "class_name"),
    [("img0.png", "car"), ("a&<b>.png", "x]]>y & <z>"), ("ü \u2028.png", "é'\"")],
)
def test_annotation_files_are_what_lxml_writes_byte_for_byte(
    file_name: str, class_name: str
) -> None:
    objects: list[tuple[str, object]] = [
        (class_name, BoundingBoxCoordinates(0.1, 0.2, 0.3, 0.4)),
        (class_name, PolygonCoordinates([(0.1, 0.1), (0.9, 0.2), (0.5, 0.9)])),
    ]
    written = voc_module._annotation_bytes(file_name, 640, 480, objects)
    assert written == to_bytes(voc_module._annotation(file_name, 640, 480, objects))
