"""Storage items: one asset each, with probed properties and the user's client metadata."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from annotask.datatypes import DataType
from annotask.limits import check_item_name, check_metadata
from annotask.store import catalog
from annotask.store.records import StorageItemRecord
from annotask.workflow.context import Action, Context

__all__ = ["ItemUpdateSink", "StorageItem"]


class ItemUpdateSink(Protocol):
    """Where storage-item changes go instead of the store (a runner's batch committer)."""

    def record_item_update(self, item_uuid: str, changes: Mapping[str, Any]) -> None:
        """Remember a change to commit with the task's outcome."""


class StorageItem:
    """One asset: where it is, what it is, and the metadata users route on."""

    def __init__(
        self, ctx: Context, record: StorageItemRecord, sink: ItemUpdateSink | None = None
    ) -> None:
        self._ctx = ctx
        self._record = record
        self._sink = sink
        self._name = record.name
        self._client_metadata = dict(record.client_metadata)

    @property
    def uuid(self) -> UUID:
        """The item's UUID, which is also the data hash of its tasks and label rows."""
        return UUID(self._record.uuid)

    @property
    def data_hash(self) -> str:
        """The item's UUID as a string."""
        return self._record.uuid

    @property
    def dataset_hash(self) -> str:
        """The dataset the item belongs to."""
        return self._record.dataset_uuid

    @property
    def name(self) -> str:
        """The item's display name (its file name unless renamed)."""
        return self._name

    @property
    def uri(self) -> str:
        """Where the asset lives: an absolute local path or a remote URI."""
        return self._record.uri

    @property
    def item_type(self) -> DataType:
        """What kind of asset this is."""
        return DataType(self._record.data_type)

    data_type = item_type

    @property
    def mime_type(self) -> str:
        """The asset's MIME type."""
        return self._record.mime_type

    @property
    def file_size(self) -> int | None:
        """Size in bytes, when known."""
        return self._record.file_size

    @property
    def properties(self) -> dict[str, Any]:
        """Probed properties: width, height, fps, frame_count, duration, dicom (tags), and
        files (an image sequence registered as a list); empty when registered unprobed."""
        return dict(self._record.properties)

    @property
    def width(self) -> int | None:
        """Width in pixels, when probed."""
        return self._record.properties.get("width")

    @property
    def height(self) -> int | None:
        """Height in pixels, when probed."""
        return self._record.properties.get("height")

    @property
    def fps(self) -> float | None:
        """Frames per second of a video, when probed."""
        return self._record.properties.get("fps")

    @property
    def frame_count(self) -> int | None:
        """Number of frames of a video or sequence, when probed."""
        return self._record.properties.get("frame_count")

    @property
    def duration(self) -> float | None:
        """Duration in seconds of a video or audio, when probed."""
        return self._record.properties.get("duration")

    @property
    def dicom(self) -> dict[str, Any]:
        """DICOM tags users route on (empty for other types)."""
        return dict(self._record.properties.get("dicom") or {})

    @property
    def client_metadata(self) -> dict[str, Any]:
        """The user's own JSON metadata (a copy: change it with :meth:`update`)."""
        return dict(self._client_metadata)

    @property
    def created_at(self) -> datetime:
        """When the item was registered."""
        return self._record.created_at

    def update(
        self, name: str | None = None, client_metadata: Mapping[str, Any] | None = None
    ) -> None:
        """Rename the item and/or replace its client metadata.

        Inside a runner the change is committed together with the task's outcome.
        """
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = check_item_name(name, "a storage item's name")
        if client_metadata is not None:
            changes["client_metadata"] = check_metadata(client_metadata)
        if not changes:
            return
        if self._sink is not None:
            self._sink.record_item_update(self.data_hash, changes)
        else:
            with self._ctx.store.write() as conn:
                self._ctx.require(conn, self.dataset_hash, Action.EDIT_ITEMS, self._what)
                catalog.update_storage_items(conn, {self.data_hash: changes})
        self._name = changes.get("name", self._name)
        self._client_metadata = changes.get("client_metadata", self._client_metadata)

    @property
    def _what(self) -> str:
        return f"the dataset of storage item {self.name!r}"

    def __repr__(self) -> str:
        return f"StorageItem(name={self.name!r}, uuid={self.data_hash!r}, type={self.item_type})"
