"""Ontologies and label rows: the labels agents read and write.

Pure Python: no SQL and no media. A :class:`LabelRow` is loaded and saved through a
:class:`LabelRowBackend` (the client layer's, or :class:`MemoryLabelBackend`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from annotask._lazy import lazy_attributes as _lazy_attributes
from annotask.labels.backend import (
    LabelRowBackend,
    LabelRowMeta,
    LabelSaveRequest,
    LabelVersion,
)
from annotask.labels.bundle import Bundle
from annotask.labels.coordinates import (
    BitmaskCoordinates,
    BoundingBoxCoordinates,
    Coordinates,
    PointCoordinate,
    PolygonCoordinates,
    PolylineCoordinates,
    RotatableBoundingBoxCoordinates,
    SkeletonCoordinates,
)
from annotask.labels.instances import (
    Annotation,
    ClassificationAnnotation,
    ClassificationInstance,
    ObjectInstance,
)
from annotask.labels.label_row import LabelRow
from annotask.labels.memory_backend import MemoryLabelBackend
from annotask.labels.ontology import Ontology
from annotask.labels.ontology_kinds import (
    ChecklistAttribute,
    FlatOption,
    NestableOption,
    NumericAttribute,
    Object,
    RadioAttribute,
    TextAttribute,
)
from annotask.labels.ontology_model import (
    Attribute,
    AttributeType,
    Classification,
    ObjectClass,
    Option,
    Shape,
)

__all__ = [
    "Annotation",
    "Attribute",
    "AttributeType",
    "BitmaskCoordinates",
    "BoundingBoxCoordinates",
    "Bundle",
    "ChecklistAttribute",
    "Classification",
    "ClassificationAnnotation",
    "ClassificationInstance",
    "CocoImportReport",
    "Coordinates",
    "FlatOption",
    "LabelRow",
    "LabelRowBackend",
    "LabelRowMeta",
    "LabelSaveRequest",
    "LabelVersion",
    "MemoryLabelBackend",
    "NestableOption",
    "NumericAttribute",
    "Object",
    "ObjectClass",
    "ObjectInstance",
    "Ontology",
    "Option",
    "PointCoordinate",
    "PolygonCoordinates",
    "PolylineCoordinates",
    "RadioAttribute",
    "RotatableBoundingBoxCoordinates",
    "Shape",
    "SkeletonCoordinates",
    "TextAttribute",
    "export_coco",
    "import_coco",
]

if TYPE_CHECKING:
    from annotask.labels.coco import CocoImportReport, export_coco, import_coco

# The COCO reader and writer (and the label formats behind them) load on first use, so that
# code that only touches label rows (the command line's task commands) starts faster.
__getattr__, __dir__ = _lazy_attributes(
    __name__,
    globals(),
    dict.fromkeys(["CocoImportReport", "export_coco", "import_coco"], "annotask.labels.coco"),
)
