"""The public names of annotask.labels are exactly its __all__."""

from __future__ import annotations

import annotask.labels

EXPECTED = {
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
}


def test_all_lists_the_public_names() -> None:
    assert set(annotask.labels.__all__) == EXPECTED


def test_public_namespace_equals_all() -> None:
    # dir() includes the names loaded on first use (the COCO reader and writer)
    defined_here = {
        name
        for name in dir(annotask.labels)
        if not name.startswith("_")
        and getattr(getattr(annotask.labels, name), "__module__", "").startswith("annotask")
    }
    # Coordinates is a type alias (a union), which carries no __module__ of ours
    assert defined_here == set(annotask.labels.__all__) - {"Coordinates"}


def test_memory_backend_satisfies_the_protocol() -> None:
    backend: annotask.labels.LabelRowBackend = annotask.labels.MemoryLabelBackend()
    assert backend.history.__name__ == "history"
