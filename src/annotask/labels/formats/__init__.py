"""Label formats in and out: one module per format, each with ``export`` and ``import_``.

=============  ==========================================  ===========================
name           export writes                               import reads
=============  ==========================================  ===========================
coco           one COCO JSON file                          the same
yolo           a folder: data.yaml, images/, labels/       the same
voc            a folder: Annotations/*.xml, JPEGImages/    the same
cvat           one CVAT XML file (images, or video)        the same
labelstudio    one Label Studio JSON file (a task list)    the same
json           annotask's own export (every label row)     the same
=============  ==========================================  ===========================

Every ``export(items, ontology, target)`` returns an :class:`ExportReport`; every
``import_(source, ontology, rows_by_file_name, mode=..., skip_unknown=...,
skip_unmatched=...)`` checks the whole input first and changes the (in-memory) rows only
when it has no problem, returning an :class:`ImportReport`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from annotask.errors import ValidationError
from annotask.labels.formats._common import ExportItem, ExportReport, ImportMode, ImportReport

__all__ = [
    "FORMAT_NAMES",
    "ExportItem",
    "ExportReport",
    "ImportMode",
    "ImportReport",
    "get_format",
]

FORMAT_NAMES = ("coco", "yolo", "voc", "cvat", "labelstudio", "json")
"""The formats, by the name the CLI and :func:`get_format` take."""


def get_format(name: str) -> ModuleType:
    """The module of format ``name`` (``export`` and ``import_`` inside)."""
    if name not in FORMAT_NAMES:
        raise ValidationError(
            f"no label format {name!r}; the formats are {', '.join(FORMAT_NAMES)}"
        )
    try:
        return importlib.import_module(f"annotask.labels.formats.{name}")
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.startswith("annotask"):
            raise
        raise ValidationError(
            f"the {name} format needs {exc.name}, which is not installed; install annotask[interop]"
        ) from exc
