"""YOLO export and import: read back by supervision's loader; modes; bad input refused."""

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

W, H = 64, 48
yolo = get_format("yolo")


def _label(ontology: Ontology, rows: dict[str, LabelRow]) -> None:
    car = ontology.get_object("car")
    road = ontology.get_object("road")
    for i, row in enumerate(rows.values()):
        box = ObjectInstance(car)
        box.set_for_frames(BoundingBoxCoordinates(0.125 * i, 0.25, 0.25, 0.5))
        row.add_object_instance(box)
        polygon = ObjectInstance(road)
        polygon.set_for_frames(PolygonCoordinates([(0.1, 0.1), (0.9, 0.2), (0.5, 0.9)]))
        row.add_object_instance(polygon)


def _items(rows: dict[str, LabelRow], files: list[Path]) -> list[ExportItem]:
    paths = {p.name: p for p in files}
    return [ExportItem(row, name, paths[name]) for name, row in rows.items()]


def _shapes(row: LabelRow) -> list[tuple[str, object]]:
    found = [(i.object_name, i.get_annotation().coordinates) for i in row.get_object_instances()]
    return sorted(found, key=repr)


@pytest.fixture
def exported(
    ontology: Ontology,
    fresh_rows: Callable[[], dict[str, LabelRow]],
    image_files: list[Path],
    tmp_path: Path,
) -> tuple[Path, dict[str, LabelRow]]:
    rows = fresh_rows()
    _label(ontology, rows)
    target = tmp_path / "yolo"
    report = yolo.export(_items(rows, image_files), ontology, target)
    assert (report.images, report.objects) == (3, 6)
    return target, rows


def test_supervision_reads_the_export_with_the_same_classes_and_boxes(
    exported: tuple[Path, dict[str, LabelRow]], ontology: Ontology
) -> None:
    target, rows = exported
    dataset = sv.DetectionDataset.from_yolo(
        images_directory_path=str(target / "images"),
        annotations_directory_path=str(target / "labels"),
        data_yaml_path=str(target / "data.yaml"),
    )
    assert dataset.classes == [o.name for o in ontology.objects]
    assert len(dataset) == 3
    for path, _, detections in dataset:
        row = rows[Path(path).name]
        car = row.get_object_instances("car")[0].get_annotation().coordinates
        assert isinstance(car, BoundingBoxCoordinates)
        names = [dataset.classes[c] for c in detections.class_id]
        assert sorted(names) == ["car", "road"]
        box = detections.xyxy[names.index("car")]
        expected = [car.top_left_x * W, car.top_left_y * H]
        expected += [(car.top_left_x + car.width) * W, (car.top_left_y + car.height) * H]
        np.testing.assert_allclose(box, expected, atol=1e-3)
        road = detections.xyxy[names.index("road")]
        np.testing.assert_allclose(road, [0.1 * W, 0.1 * H, 0.9 * W, 0.9 * H], atol=1e-3)


def test_an_export_imports_back_with_every_object_and_coordinate(
    exported: tuple[Path, dict[str, LabelRow]],
    ontology: Ontology,
    fresh_rows: Callable[[], dict[str, LabelRow]],
) -> None:
    target, rows = exported
    copies = fresh_rows()
    report = yolo.import_(target, ontology, copies)
    assert (report.objects_added, len(report.rows_changed)) == (6, 3)
    for name, row in rows.items():
        assert _shapes(copies[name]) == _shapes(row)


def test_modes_skip_existing_by_default_add_and_replace(
    exported: tuple[Path, dict[str, LabelRow]],
    ontology: Ontology,
    fresh_rows: Callable[[], dict[str, LabelRow]],
) -> None:
    target, _ = exported
    copies = fresh_rows()
    yolo.import_(target, ontology, copies)
    again = yolo.import_(target, ontology, copies)
    assert (again.objects_added, again.rows_changed, len(again.rows_skipped)) == (0, (), 3)
    added = yolo.import_(target, ontology, copies, mode=ImportMode.ADD)
    assert added.objects_added == 6
    assert len(copies["img0.png"].get_object_instances()) == 4
    replaced = yolo.import_(target, ontology, copies, mode=ImportMode.REPLACE)
    assert (replaced.objects_removed, replaced.objects_added) == (12, 6)
    assert len(copies["img0.png"].get_object_instances()) == 2


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("0 0.5 nan 0.1 0.1", "not a finite number"),
        ("0 0.9 0.5 0.4 0.1", "box right edge 1.1 lies outside the image"),
        ("3 0.1 0.1 0.2 0.2 0.3", "got 5 numbers"),
        ("2 0.1 0.1 0.2 0.2", "takes PolygonCoordinates, got BoundingBoxCoordinates"),
        ("2 0.1 0.1 0.2 0.2 0.3 0.3 0.4", "3 points or more"),
        ("9 0.5 0.5 0.1 0.1", "class id 9 is not in data.yaml"),
        ("x 0.5 0.5 0.1 0.1", "class id 'x' is not an int"),
    ],
)
def test_bad_lines_are_refused_and_nothing_changes(
    exported: tuple[Path, dict[str, LabelRow]],
    ontology: Ontology,
    fresh_rows: Callable[[], dict[str, LabelRow]],
    line: str,
    message: str,
) -> None:
    target, _ = exported
    with (target / "labels" / "img1.txt").open("a") as out:
        out.write(line + "\n")
    copies = fresh_rows()
    with pytest.raises(LabelError, match=message) as info:
        yolo.import_(target, ontology, copies)
    assert "img1.txt line 3" in str(info.value)
    assert all(not r.get_object_instances() and not r.has_unsaved_changes for r in copies.values())


def test_unknown_classes_and_unmatched_images_are_refused_unless_skipped(
    exported: tuple[Path, dict[str, LabelRow]],
    ontology: Ontology,
    fresh_rows: Callable[[], dict[str, LabelRow]],
) -> None:
    target, _ = exported
    (target / "data.yaml").write_text("names: [car, bus, road]\n")
    (target / "labels" / "other.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    with (target / "labels" / "img0.txt").open("a") as out:
        out.write("1 0.5 0.5 0.1 0.1\n")
    copies = fresh_rows()
    with pytest.raises(LabelError) as info:
        yolo.import_(target, ontology, copies)
    assert "classes 'bus' are not object classes" in str(info.value)
    assert "images 'other' match no data item" in str(info.value)
    assert all(not r.get_object_instances() for r in copies.values())
    report = yolo.import_(target, ontology, copies, skip_unknown=True, skip_unmatched=True)
    assert report.unknown_categories == ("bus",)
    assert report.unmatched_images == ("other",)
    assert report.objects_added == 6


def test_a_missing_data_yaml_is_one_clear_error(ontology: Ontology, tmp_path: Path) -> None:
    (tmp_path / "labels").mkdir()
    with pytest.raises(LabelError, match=r"has no readable data\.yaml"):
        yolo.import_(tmp_path, ontology, {})
