"""Coordinate values: range checks, dict forms, and the bitmask run-length encoding."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from annotask.errors import LabelError
from annotask.labels import (
    BitmaskCoordinates,
    BoundingBoxCoordinates,
    PointCoordinate,
    PolygonCoordinates,
    PolylineCoordinates,
    RotatableBoundingBoxCoordinates,
    SkeletonCoordinates,
    _rle,
)
from annotask.labels.coordinates import READERS, SHAPE_COORDINATES


@pytest.mark.parametrize(
    "make",
    [
        lambda: PointCoordinate(1.2, 0.5),
        lambda: PointCoordinate(-0.1, 0.5),
        lambda: PointCoordinate(float("nan"), 0.5),
        lambda: BoundingBoxCoordinates(0.5, 0.5, 0.6, 0.1),
        lambda: BoundingBoxCoordinates(0.1, 0.5, 0.1, 0.7),
        lambda: BoundingBoxCoordinates(0.1, 0.1, -0.1, 0.1),
        lambda: RotatableBoundingBoxCoordinates(0.1, 0.1, 0.2, 1.5, 10.0),
        lambda: PolygonCoordinates([(0.1, 0.1), (0.2, 0.2), (0.3, 1.3)]),
        lambda: PolylineCoordinates([(0.1, 2.0), (0.2, 0.2)]),
    ],
)
def test_values_outside_the_image_raise_label_error(make: Any) -> None:
    with pytest.raises(LabelError, match=r"0\.\.1|past the"):
        make()


def test_non_numbers_raise_label_error() -> None:
    with pytest.raises(LabelError, match="must be a number"):
        PointCoordinate("0.5", 0.5)  # type: ignore[arg-type]
    with pytest.raises(LabelError, match="finite number of degrees"):
        RotatableBoundingBoxCoordinates(0.1, 0.1, 0.2, 0.2, float("inf"))


def test_numpy_scalars_and_ints_become_floats() -> None:
    point = PointCoordinate(np.float32(0.25), 1)  # type: ignore[arg-type]
    assert point == PointCoordinate(0.25, 1.0)
    assert type(point.x) is float
    assert type(point.y) is float


def test_polygon_needs_three_points_and_polyline_two() -> None:
    with pytest.raises(LabelError, match="at least 3 points"):
        PolygonCoordinates([(0.1, 0.1), (0.2, 0.2)])
    with pytest.raises(LabelError, match="at least 2 points"):
        PolylineCoordinates([(0.1, 0.1)])


def test_polygon_accepts_pairs_and_points_alike() -> None:
    a = PolygonCoordinates([(0.1, 0.1), (0.2, 0.1), (0.2, 0.2)])
    b = PolygonCoordinates(
        [PointCoordinate(0.1, 0.1), PointCoordinate(0.2, 0.1), PointCoordinate(0.2, 0.2)]
    )
    assert a == b
    assert isinstance(a.points, tuple)


def test_skeleton_visibility_defaults_to_visible() -> None:
    skeleton = SkeletonCoordinates(
        {"head": PointCoordinate(0.5, 0.1), "left_hand": (0.4, 0.5)}, {"left_hand": False}
    )
    assert skeleton.is_visible("head")
    assert not skeleton.is_visible("left_hand")
    assert not skeleton.is_visible("right_hand")
    with pytest.raises(LabelError, match="no point"):
        SkeletonCoordinates({"head": (0.5, 0.1)}, {"tail": True})


@pytest.mark.parametrize(
    "coordinates",
    [
        PointCoordinate(0.3, 0.4),
        BoundingBoxCoordinates(0.1, 0.2, 0.3, 0.4),
        RotatableBoundingBoxCoordinates(0.1, 0.2, 0.3, 0.4, 33.5),
        PolygonCoordinates([(0.1, 0.1), (0.2, 0.1), (0.2, 0.2)]),
        PolylineCoordinates([(0.1, 0.1), (0.9, 0.9)]),
        BitmaskCoordinates.from_array(np.eye(4, dtype=bool)),
        SkeletonCoordinates({"head": (0.5, 0.1)}, {"head": False}),
    ],
)
def test_dict_form_round_trips_through_from_dict_and_the_fast_reader(coordinates: Any) -> None:
    data = coordinates.to_dict()
    assert type(coordinates).from_dict(data) == coordinates
    shape = next(s for s, cls in SHAPE_COORDINATES.items() if cls is type(coordinates))
    assert READERS[shape](data) == coordinates


def test_fast_reader_rejects_what_the_constructor_rejects() -> None:
    with pytest.raises(LabelError):
        READERS[next(iter(READERS))]({"x": 0.9, "y": 0.1, "w": 0.2, "h": 0.1})


def test_bitmask_counts_are_column_major_and_start_with_zeros() -> None:
    mask = np.array([[1, 0, 0], [1, 1, 0]], dtype=bool)
    bitmask = BitmaskCoordinates.from_array(mask)
    # column-major: 1 1 | 0 1 | 0 0 -> runs: 0 zeros, 2 ones, 1 zero, 1 one, 2 zeros
    assert bitmask.counts == (0, 2, 1, 1, 2)
    assert (bitmask.height, bitmask.width, bitmask.area) == (2, 3, 3)


def test_bitmask_rejects_counts_that_do_not_cover_the_mask() -> None:
    with pytest.raises(LabelError, match="cover 5 pixels"):
        BitmaskCoordinates(2, 3, (1, 4))
    with pytest.raises(LabelError, match="2-D"):
        BitmaskCoordinates.from_array(np.zeros((2, 2, 2), dtype=bool))


@settings(max_examples=60, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 12), st.integers(1, 12))))
def test_bitmask_round_trips_any_mask(mask: np.ndarray[Any, Any]) -> None:
    bitmask = BitmaskCoordinates.from_array(mask)
    assert np.array_equal(bitmask.to_array(), mask)
    assert bitmask.area == int(mask.sum())
    assert BitmaskCoordinates.from_dict(bitmask.to_dict()) == bitmask


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10_000), max_size=30))
def test_compressed_rle_round_trips(counts: list[int]) -> None:
    assert _rle.decompress(_rle.compress(counts)) == counts


def test_rle_matches_what_pycocotools_writes_for_a_known_mask() -> None:
    # pycocotools.mask.encode(np.asfortranarray(mask)) gave {"size": [6, 5], "counts": b"0162M0:N"}
    mask = np.zeros((6, 5), dtype=bool)
    mask[1:4, 1:3] = True
    mask[5, 4] = True
    mask[0, 0] = True
    counts = [0, 1, 6, 3, 3, 3, 13, 1]
    assert BitmaskCoordinates.from_array(mask).counts == tuple(counts)
    assert _rle.compress(counts) == "0162M0:N"
    assert _rle.decompress("0162M0:N") == counts


def test_malformed_compressed_rle_raises_value_error() -> None:
    with pytest.raises(ValueError, match="ends inside"):
        _rle.decompress("4\x60")
