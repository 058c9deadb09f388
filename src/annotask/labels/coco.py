"""COCO interchange: export label rows to a COCO dict, import a COCO dict into label rows.

Mapping:

* categories: one per object class of the ontology, ids 1.., ``supercategory`` = the
  shape; skeleton classes also list ``keypoints`` and ``skeleton`` (1-based edge indices).
* images: one per single-frame row (file name as given); a multi-frame row (video, image
  sequence) gives one image per annotated frame named ``{file name}#frame{n}``
  (:func:`frame_file_name`). Each image also carries ``label_hash`` and ``frame``.
* annotations: pixel coordinates rounded to 1e-4 px (whole numbers as ints), ``iscrowd`` 0.
  bounding_box -> ``bbox``; polygon -> ``segmentation`` ``[[x1, y1, ...]]``; bitmask -> RLE
  ``segmentation`` ``{"size": [h, w], "counts": [...]}`` (uncompressed; compressed strings
  with ``compress_rle=True``); skeleton -> ``keypoints`` ``[x, y, v, ...]`` (v: 2 visible,
  1 hidden, 0 absent). Rotatable boxes, polylines and points have no COCO form: they are
  left out and counted in ``info.skipped_objects``. A confidence below 1 is written as
  ``score``; ``object_hash`` ties the frames of one object together. Attributes and
  classifications are not exported.

Import first checks the document's shape with a schema (ids ints, names strings, coordinates
finite numbers, segmentation a polygon list or an RLE), so ``"image_id": [1]`` is one clear
error. It then reverses the mapping (crowd regions import like any other): file names (and
``#frame{n}`` suffixes) pick the rows, category names pick object classes, annotations
sharing an ``object_hash`` on one row become one instance (keeping that hash when the row
has no object with it), ``score`` becomes the confidence and ``manual_annotation`` is true
when there is no score. Polygon classes need a single-part polygon, bitmask classes an RLE
(either form). Malformed input, category ids or image ids not listed, boxes outside the
image, or category names that are not object classes (unless ``skip_unknown=True``) raise
one :class:`LabelError` listing every problem, and nothing is imported. ``mode``
(:class:`~annotask.labels.formats.ImportMode`) says what happens to rows that already hold
objects. :mod:`annotask.labels.formats.coco` reads and writes COCO files.
"""

from __future__ import annotations

from annotask.labels.formats._coco_export import export_coco, frame_file_name
from annotask.labels.formats._coco_import import CocoImportReport, import_coco

__all__ = ["CocoImportReport", "export_coco", "frame_file_name", "import_coco"]
