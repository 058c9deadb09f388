"""Imported objects, built straight into the stored document form.

An import reads thousands of objects that are then saved, not read: building each through
:meth:`ObjectInstance.set_for_frames` and :meth:`LabelRow.add_object_instance` (three checks
of every frame, an instance, an annotation per frame) only to encode it again on save is
most of an import's time. :func:`checked_entry` makes the same checks once (coordinate type
of the class's shape, frames inside the row, confidence, manual flag, the class in the
row's ontology) and writes the object's document entry as text, exactly as
:func:`~annotask.labels.document.document_text` would write it; the row keeps it as a
:class:`PendingObject`, built only if something reads it. Anything the plain checks do not
accept goes the long way, so errors read exactly as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from annotask.errors import LabelError
from annotask.labels._instance_common import new_hash
from annotask.labels._text import name_problem
from annotask.labels.coordinates import SHAPE_COORDINATES, BoundingBoxCoordinates, Coordinates
from annotask.labels.document import PendingObject
from annotask.labels.label_row import LabelRow
from annotask.labels.object_instance import ObjectInstance
from annotask.labels.ontology_model import ObjectClass, Shape

__all__ = ["Built", "FrameParts", "add_checked", "checked_entry"]

FrameParts = tuple[int, Coordinates, object, object]
"""One frame of an object: frame, coordinates, confidence, manual flag."""

_LONG_WAY = frozenset({Shape.BITMASK, Shape.SKELETON})
"""Shapes whose coordinates need the item's size or the class's keypoints: checked in full."""


@dataclass(frozen=True, slots=True)
class Built:
    """An object made by an import for ``row``, checked, on ``frames`` frames."""

    row: LabelRow
    entry: ObjectInstance | PendingObject
    frames: int


def checked_entry(
    object_class: ObjectClass,
    object_hash: str | None,
    frames: Iterable[FrameParts],
    row: LabelRow,
) -> Built:
    """The object ``object_class`` on ``frames``, fit to go in ``row`` (frames in any order).

    :class:`LabelError` as :meth:`ObjectInstance.set_for_frames` and
    :meth:`LabelRow.add_object_instance` would raise it.
    """
    parts = sorted(frames, key=_frame_of)
    for before, after in pairwise(parts):
        if before[0] == after[0]:
            raise LabelError(
                f"{object_class.name} (object {object_hash or 'new'}): frame {after[0]!r} is "
                "given twice; give each frame of an object once"
            )
    text = _text(object_class, object_hash, parts, row)
    if text is not None:
        entry = PendingObject(object_class, text[0], text[1], len(row._objects))
        return Built(row, entry, len(parts))
    instance = ObjectInstance(object_class, object_hash)
    for frame, coordinates, confidence, manual in parts:
        instance.set_for_frames(
            coordinates,
            frame,
            confidence=confidence,  # type: ignore[arg-type]  # checked by set_for_frames
            manual_annotation=manual,  # type: ignore[arg-type]
        )
    row._check_object_class(instance)
    instance._check_against(row)
    return Built(row, instance, len(parts))


def _frame_of(parts: FrameParts) -> int:
    return parts[0]


def _text(
    object_class: ObjectClass,
    object_hash: str | None,
    parts: list[FrameParts],
    row: LabelRow,
) -> tuple[str, str] | None:
    """(hash, document entry text) when every part passes the plain checks, else None."""
    shape = object_class.shape
    found = row.ontology.find_object(object_class.feature_hash)
    if shape in _LONG_WAY or (found is not object_class and found != object_class):
        return None
    if object_hash is not None and name_problem(object_hash) is not None:
        return None
    expected = SHAPE_COORDINATES[shape]
    last = row.number_of_frames - 1
    frames: list[str] = []
    for frame, coordinates, confidence, manual in parts:
        if (
            type(coordinates) is not expected
            or type(frame) is not int
            or not 0 <= frame <= last
            or type(confidence) is not float
            or not 0.0 <= confidence <= 1.0
            or type(manual) is not bool
        ):
            return None
        frames.append(
            f'"{frame}": {{"coordinates": {_coordinates(coordinates)}, '
            f'"confidence": {confidence!r}, "manual_annotation": {"true" if manual else "false"}}}'
        )
    if object_hash is None:
        object_hash = new_hash()
        quoted = f'"{object_hash}"'  # hex digits
    else:
        quoted = json.dumps(object_hash)
    text = (
        f'{{"object_hash": {quoted}, {_class_part(object_class)}, '
        f'"frames": {{{", ".join(frames)}}}, "answers": {{}}}}'
    )
    return object_hash, text


_CLASS_PARTS: dict[tuple[str, str], str] = {}


def _class_part(object_class: ObjectClass) -> str:
    """``"feature_hash": .., "name": ..`` of an entry, written once per class."""
    key = (object_class.feature_hash, object_class.name)
    part = _CLASS_PARTS.get(key)
    if part is None:
        part = _CLASS_PARTS[key] = (
            f'"feature_hash": {json.dumps(key[0])}, "name": {json.dumps(key[1])}'
        )
    return part


def _coordinates(coordinates: Coordinates) -> str:
    """``json.dumps(coordinates.to_dict())``, boxes written directly."""
    if type(coordinates) is BoundingBoxCoordinates:
        c = coordinates
        return (
            f'{{"x": {c.top_left_x!r}, "y": {c.top_left_y!r}, "w": {c.width!r}, "h": {c.height!r}}}'
        )
    return json.dumps(coordinates.to_dict())


def add_checked(built: Built) -> None:
    """Add an object made by :func:`checked_entry` to its row (refusing a taken hash)."""
    row, entry = built.row, built.entry
    if isinstance(entry, ObjectInstance):
        row.add_object_instance(entry, force=False)
    elif entry.object_hash in row._objects:
        raise LabelError(
            f"object {entry.object_hash} in label row {row.label_hash}: the row already has "
            "an object with this hash"
        )
    else:
        row._adopt(entry)
