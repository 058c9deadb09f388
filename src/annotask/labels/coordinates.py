"""Coordinates of an object on one frame, as fractions (0..1) of the image size.

Each class is an immutable value with ``to_dict``/``from_dict`` for the labels document
(the dict forms are listed in :mod:`annotask.labels.document`). Out-of-range or malformed
values raise :class:`LabelError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING, Any

from annotask.errors import LabelError
from annotask.labels._numbers import as_real
from annotask.labels.ontology_model import Shape
from annotask.limits import shown

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "READERS",
    "SHAPE_COORDINATES",
    "BitmaskCoordinates",
    "BoundingBoxCoordinates",
    "Coordinates",
    "PointCoordinate",
    "PointLike",
    "PolygonCoordinates",
    "PolylineCoordinates",
    "RotatableBoundingBoxCoordinates",
    "SkeletonCoordinates",
]

_EDGE_TOLERANCE = 1e-9


def _fraction(name: str, value: object) -> float:
    """``value`` as a float in 0..1, or :class:`LabelError`."""
    if type(value) is float:
        if 0.0 <= value <= 1.0:
            return value
    elif isinstance(value, Real) and not isinstance(value, bool):
        number = as_real(value)
        if number is not None and 0.0 <= number <= 1.0:
            return number
    else:
        raise LabelError(f"{name} must be a number, got {shown(value)}")
    raise LabelError(f"{name} must be a fraction of the image size in 0..1, got {shown(value)}")


def _set_float(obj: object, name: str, value: object) -> None:
    checked = _fraction(name, value)
    if checked is not value:
        object.__setattr__(obj, name, checked)


@dataclass(frozen=True, slots=True)
class PointCoordinate:
    """A point; also the vertices of polygons, polylines and skeleton keypoints."""

    x: float
    y: float

    def __post_init__(self) -> None:
        _set_float(self, "x", self.x)
        _set_float(self, "y", self.y)

    def to_dict(self) -> dict[str, Any]:
        """``{"x": .., "y": ..}``."""
        return {"x": self.x, "y": self.y}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PointCoordinate:
        """Inverse of :meth:`to_dict`."""
        return cls(data["x"], data["y"])


@dataclass(frozen=True, slots=True)
class BoundingBoxCoordinates:
    """An axis-aligned box: top-left corner, width and height; it must lie inside the image."""

    top_left_x: float
    top_left_y: float
    width: float
    height: float

    def __post_init__(self) -> None:
        for name in ("top_left_x", "top_left_y", "width", "height"):
            _set_float(self, name, getattr(self, name))
        if self.top_left_x + self.width > 1.0 + _EDGE_TOLERANCE:
            raise LabelError(
                f"box reaches past the right edge: top_left_x + width = "
                f"{self.top_left_x + self.width!r} > 1"
            )
        if self.top_left_y + self.height > 1.0 + _EDGE_TOLERANCE:
            raise LabelError(
                f"box reaches past the bottom edge: top_left_y + height = "
                f"{self.top_left_y + self.height!r} > 1"
            )

    def to_dict(self) -> dict[str, Any]:
        """``{"x", "y", "w", "h"}``."""
        return {"x": self.top_left_x, "y": self.top_left_y, "w": self.width, "h": self.height}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BoundingBoxCoordinates:
        """Inverse of :meth:`to_dict`."""
        return cls(data["x"], data["y"], data["w"], data["h"])


@dataclass(frozen=True, slots=True)
class RotatableBoundingBoxCoordinates:
    """A box turned by ``theta`` degrees clockwise about its centre (unrotated corner given)."""

    top_left_x: float
    top_left_y: float
    width: float
    height: float
    theta: float

    def __post_init__(self) -> None:
        for name in ("top_left_x", "top_left_y", "width", "height"):
            _set_float(self, name, getattr(self, name))
        theta = as_real(self.theta)
        if theta is None or not math.isfinite(theta):
            raise LabelError(f"theta must be a finite number of degrees, got {shown(self.theta)}")
        if theta is not self.theta:
            object.__setattr__(self, "theta", theta)

    def to_dict(self) -> dict[str, Any]:
        """``{"x", "y", "w", "h", "theta"}``."""
        return {
            "x": self.top_left_x,
            "y": self.top_left_y,
            "w": self.width,
            "h": self.height,
            "theta": self.theta,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RotatableBoundingBoxCoordinates:
        """Inverse of :meth:`to_dict`."""
        return cls(data["x"], data["y"], data["w"], data["h"], data["theta"])


PointLike = PointCoordinate | tuple[float, float]
"""A point, or an ``(x, y)`` pair of fractions."""


def _points(kind: str, points: object, minimum: int) -> tuple[PointCoordinate, ...]:
    if not isinstance(points, Iterable) or isinstance(points, str):
        raise LabelError(f"{kind} points must be a sequence of points, got {points!r}")
    out = tuple(_as_point(p) for p in points)
    if len(out) < minimum:
        raise LabelError(f"a {kind} needs at least {minimum} points, got {len(out)}")
    return out


def _one_of(kind: str, points: object, values: object) -> object:
    """The vertices given as ``points`` or as ``values`` (the seed's name); exactly one."""
    if (points is None) == (values is None):
        raise LabelError(f"a {kind} takes its vertices as points= or values= (one of them)")
    return points if values is None else values


def _as_point(value: object) -> PointCoordinate:
    if isinstance(value, PointCoordinate):
        return value
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        return PointCoordinate(value[0], value[1])
    raise LabelError(f"a point must be a PointCoordinate or an (x, y) pair, got {value!r}")


@dataclass(frozen=True, slots=True, init=False)
class PolygonCoordinates:
    """A closed polygon of at least 3 points (``(x, y)`` pairs are accepted too)."""

    points: tuple[PointCoordinate, ...]

    def __init__(
        self,
        points: Iterable[PointLike] | None = None,
        *,
        values: Iterable[PointLike] | None = None,
    ) -> None:
        chosen = _one_of("polygon", points, values)
        object.__setattr__(self, "points", _points("polygon", chosen, 3))

    @property
    def values(self) -> tuple[PointCoordinate, ...]:
        """The seed's name for :attr:`points`."""
        return self.points

    def to_dict(self) -> dict[str, Any]:
        """``{"points": [[x, y], ...]}``."""
        return {"points": [[p.x, p.y] for p in self.points]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolygonCoordinates:
        """Inverse of :meth:`to_dict`."""
        return cls(data["points"])


@dataclass(frozen=True, slots=True, init=False)
class PolylineCoordinates:
    """An open line through at least 2 points (``(x, y)`` pairs are accepted too)."""

    points: tuple[PointCoordinate, ...]

    def __init__(
        self,
        points: Iterable[PointLike] | None = None,
        *,
        values: Iterable[PointLike] | None = None,
    ) -> None:
        chosen = _one_of("polyline", points, values)
        object.__setattr__(self, "points", _points("polyline", chosen, 2))

    @property
    def values(self) -> tuple[PointCoordinate, ...]:
        """The seed's name for :attr:`points`."""
        return self.points

    def to_dict(self) -> dict[str, Any]:
        """``{"points": [[x, y], ...]}``."""
        return {"points": [[p.x, p.y] for p in self.points]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolylineCoordinates:
        """Inverse of :meth:`to_dict`."""
        return cls(data["points"])


@dataclass(frozen=True, slots=True, init=False)
class BitmaskCoordinates:
    """A binary mask of ``height`` x ``width`` pixels, run-length encoded.

    ``counts`` alternate runs of 0 and 1 over the mask in column-major order, starting with
    0: COCO's uncompressed RLE.
    """

    height: int
    width: int
    counts: tuple[int, ...]

    def __init__(self, height: int, width: int, counts: Iterable[int]) -> None:
        for name, value in (("height", height), ("width", width)):
            if type(value) is not int or value <= 0:
                raise LabelError(f"bitmask {name} must be a positive int, got {value!r}")
        runs = tuple(counts)
        if any(type(c) is not int or c < 0 for c in runs):
            raise LabelError("bitmask counts must be non-negative ints")
        if sum(runs) != height * width:
            raise LabelError(
                f"bitmask counts cover {sum(runs)} pixels, not "
                f"{height} x {width} = {height * width}"
            )
        object.__setattr__(self, "height", height)
        object.__setattr__(self, "width", width)
        object.__setattr__(self, "counts", runs)

    @classmethod
    def from_array(cls, mask: ArrayLike) -> BitmaskCoordinates:
        """Encode a 2-D boolean (or 0/1) array."""
        import numpy as np  # noqa: PLC0415 - NumPy only where masks are encoded

        from annotask.labels import _rle  # noqa: PLC0415

        array = np.asarray(mask)
        if array.ndim != 2:
            raise LabelError(f"a bitmask needs a 2-D array, got shape {array.shape}")
        height, width = array.shape
        return cls(int(height), int(width), tuple(_rle.encode(array.astype(bool, copy=False))))

    def to_array(self) -> NDArray[np.bool_]:
        """The mask as a ``(height, width)`` boolean array."""
        from annotask.labels import _rle  # noqa: PLC0415 - NumPy only where masks are decoded

        return _rle.decode(self.counts, self.height, self.width)

    @property
    def area(self) -> int:
        """Number of pixels set."""
        return sum(self.counts[1::2])

    def to_dict(self) -> dict[str, Any]:
        """``{"height", "width", "counts"}``."""
        return {"height": self.height, "width": self.width, "counts": list(self.counts)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BitmaskCoordinates:
        """Inverse of :meth:`to_dict`."""
        return cls(data["height"], data["width"], data["counts"])


@dataclass(frozen=True, slots=True, init=False)
class SkeletonCoordinates:
    """Keypoint name -> point, and whether each is visible (all visible unless said)."""

    keypoints: dict[str, PointCoordinate]
    visible: dict[str, bool]

    def __init__(
        self, keypoints: Mapping[str, PointLike], visible: Mapping[str, bool] | None = None
    ) -> None:
        if not isinstance(keypoints, Mapping):
            raise LabelError(f"skeleton keypoints must be a mapping, got {keypoints!r}")
        points = {str(k): _as_point(v) for k, v in keypoints.items()}
        shown = {k: True for k in points}
        for name, flag in (visible or {}).items():
            if name not in points:
                raise LabelError(f"visibility given for {name!r}, which has no point")
            if not isinstance(flag, bool):
                raise LabelError(f"visibility of {name!r} must be true or false, got {flag!r}")
            shown[name] = flag
        object.__setattr__(self, "keypoints", points)
        object.__setattr__(self, "visible", shown)

    def __hash__(self) -> int:
        return hash((tuple(self.keypoints.items()), tuple(self.visible.items())))

    def is_visible(self, keypoint: str) -> bool:
        """Whether this keypoint has a point and is marked visible."""
        return self.visible.get(keypoint, False)

    def to_dict(self) -> dict[str, Any]:
        """``{"keypoints": {name: {"x", "y", "visible"}}}``."""
        visible = self.visible
        return {
            "keypoints": {
                name: {"x": p.x, "y": p.y, "visible": visible[name]}
                for name, p in self.keypoints.items()
            }
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SkeletonCoordinates:
        """Inverse of :meth:`to_dict`."""
        raw = data["keypoints"]
        points = {k: PointCoordinate(v["x"], v["y"]) for k, v in raw.items()}
        return cls(points, {k: v.get("visible", True) for k, v in raw.items()})


Coordinates = (
    BoundingBoxCoordinates
    | RotatableBoundingBoxCoordinates
    | PolygonCoordinates
    | PolylineCoordinates
    | PointCoordinate
    | BitmaskCoordinates
    | SkeletonCoordinates
)
"""Any coordinates an object instance can hold on a frame."""

SHAPE_COORDINATES: dict[Shape, type[Coordinates]] = {
    Shape.BOUNDING_BOX: BoundingBoxCoordinates,
    Shape.ROTATABLE_BOUNDING_BOX: RotatableBoundingBoxCoordinates,
    Shape.POLYGON: PolygonCoordinates,
    Shape.POLYLINE: PolylineCoordinates,
    Shape.POINT: PointCoordinate,
    Shape.BITMASK: BitmaskCoordinates,
    Shape.SKELETON: SkeletonCoordinates,
}
"""Which coordinates class each shape takes."""


# -- fast reading of the labels document ---------------------------------------------------
# The document is read far more often than coordinates are built by hand, so well-formed
# values skip the dataclass machinery; anything else goes through the checked constructor,
# which raises the proper error. Both accept exactly the same values.

_new = object.__new__
_set = object.__setattr__


def _read_point(data: Mapping[str, Any]) -> PointCoordinate:
    x = data["x"]
    y = data["y"]
    if type(x) is float and type(y) is float and 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0:
        point = _new(PointCoordinate)
        _set(point, "x", x)
        _set(point, "y", y)
        return point
    return PointCoordinate(x, y)


def _box_ok(x: Any, y: Any, w: Any, h: Any) -> bool:
    return (
        type(x) is float
        and type(y) is float
        and type(w) is float
        and type(h) is float
        and 0.0 <= x <= 1.0
        and 0.0 <= y <= 1.0
        and 0.0 <= w <= 1.0
        and 0.0 <= h <= 1.0
    )


def _read_box(data: Mapping[str, Any]) -> BoundingBoxCoordinates:
    x, y, w, h = data["x"], data["y"], data["w"], data["h"]
    if _box_ok(x, y, w, h) and x + w <= 1.0 + _EDGE_TOLERANCE and y + h <= 1.0 + _EDGE_TOLERANCE:
        box = _new(BoundingBoxCoordinates)
        _set(box, "top_left_x", x)
        _set(box, "top_left_y", y)
        _set(box, "width", w)
        _set(box, "height", h)
        return box
    return BoundingBoxCoordinates(x, y, w, h)


def _read_rotatable(data: Mapping[str, Any]) -> RotatableBoundingBoxCoordinates:
    x, y, w, h, theta = data["x"], data["y"], data["w"], data["h"], data["theta"]
    if _box_ok(x, y, w, h) and type(theta) is float and math.isfinite(theta):
        box = _new(RotatableBoundingBoxCoordinates)
        _set(box, "top_left_x", x)
        _set(box, "top_left_y", y)
        _set(box, "width", w)
        _set(box, "height", h)
        _set(box, "theta", theta)
        return box
    return RotatableBoundingBoxCoordinates(x, y, w, h, theta)


def _read_vertices(raw: Any) -> tuple[PointCoordinate, ...] | None:
    points = []
    for pair in raw:
        if type(pair) is not list or len(pair) != 2:
            return None
        x, y = pair
        if not (type(x) is float and type(y) is float and 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            return None
        point = _new(PointCoordinate)
        _set(point, "x", x)
        _set(point, "y", y)
        points.append(point)
    return tuple(points)


def _read_polygon(data: Mapping[str, Any]) -> PolygonCoordinates:
    points = _read_vertices(data["points"])
    if points is None or len(points) < 3:
        return PolygonCoordinates(data["points"])
    polygon = _new(PolygonCoordinates)
    _set(polygon, "points", points)
    return polygon


def _read_polyline(data: Mapping[str, Any]) -> PolylineCoordinates:
    points = _read_vertices(data["points"])
    if points is None or len(points) < 2:
        return PolylineCoordinates(data["points"])
    polyline = _new(PolylineCoordinates)
    _set(polyline, "points", points)
    return polyline


READERS: dict[Shape, Callable[[Mapping[str, Any]], Coordinates]] = {
    Shape.BOUNDING_BOX: _read_box,
    Shape.ROTATABLE_BOUNDING_BOX: _read_rotatable,
    Shape.POLYGON: _read_polygon,
    Shape.POLYLINE: _read_polyline,
    Shape.POINT: _read_point,
    Shape.BITMASK: BitmaskCoordinates.from_dict,
    Shape.SKELETON: SkeletonCoordinates.from_dict,
}
"""Shape -> reader of the document form (same result as ``from_dict``, faster)."""
