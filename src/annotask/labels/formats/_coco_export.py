"""Writing label rows as a COCO dict (see :mod:`annotask.labels.coco` for the mapping)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from annotask.errors import LabelError
from annotask.labels import _rle
from annotask.labels._instance_common import Annotation
from annotask.labels._numbers import clean
from annotask.labels.coordinates import (
    BitmaskCoordinates,
    BoundingBoxCoordinates,
    PolygonCoordinates,
    SkeletonCoordinates,
)
from annotask.labels.formats._common import frame_file_name
from annotask.labels.label_row import LabelRow
from annotask.labels.object_instance import ObjectInstance
from annotask.labels.ontology import Ontology
from annotask.labels.ontology_model import ObjectClass, Shape

__all__ = ["export_coco", "frame_file_name"]


def export_coco(
    items: Iterable[tuple[LabelRow, str]],
    ontology: Ontology,
    *,
    compress_rle: bool = False,
) -> dict[str, Any]:
    """A COCO dict of ``(label row, file name)`` pairs; rows must be initialised."""
    categories = {o.feature_hash: i for i, o in enumerate(ontology.objects, start=1)}
    writer = _Writer(categories, compress_rle)
    for row, file_name in items:
        writer.row(row, file_name)
    info: dict[str, Any] = {"description": "exported by annotask"}
    if writer.skipped:
        info["skipped_objects"] = dict(sorted(writer.skipped.items()))
    return {
        "info": info,
        "images": writer.images,
        "annotations": writer.annotations,
        "categories": [_category(i, o) for i, o in enumerate(ontology.objects, start=1)],
    }


def _category(category_id: int, ontology_object: ObjectClass) -> dict[str, Any]:
    category: dict[str, Any] = {
        "id": category_id,
        "name": ontology_object.name,
        "supercategory": ontology_object.shape.value,
    }
    if ontology_object.shape is Shape.SKELETON:
        index = {name: i for i, name in enumerate(ontology_object.keypoints, start=1)}
        category["keypoints"] = list(ontology_object.keypoints)
        category["skeleton"] = [[index[a], index[b]] for a, b in ontology_object.edges]
    return category


class _Writer:
    def __init__(self, categories: dict[str, int], compress_rle: bool) -> None:
        self.categories = categories
        self.compress_rle = compress_rle
        self.images: list[dict[str, Any]] = []
        self.annotations: list[dict[str, Any]] = []
        self.skipped: dict[str, int] = {}

    def row(self, row: LabelRow, file_name: str) -> None:
        instances = row.get_object_instances()
        if row.width is None or row.height is None:
            raise LabelError(f"label row {row.label_hash} ({row.data_title}): COCO needs its size")
        image_ids = self._images(row, file_name, instances)
        for instance in instances:
            category_id = self.categories.get(instance.feature_hash)
            if category_id is None:
                raise LabelError(
                    f"{instance._ident()}: object class {instance.object_name!r} is not in the "
                    "ontology given to export_coco"
                )
            for annotation in instance.get_annotations():
                self._annotation(
                    row, instance, annotation, image_ids[annotation.frame], category_id
                )

    def _images(
        self, row: LabelRow, file_name: str, instances: list[ObjectInstance]
    ) -> dict[int, int]:
        if row.number_of_frames == 1:
            frames = [0]
        else:
            frames = sorted({f for i in instances for f in i.get_annotation_frames()})
        ids: dict[int, int] = {}
        for frame in frames:
            ids[frame] = len(self.images) + 1
            name = file_name if row.number_of_frames == 1 else frame_file_name(file_name, frame)
            self.images.append(
                {
                    "id": ids[frame],
                    "file_name": name,
                    "width": row.width,
                    "height": row.height,
                    "label_hash": row.label_hash,
                    "frame": frame,
                }
            )
        return ids

    def _annotation(
        self,
        row: LabelRow,
        instance: ObjectInstance,
        annotation: Annotation,
        image_id: int,
        category_id: int,
    ) -> None:
        width, height = float(row.width or 0), float(row.height or 0)
        geometry = self._geometry(instance.ontology_item, annotation, width, height)
        if geometry is None:
            shape = instance.ontology_item.shape.value
            self.skipped[shape] = self.skipped.get(shape, 0) + 1
            return
        entry: dict[str, Any] = {
            "id": len(self.annotations) + 1,
            "image_id": image_id,
            "category_id": category_id,
            "iscrowd": 0,
            **geometry,
            "object_hash": instance.object_hash,
        }
        if annotation.confidence != 1.0:
            entry["score"] = clean(annotation.confidence, 6)
        self.annotations.append(entry)

    def _geometry(
        self, ontology_object: ObjectClass, annotation: Annotation, width: float, height: float
    ) -> dict[str, Any] | None:
        coordinates = annotation.coordinates
        if isinstance(coordinates, BoundingBoxCoordinates):
            return _box(coordinates, width, height)
        if isinstance(coordinates, PolygonCoordinates):
            return _polygon(coordinates, width, height)
        if isinstance(coordinates, BitmaskCoordinates):
            return _mask(coordinates, self.compress_rle)
        if isinstance(coordinates, SkeletonCoordinates):
            return _skeleton(ontology_object, coordinates, width, height)
        return None


def _box(box: BoundingBoxCoordinates, width: float, height: float) -> dict[str, Any]:
    w, h = box.width * width, box.height * height
    return {
        "bbox": [clean(box.top_left_x * width), clean(box.top_left_y * height), clean(w), clean(h)],
        "area": clean(w * h),
        "segmentation": [],
    }


def _polygon(polygon: PolygonCoordinates, width: float, height: float) -> dict[str, Any]:
    xs = [p.x * width for p in polygon.points]
    ys = [p.y * height for p in polygon.points]
    area = 0.5 * abs(sum(xs[i] * ys[i - 1] - xs[i - 1] * ys[i] for i in range(len(xs))))
    flat = [clean(v) for pair in zip(xs, ys, strict=True) for v in pair]
    box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    return {
        "bbox": [clean(v) for v in box],
        "area": clean(area),
        "segmentation": [flat],
    }


def _mask(mask: BitmaskCoordinates, compress: bool) -> dict[str, Any]:
    array = mask.to_array()
    rows = np.flatnonzero(array.any(axis=1))
    cols = np.flatnonzero(array.any(axis=0))
    bbox = (
        [int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)]
        if rows.size
        else [0, 0, 0, 0]
    )
    counts: str | list[int] = _rle.compress(mask.counts) if compress else list(mask.counts)
    return {
        "bbox": bbox,
        "area": mask.area,
        "segmentation": {"size": [mask.height, mask.width], "counts": counts},
    }


def _skeleton(
    ontology_object: ObjectClass, skeleton: SkeletonCoordinates, width: float, height: float
) -> dict[str, Any]:
    flat: list[float | int] = []
    xs: list[float] = []
    ys: list[float] = []
    for name in ontology_object.keypoints:
        point = skeleton.keypoints.get(name)
        if point is None:
            flat.extend((0, 0, 0))
            continue
        xs.append(point.x * width)
        ys.append(point.y * height)
        flat.extend((clean(xs[-1]), clean(ys[-1]), 2 if skeleton.is_visible(name) else 1))
    bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)] if xs else [0, 0, 0, 0]
    return {
        "bbox": [clean(v) for v in bbox],
        "area": clean(bbox[2] * bbox[3]),
        "keypoints": flat,
        "num_keypoints": len(xs),
    }
