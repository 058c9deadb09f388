"""One frame of a label row: what is on it, and adding instances there."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from annotask.labels.classification_instance import ClassificationInstance
from annotask.labels.coordinates import Coordinates
from annotask.labels.object_instance import ObjectInstance
from annotask.labels.ontology_model import Classification, ObjectClass

if TYPE_CHECKING:
    from annotask.labels.label_row import LabelRow

__all__ = ["FrameView"]


class FrameView:
    """A frame of a label row (the seed's ``LabelRowV2.FrameView``), from
    :meth:`LabelRow.get_frame_view`. It holds no labels of its own: every call reads or
    changes the row."""

    __slots__ = ("_frame", "_row")

    def __init__(self, row: LabelRow, frame: int) -> None:
        self._row = row
        self._frame = frame

    @property
    def frame(self) -> int:
        """The frame number (0-based)."""
        return self._frame

    @property
    def width(self) -> int | None:
        """The data item's width in pixels, if known."""
        return self._row.width

    @property
    def height(self) -> int | None:
        """The data item's height in pixels, if known."""
        return self._row.height

    @property
    def data_title(self) -> str:
        """The data item's title."""
        return self._row.data_title

    image_title = data_title

    def get_object_instances(
        self, filter_ontology_object: ObjectClass | str | None = None
    ) -> list[ObjectInstance]:
        """The object instances on this frame (optionally of one class)."""
        return self._row.get_object_instances(filter_ontology_object, filter_frames=self._frame)

    def get_classification_instances(
        self, filter_ontology_classification: Classification | str | None = None
    ) -> list[ClassificationInstance]:
        """The classification instances on this frame (optionally of one classification)."""
        return self._row.get_classification_instances(
            filter_ontology_classification, filter_frames=self._frame
        )

    def add_object_instance(
        self,
        object_instance: ObjectInstance,
        coordinates: Coordinates,
        *,
        overwrite: bool = False,
        confidence: float = 1.0,
        manual_annotation: bool = True,
        created_by: str | None = None,
        created_at: datetime | None = None,
    ) -> None:
        """Place ``object_instance`` at ``coordinates`` on this frame and add it to the row
        (if it is not in it yet); ``overwrite`` as in :meth:`ObjectInstance.set_for_frames`."""
        self._row._check_instance_row(object_instance)
        object_instance.set_for_frames(
            coordinates,
            self._frame,
            overwrite=overwrite,
            confidence=confidence,
            manual_annotation=manual_annotation,
            created_by=created_by,
            created_at=created_at,
        )
        if not object_instance.is_assigned_to_label_row():
            self._row.add_object_instance(object_instance)

    def add_classification_instance(
        self,
        classification_instance: ClassificationInstance,
        *,
        overwrite: bool = False,
        confidence: float = 1.0,
        manual_annotation: bool = True,
        created_by: str | None = None,
        created_at: datetime | None = None,
    ) -> None:
        """Put ``classification_instance`` on this frame and add it to the row (if it is
        not in it yet); ``overwrite`` as in :meth:`ClassificationInstance.set_for_frames`."""
        self._row._check_instance_row(classification_instance)
        classification_instance.set_for_frames(
            self._frame,
            overwrite=overwrite,
            confidence=confidence,
            manual_annotation=manual_annotation,
            created_by=created_by,
            created_at=created_at,
        )
        if not classification_instance.is_assigned_to_label_row():
            self._row.add_classification_instance(classification_instance)

    def __repr__(self) -> str:
        return f"FrameView({self._row.data_title!r}, frame={self._frame})"
