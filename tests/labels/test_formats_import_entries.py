"""Imports keep objects in the stored document form: the text they write is exactly what
building the objects writes, and saving and reloading gives the same objects back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from annotask.errors import LabelError
from annotask.labels import (
    BoundingBoxCoordinates,
    LabelRow,
    ObjectInstance,
    Ontology,
    PointCoordinate,
    PolygonCoordinates,
)
from annotask.labels.formats import ExportItem, ImportMode, get_format
from annotask.labels.formats._build import checked_entry

IMPORTS = ["coco", "yolo", "voc", "cvat", "labelstudio"]


def _label(ontology: Ontology, rows: dict[str, LabelRow]) -> None:
    car, road, sign = (ontology.get_object(n) for n in ("car", "road", "sign"))
    for i, row in enumerate(rows.values()):
        box = ObjectInstance(car)
        box.set_for_frames(BoundingBoxCoordinates(0.125 * i, 0.25, 0.25, 0.5), confidence=0.75)
        row.add_object_instance(box)
        polygon = ObjectInstance(road)
        polygon.set_for_frames(PolygonCoordinates([(0.1, 0.1), (0.9, 0.2), (0.5, 0.9)]))
        row.add_object_instance(polygon)
        point = ObjectInstance(sign)
        point.set_for_frames(PointCoordinate(0.5, 0.25))
        row.add_object_instance(point)


def _shapes(row: LabelRow) -> list[tuple[str, object, float, bool]]:
    found = [
        (i.object_name, a.coordinates, a.confidence, a.manual_annotation)
        for i in row.get_object_instances()
        for a in i.get_annotations()
    ]
    return sorted(found, key=repr)


@pytest.mark.parametrize("name", IMPORTS)
def test_imported_objects_are_stored_as_building_them_writes(
    name: str,
    ontology: Ontology,
    fresh_rows: Callable[[], dict[str, LabelRow]],
    tmp_path: Path,
) -> None:
    module = get_format(name)
    source = fresh_rows()
    _label(ontology, source)
    target = tmp_path / name
    module.export([ExportItem(r, n) for n, r in source.items()], ontology, target)
    rows = fresh_rows()
    report = module.import_(target, ontology, rows, mode=ImportMode.ADD)
    assert report.objects_added > 0
    for row in rows.values():
        stored = row.to_json()
        shapes = _shapes(row)  # builds every object
        assert row.to_json() == stored
        assert json.loads(stored) == row.to_dict()
        row.save()
        row.initialise_labels(overwrite=True)
        assert _shapes(row) == shapes
        assert len(shapes) == len(row.get_object_instances())


def test_an_import_into_a_row_with_stored_objects_keeps_them_and_adds_beside(
    ontology: Ontology,
    fresh_rows: Callable[[], dict[str, LabelRow]],
    tmp_path: Path,
) -> None:
    yolo = get_format("yolo")
    source = fresh_rows()
    _label(ontology, source)
    target = tmp_path / "yolo"
    yolo.export([ExportItem(r, n) for n, r in source.items()], ontology, target)
    rows = fresh_rows()
    yolo.import_(target, ontology, rows, mode=ImportMode.ADD)
    for row in rows.values():
        row.save()
        row.initialise_labels(overwrite=True)  # objects come back pending, from stored text
    before = {n: _shapes(r) for n, r in rows.items()}
    for row in rows.values():
        row.initialise_labels(overwrite=True)
    report = yolo.import_(target, ontology, rows, mode=ImportMode.ADD)
    assert report.objects_added == sum(len(s) for s in before.values())
    for name, row in rows.items():
        shapes = _shapes(row)
        assert len(shapes) == 2 * len(before[name])
        assert {s[:2] for s in shapes} == {s[:2] for s in before[name]}
        assert len({i.object_hash for i in row.get_object_instances()}) == len(shapes)


def test_an_imported_object_given_a_frame_twice_or_a_bad_hash_is_refused(
    ontology: Ontology, make_row: Callable[..., LabelRow]
) -> None:
    car, row = ontology.get_object("car"), make_row()
    box = BoundingBoxCoordinates(0.1, 0.1, 0.2, 0.2)
    twice = [(0, box, 1.0, True), (0, box, 0.5, False)]
    with pytest.raises(LabelError, match="car \\(object a1\\): frame 0 is given twice"):
        checked_entry(car, "a1", twice, row)
    with pytest.raises(LabelError, match="object_hash must be a string without control"):
        checked_entry(car, "a\x001", [(0, box, 1.0, True)], row)
    built = checked_entry(car, "a1", [(0, box, 1.0, True)], row)
    assert built.entry.object_hash == "a1"
