"""annotask's own JSON format: whole documents come back (classifications too), modes, and
bad files refused with nothing changed; the format registry names what it has."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from annotask.errors import LabelError, ValidationError
from annotask.labels import (
    BoundingBoxCoordinates,
    ClassificationInstance,
    LabelRow,
    ObjectInstance,
    Ontology,
)
from annotask.labels.formats import FORMAT_NAMES, ExportItem, ImportMode, get_format

native = get_format("json")


@pytest.fixture
def exported(
    ontology: Ontology, fresh_rows: Callable[[], dict[str, LabelRow]], tmp_path: Path
) -> Path:
    rows = fresh_rows()
    row = rows["img0.png"]
    car = ObjectInstance(ontology.get_object("car"))
    car.set_for_frames(BoundingBoxCoordinates(0.1, 0.2, 0.3, 0.4), confidence=0.5)
    car.set_answer("yes", attribute="occluded")
    row.add_object_instance(car)
    weather = ClassificationInstance(ontology.get_classification("weather"))
    weather.set_answer("sunny")
    row.add_classification_instance(weather)
    target = tmp_path / "labels.json"
    native.export([ExportItem(r, n) for n, r in rows.items()], ontology, target)
    return target


def test_objects_answers_and_classifications_come_back(
    exported: Path, ontology: Ontology, fresh_rows: Callable[[], dict[str, LabelRow]]
) -> None:
    rows = fresh_rows()
    report = native.import_(exported, ontology, rows)
    assert (report.objects_added, report.rows_changed) == (1, (rows["img0.png"].label_hash,))
    (car,) = rows["img0.png"].get_object_instances()
    assert car.get_annotation().confidence == 0.5
    assert car.get_answer("occluded") is not None
    (weather,) = rows["img0.png"].get_classification_instances()
    assert weather.get_answer() is not None
    again = native.import_(exported, ontology, rows, mode=ImportMode.REPLACE)
    assert (again.objects_removed, again.objects_added) == (1, 1)
    assert len(rows["img0.png"].get_classification_instances()) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"schema": "annotask.export", "label_rows": [', "is not JSON"),
        ('{"schema": "other"}', "not an annotask JSON export"),
        ('{"schema": "annotask.export", "schema_version": 9}', "schema_version 9 is not 1"),
        (
            '{"schema": "annotask.export", "schema_version": 1, "label_rows": '
            '[{"data_title": "gone.png", "labels": {}}]}',
            "rows 'gone.png' match no data item",
        ),
    ],
)
def test_bad_files_are_refused_and_nothing_changes(
    ontology: Ontology,
    fresh_rows: Callable[[], dict[str, LabelRow]],
    tmp_path: Path,
    text: str,
    message: str,
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    rows = fresh_rows()
    with pytest.raises(LabelError, match=message):
        native.import_(path, ontology, rows)
    assert not any(r.has_unsaved_changes for r in rows.values())


def test_a_labels_document_that_does_not_fit_the_ontology_is_named(
    exported: Path, ontology: Ontology, fresh_rows: Callable[[], dict[str, LabelRow]]
) -> None:
    document = json.loads(exported.read_text())
    document["label_rows"][0]["labels"]["objects"][0]["feature_hash"] = "nosuchclass"
    exported.write_text(json.dumps(document))
    rows = fresh_rows()
    with pytest.raises(LabelError, match=r"label_rows\[0\] \('img0.png'\)"):
        native.import_(exported, ontology, rows)
    assert not any(r.get_object_instances() for r in rows.values())


def test_the_registry_names_every_format_and_refuses_others() -> None:
    assert FORMAT_NAMES == ("coco", "yolo", "voc", "cvat", "labelstudio", "json")
    for name in FORMAT_NAMES:
        module = get_format(name)
        assert callable(module.export)
        assert callable(module.import_)
    with pytest.raises(ValidationError, match="no label format 'kitti'; the formats are coco"):
        get_format("kitti")
