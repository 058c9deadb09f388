"""Hypothesis round trips through every format: annotask -> format -> annotask keeps every
object, class, frame and coordinate (within the format's precision)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotask.datatypes import DataType
from annotask.labels import (
    BoundingBoxCoordinates,
    Coordinates,
    LabelRow,
    MemoryLabelBackend,
    ObjectInstance,
    Ontology,
    PointCoordinate,
    PolygonCoordinates,
)
from annotask.labels.formats import ExportItem, ImportMode, get_format

W, H = 640, 480
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FORMATS = ["coco", "yolo", "voc", "cvat", "labelstudio", "json"]
TOLERANCE = 1e-6  # pixels to 1e-4 px, YOLO to 1e-6, Label Studio to 1e-6 %

fraction = st.floats(0.0, 1.0, allow_nan=False).map(lambda v: round(v, 6))


@st.composite
def boxes(draw: st.DrawFn) -> BoundingBoxCoordinates:
    x, y = draw(fraction), draw(fraction)
    w = draw(st.floats(0.0, 1.0 - x).map(lambda v: round(v, 6)))
    h = draw(st.floats(0.0, 1.0 - y).map(lambda v: round(v, 6)))
    return BoundingBoxCoordinates(x, y, min(w, 1.0 - x), min(h, 1.0 - y))


polygons = st.lists(st.tuples(fraction, fraction), min_size=3, max_size=8).map(PolygonCoordinates)
objects = st.lists(
    st.one_of(st.tuples(st.just("car"), boxes()), st.tuples(st.just("road"), polygons)), max_size=6
)


def _row(backend: MemoryLabelBackend, ontology: Ontology, name: str, frames: int) -> LabelRow:
    meta = backend.create_row(
        data_title=name,
        data_type=DataType.VIDEO if frames > 1 else DataType.IMAGE,
        number_of_frames=frames,
        fps=25.0 if frames > 1 else None,
        width=W,
        height=H,
    )
    row = LabelRow(meta, ontology, backend)
    row.initialise_labels()
    return row


def _flat(coordinates: Coordinates) -> list[float]:
    if isinstance(coordinates, BoundingBoxCoordinates):
        c = coordinates
        return [c.top_left_x, c.top_left_y, c.width, c.height]
    if isinstance(coordinates, PolygonCoordinates):
        return [v for p in coordinates.points for v in (p.x, p.y)]
    assert isinstance(coordinates, PointCoordinate)
    return [coordinates.x, coordinates.y]


def _exact(row: LabelRow) -> list[tuple[str, int, list[float]]]:
    """Every annotation, in an order that rounding within the tolerance cannot change."""
    return sorted(
        (
            (i.object_name, a.frame, _flat(a.coordinates))
            for i in row.get_object_instances()
            for a in i.get_annotations()
        ),
        key=lambda t: (t[0], t[1], [round(v, 3) for v in t[2]]),
    )


@pytest.mark.parametrize("format_name", FORMATS)
@SETTINGS
@given(labels=st.lists(objects, min_size=1, max_size=4))
def test_every_object_class_and_coordinate_survives_a_round_trip(
    format_name: str, ontology: Ontology, labels: list[list[tuple[str, Coordinates]]]
) -> None:
    backend = MemoryLabelBackend()
    rows = {}
    for i, row_objects in enumerate(labels):
        row = _row(backend, ontology, f"img{i}.png", 1)
        for class_name, coordinates in row_objects:
            instance = ObjectInstance(ontology.get_object(class_name))
            instance.set_for_frames(coordinates)
            row.add_object_instance(instance)
        rows[row.data_title] = row
    copies = {name: _row(backend, ontology, name, 1) for name in rows}
    module = get_format(format_name)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "out"
        module.export([ExportItem(r, n) for n, r in rows.items()], ontology, target)
        module.import_(target, ontology, copies, mode=ImportMode.ADD)
    for name, row in rows.items():
        got, want = _exact(copies[name]), _exact(row)
        assert [(n, f) for n, f, _ in got] == [(n, f) for n, f, _ in want]
        for (_, _, a), (_, _, b) in zip(got, want, strict=True):
            assert a == pytest.approx(b, abs=TOLERANCE)


@pytest.mark.parametrize("format_name", ["coco", "cvat", "labelstudio", "json", "yolo", "voc"])
@SETTINGS
@given(
    tracks=st.lists(
        st.tuples(boxes(), st.sets(st.integers(0, 9), min_size=1, max_size=10)),
        min_size=1,
        max_size=4,
    )
)
def test_video_objects_keep_their_frames(
    format_name: str, ontology: Ontology, tracks: list[tuple[BoundingBoxCoordinates, set[int]]]
) -> None:
    backend = MemoryLabelBackend()
    row = _row(backend, ontology, "clip.mp4", 10)
    for box, frames in tracks:
        instance = ObjectInstance(ontology.get_object("car"))
        instance.set_for_frames(box, sorted(frames))
        row.add_object_instance(instance)
    copy = _row(backend, ontology, "clip.mp4", 10)
    module = get_format(format_name)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "out"
        module.export([ExportItem(row, "clip.mp4")], ontology, target)
        module.import_(target, ontology, {"clip.mp4": copy})
    got = sorted(tuple(sorted(i.get_annotation_frames())) for i in copy.get_object_instances())
    want = sorted(tuple(sorted(i.get_annotation_frames())) for i in row.get_object_instances())
    if format_name in ("yolo", "voc"):  # no object identity across frames: one per frame
        want = sorted((f,) for frames in want for f in frames)
    assert got == want
