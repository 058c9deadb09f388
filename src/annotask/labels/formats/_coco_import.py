"""Reading a COCO dict into label rows (see :mod:`annotask.labels.coco` for the mapping).

Everything is read and checked first; problems are collected and raised as one
:class:`LabelError`, in which case no row has changed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotask.errors import LabelError, NotFoundError
from annotask.labels import _rle
from annotask.labels.coordinates import (
    BitmaskCoordinates,
    BoundingBoxCoordinates,
    Coordinates,
    PointCoordinate,
    PolygonCoordinates,
    SkeletonCoordinates,
)
from annotask.labels.formats._build import Built, checked_entry
from annotask.labels.formats._coco_schema import check_coco_shape
from annotask.labels.formats._common import (
    ImportMode,
    ImportReport,
    Problems,
    apply_mode,
    names,
)
from annotask.labels.label_row import LabelRow
from annotask.labels.ontology import Ontology
from annotask.labels.ontology_model import ObjectClass, Shape

__all__ = ["CocoImportReport", "import_checked_coco", "import_coco"]

_FRAME_SUFFIX = re.compile(r"^(?P<base>.*)#frame(?P<frame>\d+)$")
_TOLERANCE = 1e-6


CocoImportReport = ImportReport
"""What :func:`import_coco` did (the report every format's import gives)."""


@dataclass(frozen=True)
class _Image:
    row: LabelRow
    frame: int
    width: int
    height: int


@dataclass(frozen=True)
class _Category:
    ontology_object: ObjectClass
    keypoints: tuple[str, ...]


@dataclass
class _Group:
    """The annotations that become one object instance."""

    row: LabelRow
    ontology_object: ObjectClass
    object_hash: str | None
    frames: dict[int, tuple[Coordinates, float, bool]] = field(default_factory=dict)


def import_coco(
    coco: Mapping[str, Any],
    ontology: Ontology,
    rows_by_file_name: Mapping[str, LabelRow],
    *,
    skip_unknown: bool = False,
    skip_unmatched: bool = True,
    mode: ImportMode = ImportMode.ADD,
) -> ImportReport:
    """Add the COCO annotations to the matching (initialised) rows; all or nothing.

    The document's shape is checked first (:func:`check_coco_shape`); ``mode`` says what
    happens to rows that already hold objects (see :class:`ImportMode`).
    """
    check_coco_shape(coco)
    return import_checked_coco(
        coco,
        ontology,
        rows_by_file_name,
        skip_unknown=skip_unknown,
        skip_unmatched=skip_unmatched,
        mode=mode,
    )


def import_checked_coco(
    coco: Mapping[str, Any],
    ontology: Ontology,
    rows_by_file_name: Mapping[str, LabelRow],
    *,
    skip_unknown: bool,
    skip_unmatched: bool,
    mode: ImportMode,
) -> ImportReport:
    """:func:`import_coco` of a document whose shape :func:`check_coco_shape` has checked."""
    reader = _Reader(ontology, rows_by_file_name, skip_unknown)
    groups = reader.read(coco)
    instances = reader.build(groups)
    if reader.unmatched and not skip_unmatched:
        reader.problems.append(
            f"images {names(reader.unmatched)} match no data item (matched by file name = "
            "data title); pass skip_unmatched=True (--skip-unmatched) to import the rest"
        )
    if reader.problems:
        problems = Problems("COCO")
        for line in reader.problems:
            problems.add(line)
        problems.raise_any()
    applied = apply_mode(list(reader.named.values()), instances, mode)
    return ImportReport(
        objects_added=applied.added,
        annotations_imported=applied.annotations,
        rows_changed=applied.changed,
        unmatched_images=tuple(reader.unmatched),
        unknown_categories=tuple(sorted(reader.unknown_categories)),
        skipped_annotations=reader.skipped,
        mode=mode,
        objects_removed=applied.removed,
        rows_skipped=applied.skipped,
    )


def _list(coco: Mapping[str, Any], key: str, problems: list[str]) -> list[Any]:
    value = coco.get(key, [])
    if isinstance(value, list):
        return value
    problems.append(f"{key} must be a list")
    return []


class _Reader:
    def __init__(
        self, ontology: Ontology, rows: Mapping[str, LabelRow], skip_unknown: bool
    ) -> None:
        self.ontology = ontology
        self.rows = rows
        self.skip_unknown = skip_unknown
        self.problems: list[str] = []
        self.unmatched: list[str] = []
        self.unknown_categories: set[str] = set()
        self.named: dict[str, LabelRow] = {}
        self.skipped = 0

    # -- categories and images -----------------------------------------------------------

    def read(self, coco: Mapping[str, Any]) -> list[_Group]:
        if not isinstance(coco, Mapping):
            self.problems.append("a COCO document must be a mapping")
            return []
        categories = self._categories(_list(coco, "categories", self.problems))
        images = self._images(_list(coco, "images", self.problems))
        groups: dict[tuple[str, str], _Group] = {}
        for raw in _list(coco, "annotations", self.problems):
            self._annotation(raw, categories, images, groups)
        return list(groups.values())

    def _categories(self, raw_categories: list[Any]) -> dict[int, _Category | None]:
        categories: dict[int, _Category | None] = {}
        unknown: list[str] = []
        for raw in raw_categories:
            if not isinstance(raw, Mapping) or type(raw.get("id")) is not int:
                self.problems.append(f"category {raw!r} needs an int id and a name")
                continue
            if raw["id"] in categories:
                self.problems.append(f"category id {raw['id']} is listed twice")
            name = str(raw.get("name"))
            found = _object_named(self.ontology, name)
            if found is None:
                unknown.append(name)
                categories[raw["id"]] = None
                continue
            keypoints = tuple(raw.get("keypoints") or found.keypoints)
            categories[raw["id"]] = _Category(found, keypoints)
        if unknown and not self.skip_unknown:
            known = ", ".join(repr(o.name) for o in self.ontology.objects) or "none"
            self.problems.append(
                f"categories {', '.join(map(repr, unknown))} are not object classes of the "
                f"ontology ({known}); pass skip_unknown=True (--skip-unknown) to skip their "
                "annotations"
            )
        self.unknown_categories.update(unknown)
        return categories

    def _images(self, raw_images: list[Any]) -> dict[int, _Image | None]:
        images: dict[int, _Image | None] = {}
        for raw in raw_images:
            if not isinstance(raw, Mapping) or type(raw.get("id")) is not int:
                self.problems.append(f"image {raw!r} needs an int id and a file_name")
                continue
            if raw["id"] in images:
                self.problems.append(f"image id {raw['id']} is listed twice")
            images[raw["id"]] = self._image(raw)
        return images

    def _image(self, raw: Mapping[str, Any]) -> _Image | None:
        file_name = str(raw.get("file_name"))
        row, frame = self._match(file_name)
        if row is None:
            self.unmatched.append(file_name)
            return None
        if not row.is_labelling_initialised:
            self.problems.append(
                f"image {file_name!r}: label row {row.label_hash} is not initialised; "
                "call initialise_labels() first"
            )
            return None
        width, height = raw.get("width", row.width), raw.get("height", row.height)
        if type(width) is not int or type(height) is not int or width <= 0 or height <= 0:
            self.problems.append(f"image {file_name!r}: needs a positive int width and height")
            return None
        if (row.width, row.height) not in ((width, height), (None, None)):
            self.problems.append(
                f"image {file_name!r} is {width}x{height}, but its data item is "
                f"{row.width}x{row.height}"
            )
            return None
        self.named.setdefault(row.label_hash, row)
        return _Image(row, frame, width, height)

    def _match(self, file_name: str) -> tuple[LabelRow | None, int]:
        row = self.rows.get(file_name)
        if row is not None:
            return row, 0
        match = _FRAME_SUFFIX.match(file_name)
        if match is not None:
            return self.rows.get(match["base"]), int(match["frame"])
        return None, 0

    # -- annotations ---------------------------------------------------------------------

    def _annotation(
        self,
        raw: Any,
        categories: dict[int, _Category | None],
        images: dict[int, _Image | None],
        groups: dict[tuple[str, str], _Group],
    ) -> None:
        if not isinstance(raw, Mapping):
            self.problems.append(f"annotation {raw!r} must be a mapping")
            return
        where = f"annotation {raw.get('id')!r}"
        image_id, category_id = raw.get("image_id"), raw.get("category_id")
        if image_id not in images:
            self.problems.append(f"{where}: image_id {image_id!r} is not among the images")
            return
        if category_id not in categories:
            self.problems.append(
                f"{where}: category_id {category_id!r} is not among the categories"
            )
            return
        image, category = images[image_id], categories[category_id]
        if image is None or category is None:
            self.skipped += 1
            return
        try:
            coordinates = _coordinates(category, raw, image)
        except (LabelError, TypeError, ValueError, KeyError) as exc:
            self.problems.append(f"{where} ({image.row.data_title}): {exc}")
            return
        self._group(where, raw, (image, category, coordinates), groups)

    def _group(
        self,
        where: str,
        raw: Mapping[str, Any],
        read: tuple[_Image, _Category, Coordinates],
        groups: dict[tuple[str, str], _Group],
    ) -> None:
        image, category, coordinates = read
        object_hash = raw.get("object_hash")
        key = (image.row.label_hash, str(object_hash) if object_hash else f"{where}")
        group = groups.setdefault(
            key,
            _Group(image.row, category.ontology_object, str(object_hash) if object_hash else None),
        )
        if group.ontology_object != category.ontology_object:
            self.problems.append(f"{where}: object_hash {object_hash!r} is used by two categories")
            return
        if image.frame in group.frames:
            self.problems.append(
                f"{where}: object_hash {object_hash!r} is used twice on frame {image.frame}"
            )
            return
        score = raw.get("score", 1.0)
        group.frames[image.frame] = (coordinates, score, "score" not in raw)

    def build(self, groups: list[_Group]) -> list[Built]:
        built: list[Built] = []
        existing: dict[str, set[str]] = {}
        for group in groups:
            row = group.row
            hashes = existing.get(row.label_hash)
            if hashes is None:
                hashes = set(row._objects)  # hashes only: stored objects stay unbuilt
                existing[row.label_hash] = hashes
            taken = group.object_hash is None or group.object_hash in hashes
            parts = [
                (frame, coordinates, score, manual)
                for frame, (coordinates, score, manual) in group.frames.items()
            ]
            try:
                made = checked_entry(
                    group.ontology_object, None if taken else group.object_hash, parts, row
                )
            except LabelError as exc:
                self.problems.append(str(exc))
                continue
            built.append(made)
        return built


def _object_named(ontology: Ontology, name: str) -> ObjectClass | None:
    try:
        found = ontology.get_object(name)
    except NotFoundError:
        return None
    return found if found.name == name else None


# -- geometry ------------------------------------------------------------------------------


def _coordinates(category: _Category, raw: Mapping[str, Any], image: _Image) -> Coordinates:
    shape = category.ontology_object.shape
    if shape is Shape.BOUNDING_BOX:
        return _box(raw["bbox"], image)
    if shape is Shape.POLYGON:
        return _polygon(raw.get("segmentation"), image)
    if shape is Shape.BITMASK:
        return _mask(raw.get("segmentation"), image)
    if shape is Shape.SKELETON:
        return _skeleton(category.keypoints, raw["keypoints"], image)
    raise LabelError(f"COCO cannot carry {shape.value} objects ({category.ontology_object.name!r})")


def _number(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise LabelError(f"{value!r} is not a finite number")


def _fraction(value: float, size: int, what: str) -> float:
    """Pixels -> fraction, refusing values outside the image (beyond rounding)."""
    if value < -_TOLERANCE * size or value > size * (1 + _TOLERANCE):
        raise LabelError(f"{what} {value!r} lies outside the image (0..{size})")
    return min(max(value / size, 0.0), 1.0)


def _box(bbox: object, image: _Image) -> BoundingBoxCoordinates:
    if not isinstance(bbox, Sequence) or len(bbox) != 4:
        raise LabelError(f"bbox must be [x, y, width, height], got {bbox!r}")
    x, y, w, h = (_number(v) for v in bbox)
    if w < 0 or h < 0:
        raise LabelError(f"bbox {list(bbox)!r} has a negative size")
    left = _fraction(x, image.width, "bbox x")
    top = _fraction(y, image.height, "bbox y")
    right = _fraction(x + w, image.width, "bbox right edge")
    bottom = _fraction(y + h, image.height, "bbox bottom edge")
    return BoundingBoxCoordinates(left, top, right - left, bottom - top)


def _polygon(segmentation: object, image: _Image) -> PolygonCoordinates:
    if not isinstance(segmentation, list) or len(segmentation) != 1:
        parts = len(segmentation) if isinstance(segmentation, list) else 0
        raise LabelError(
            f"a polygon object needs a segmentation of exactly one polygon, got {parts} part(s)"
        )
    flat = segmentation[0]
    if not isinstance(flat, list) or len(flat) % 2 or len(flat) < 6:
        raise LabelError("a polygon needs [x1, y1, x2, y2, ...] with at least 3 points")
    values = [_number(v) for v in flat]
    return PolygonCoordinates(
        [
            PointCoordinate(
                _fraction(values[i], image.width, "polygon x"),
                _fraction(values[i + 1], image.height, "polygon y"),
            )
            for i in range(0, len(values), 2)
        ]
    )


def _mask(segmentation: object, image: _Image) -> BitmaskCoordinates:
    if not isinstance(segmentation, Mapping) or "counts" not in segmentation:
        raise LabelError("a bitmask object needs an RLE segmentation {size, counts}")
    size = list(segmentation.get("size") or [])
    if size != [image.height, image.width]:
        raise LabelError(
            f"RLE size {size!r} differs from the image's [height, width] "
            f"[{image.height}, {image.width}]"
        )
    counts = segmentation["counts"]
    if isinstance(counts, str):
        counts = _rle.decompress(counts)
    if not isinstance(counts, list):
        raise LabelError("RLE counts must be a list of ints or a compressed string")
    return BitmaskCoordinates(image.height, image.width, counts)


def _skeleton(names: tuple[str, ...], flat: object, image: _Image) -> SkeletonCoordinates:
    if not isinstance(flat, list) or len(flat) != 3 * len(names):
        raise LabelError(f"keypoints must list [x, y, v] for each of {len(names)} keypoints")
    points: dict[str, PointCoordinate] = {}
    visible: dict[str, bool] = {}
    for i, name in enumerate(names):
        x, y, v = (_number(value) for value in flat[3 * i : 3 * i + 3])
        if v == 0:
            continue
        points[name] = PointCoordinate(
            _fraction(x, image.width, "keypoint x"), _fraction(y, image.height, "keypoint y")
        )
        visible[name] = v == 2
    return SkeletonCoordinates(points, visible)
