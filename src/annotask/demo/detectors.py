"""Detectors that need no downloaded weights: frontal faces, and coloured shapes.

Both take an RGB ``uint8`` array ``[h, w, 3]`` and return :class:`Detection` objects whose
boxes are fractions (0..1) of the image, each with a confidence in 0..1 that means something:

- :func:`detect_faces` runs OpenCV's trained LBP frontal-face cascade, as shipped inside
  scikit-image (``skimage.data.lbp_frontal_face_cascade_filename``). OpenCV 5's Python wheels
  no longer carry ``CascadeClassifier`` nor the ``cv2.data`` Haar files, so the cascade is
  evaluated with ``skimage.feature.Cascade``. Raw window hits are grouped here, and a face's
  confidence grows with how many windows (positions and scales) agreed on it.
- :func:`detect_shapes` finds saturated regions (HSV saturation and value thresholds, OpenCV
  contours) and names each by the model that fits its outline best: circle (minimum enclosing
  circle), rectangle (minimum-area rectangle) or triangle (minimum enclosing triangle). Its
  confidence is how well that model fits, weighed by how clearly it beats the other two.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import cv2
import numpy as np
from cv2.typing import MatLike
from numpy.typing import NDArray

from annotask.demo.manifest import Box
from annotask.errors import ValidationError
from annotask.labels import BoundingBoxCoordinates

__all__ = [
    "FACE",
    "SHAPE_LABELS",
    "Detection",
    "box_iou",
    "detect_faces",
    "detect_objects",
    "detect_shapes",
]

FACE = "face"
SHAPE_LABELS = ("circle", "rectangle", "triangle")

Picture = NDArray[np.uint8]
Rect = tuple[float, float, float, float]  # x, y, w, h in pixels

# Faces: windows from 1/8 of the shorter side up; a face needs this many agreeing windows.
_FACE_MIN_FRACTION = 0.12
_FACE_MIN_NEIGHBOURS = 6
_FACE_HALF_CONFIDENCE = 10  # agreeing windows at which confidence reaches 0.5
_FACE_GROUP_EPS = 0.25  # corners may differ by this fraction of the mean side and still group

# Shapes: thresholds on OpenCV's 0..255 HSV scale, sizes as fractions of the image area.
_MIN_SATURATION = 100
_MIN_VALUE = 60
_MIN_SHAPE_AREA = 0.002
_MAX_SHAPE_AREA = 0.5  # a region this large is background, not an object
_MIN_FIT = 0.8  # below this no model describes the region: it is not one of our shapes
_MIN_SOLIDITY = 0.9
_FIT_TEMPERATURE = 0.05  # softmax temperature over the three fits


@dataclass(frozen=True, slots=True)
class Detection:
    """One object found: its class, its box ``(x, y, w, h)`` as fractions, a confidence 0..1."""

    label: str
    box: Box
    confidence: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValidationError(f"confidence must lie in 0..1, not {self.confidence!r}")
        x, y, w, h = self.box
        if min(x, y) < 0.0 or w <= 0.0 or h <= 0.0 or x + w > 1.0 + 1e-9 or y + h > 1.0 + 1e-9:
            raise ValidationError(f"box {self.box!r} does not lie inside the image")

    def bounding_box(self) -> BoundingBoxCoordinates:
        """The box as label coordinates, ready for ``ObjectInstance.set_for_frames``."""
        x, y, w, h = self.box
        return BoundingBoxCoordinates(top_left_x=x, top_left_y=y, width=w, height=h)


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two ``(x, y, w, h)`` boxes (0 when they do not touch)."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _check_picture(rgb: Picture) -> tuple[int, int]:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValidationError(
            f"a detector takes an RGB uint8 array [h, w, 3], not {rgb.dtype} {rgb.shape}"
        )
    return int(rgb.shape[0]), int(rgb.shape[1])


def _fractions(rect: Rect, width: int, height: int) -> Box:
    x, y, w, h = rect
    x0, y0 = max(0.0, x), max(0.0, y)
    x1, y1 = min(float(width), x + w), min(float(height), y + h)
    return (x0 / width, y0 / height, (x1 - x0) / width, (y1 - y0) / height)


# faces ------------------------------------------------------------------------------------


@cache
def _face_cascade() -> Any:
    from skimage.data import lbp_frontal_face_cascade_filename  # noqa: PLC0415 - demo extra
    from skimage.feature import Cascade  # noqa: PLC0415 - demo extra

    # skimage types this helper's module but leaves the function unannotated
    path: str = lbp_frontal_face_cascade_filename()  # type: ignore[no-untyped-call]
    return Cascade(path)


def detect_faces(rgb: Picture) -> list[Detection]:
    """Frontal faces at least an eighth of the shorter side tall, most confident first."""
    height, width = _check_picture(rgb)
    side = min(height, width)
    smallest = max(24, int(side * _FACE_MIN_FRACTION))
    windows = _face_cascade().detect_multi_scale(
        img=rgb,
        scale_factor=1.1,
        step_ratio=1,
        min_size=(smallest, smallest),
        max_size=(side, side),
        min_neighbor_number=1,  # every raw window: we group and count them ourselves
        intersection_score_threshold=2.0,
    )
    rects = [(float(d["c"]), float(d["r"]), float(d["width"]), float(d["height"])) for d in windows]
    found = []
    for (x, y, w, h), votes in _group_windows(rects):
        if votes < _FACE_MIN_NEIGHBOURS:
            continue
        confidence = votes / (votes + _FACE_HALF_CONFIDENCE)
        found.append(Detection(FACE, _fractions((x, y, w, h), width, height), confidence))
    return sorted(found, key=lambda d: -d.confidence)


def _similar(a: Rect, b: Rect) -> bool:
    """OpenCV's ``groupRectangles`` test: every edge within eps of the mean side."""
    delta = _FACE_GROUP_EPS * (min(a[2], b[2]) + min(a[3], b[3])) / 2
    return (
        abs(a[0] - b[0]) <= delta
        and abs(a[1] - b[1]) <= delta
        and abs(a[0] + a[2] - b[0] - b[2]) <= delta
        and abs(a[1] + a[3] - b[1] - b[3]) <= delta
    )


def _group_windows(rects: Sequence[Rect]) -> list[tuple[Rect, int]]:
    """Cluster similar windows (transitively); each cluster's mean box and size, nested
    clusters with fewer votes dropped."""
    parent = list(range(len(rects)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(rects):
        for j in range(i):
            if _similar(a, rects[j]):
                parent[root(i)] = root(j)
    clusters: dict[int, list[Rect]] = {}
    for i, rect in enumerate(rects):
        clusters.setdefault(root(i), []).append(rect)
    groups = [(_mean_rect(members), len(members)) for members in clusters.values()]
    return [g for g in groups if not any(_inside(g, other) for other in groups if other is not g)]


def _mean_rect(members: Sequence[Rect]) -> Rect:
    n = len(members)
    x, y, w, h = (sum(r[k] for r in members) / n for k in range(4))
    return (x, y, w, h)


def _inside(group: tuple[Rect, int], other: tuple[Rect, int]) -> bool:
    (x, y, w, h), votes = group
    (ox, oy, ow, oh), other_votes = other
    dx, dy = 0.2 * ow, 0.2 * oh
    nested = x >= ox - dx and y >= oy - dy and x + w <= ox + ow + dx and y + h <= oy + oh + dy
    return nested and other_votes > votes


# shapes -----------------------------------------------------------------------------------


def detect_shapes(rgb: Picture) -> list[Detection]:
    """Saturated circles, rectangles and triangles, most confident first.

    Not reported: regions under 0.2% or over half of the image, regions cut by the image's
    edge (their outline is not their shape), ragged ones (solidity under 0.9) and ones no
    model fits (best fit under 0.8).
    """
    height, width = _check_picture(rgb)
    contours, _ = cv2.findContours(_colour_mask(rgb), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    min_area, max_area = _MIN_SHAPE_AREA * width * height, _MAX_SHAPE_AREA * width * height
    found = []
    for contour in contours:
        area = float(cv2.contourArea(contour))
        x, y, w, h = cv2.boundingRect(contour)
        cut = x == 0 or y == 0 or x + w == width or y + h == height
        classified = None if cut or not min_area <= area <= max_area else _classify(contour, area)
        if classified is None:
            continue
        label, confidence = classified
        found.append(Detection(label, _fractions((x, y, w, h), width, height), confidence))
    return sorted(found, key=lambda d: -d.confidence)


def _colour_mask(rgb: Picture) -> MatLike:
    """255 where the picture is strongly coloured, 0 elsewhere, specks removed."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    # Smoothing saturation first evens out edges that chroma subsampling (JPEG, H.264) frays.
    saturation = cv2.GaussianBlur(hsv[:, :, 1], (5, 5), 0)
    coloured = (saturation >= _MIN_SATURATION) & (hsv[:, :, 2] >= _MIN_VALUE)
    mask = coloured.astype(np.uint8) * 255
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))


def _classify(contour: MatLike, area: float) -> tuple[str, float] | None:
    """The best-fitting shape model and a confidence, or None for a region none fits."""
    hull_area = float(cv2.contourArea(cv2.convexHull(contour)))
    if hull_area <= 0 or area / hull_area < _MIN_SOLIDITY:
        return None
    fits = _fits(contour, area)
    best = max(fits, key=lambda label: fits[label])
    if fits[best] < _MIN_FIT:
        return None
    weights = {label: math.exp(fit / _FIT_TEMPERATURE) for label, fit in fits.items()}
    posterior = weights[best] / sum(weights.values())
    return best, min(1.0, fits[best]) * posterior


def _fits(contour: MatLike, area: float) -> dict[str, float]:
    """How much of each model's enclosing outline the region fills (1 is a perfect fit)."""
    _, radius = cv2.minEnclosingCircle(contour)
    (_, _), (rect_w, rect_h), _ = cv2.minAreaRect(contour)
    triangle_area, _ = cv2.minEnclosingTriangle(contour)
    models = {
        "circle": math.pi * float(radius) ** 2,
        "rectangle": float(rect_w) * float(rect_h),
        "triangle": float(triangle_area),
    }
    return {label: area / size if size > 0 else 0.0 for label, size in models.items()}


def detect_objects(rgb: Picture, *, faces: bool = True, shapes: bool = True) -> list[Detection]:
    """Faces and shapes together, most confident first."""
    found = (detect_faces(rgb) if faces else []) + (detect_shapes(rgb) if shapes else [])
    return sorted(found, key=lambda d: -d.confidence)
