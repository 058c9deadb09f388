"""Dependencies an agent can ask for with ``Annotated[T, Depends(dep_...)]``.

Each one takes what it needs by type (the storage item, the label row, the client) and the
runner injects it; generator dependencies clean up after the task, also when the agent raises.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar
from uuid import UUID

import numpy as np
from numpy.typing import NDArray

from annotask.client import Client, StorageItem
from annotask.datatypes import DataType
from annotask.labels import LabelRow
from annotask.media import (
    Frame,
    FrameIterator,
    VideoSampler,
    first_frame,
    iter_frames,
    local_asset,
    private_copy,
)
from annotask.tasks.injection import Depends
from annotask.workflow import WorkflowTask

__all__ = [
    "DataLookup",
    "DataRow",
    "Twin",
    "dep_asset",
    "dep_client",
    "dep_data_lookup",
    "dep_single_frame",
    "dep_storage_item",
    "dep_twin_label_row",
    "dep_video_iterator",
    "dep_video_sampler",
]

_FRAME_TYPES = frozenset({DataType.VIDEO, DataType.IMAGE_SEQUENCE, DataType.DICOM})


def dep_client(client: Client | None = None) -> Client:
    """The runner's own client (its store and user), ready to use. Called by hand without
    one (as the seed's tests do), a client of the default store: ``Client()``."""
    return client if client is not None else Client()


def dep_storage_item(storage_item: StorageItem) -> StorageItem:
    """The task's storage item (bulk-loaded with the batch).

    ``storage_item.update(client_metadata=...)`` inside an agent commits with the task's
    outcome. Asking for ``storage_item: StorageItem`` directly does the same.
    """
    return storage_item


def dep_asset(storage_item: StorageItem) -> Generator[Path, None, None]:
    """A local copy of the asset for the length of the task, removed when it ends.

    Every data type has one: images, videos, audio, DICOM, PDF, text — a file named
    ``{data_hash}.{suffix}`` — and image sequences (image groups): a folder ``{data_hash}``
    holding every image of the sequence. It is always a copy (remote assets are downloaded,
    local ones copied), so an agent may change or delete it without touching the original.
    """
    with private_copy(
        storage_item.uri,
        data_hash=storage_item.data_hash,
        mime_type=storage_item.mime_type,
        name=storage_item.name,
    ) as path:
        yield path


def dep_single_frame(storage_item: StorageItem) -> NDArray[np.uint8]:
    """The first frame of the asset as an RGB ``uint8`` array of shape ``[h, w, 3]``."""
    with _local(storage_item) as path:
        return first_frame(path, storage_item.item_type)


def dep_video_iterator(storage_item: StorageItem) -> Generator[Iterator[Frame], None, None]:
    """Every frame of a video, in order, streamed in constant memory.

    Raises NotImplementedError for anything but videos (and image sequences and DICOM,
    which have frames too).
    """
    if storage_item.item_type not in _FRAME_TYPES:
        raise NotImplementedError(
            "`dep_video_iterator` only supported for video label rows (and image sequences "
            f"and DICOM): storage item {storage_item.name!r} is "
            f"{storage_item.item_type.value}; use dep_single_frame for its picture or "
            "dep_asset for its file"
        )
    with _local(storage_item) as path:
        yield from _handed_over(iter_frames(path, storage_item.item_type))


def dep_video_sampler(
    storage_item: StorageItem,
) -> Generator[Callable[[float | Sequence[int]], Iterable[Frame]], None, None]:
    """A sampler over the video: ``sampler(1/5)`` gives frames 0, 5, 10, …;
    ``sampler([1, 2, 3])`` gives those frames. Raises NotImplementedError for non-videos."""
    if storage_item.item_type is not DataType.VIDEO:
        raise NotImplementedError(
            f"`dep_video_sampler` only supported for video label rows: storage item "
            f"{storage_item.name!r} is {storage_item.item_type.value}; use dep_video_iterator "
            "for image sequences and DICOM, dep_single_frame for images"
        )
    with _local(storage_item) as path:
        yield from _handed_over(VideoSampler(path))


_Closable = TypeVar("_Closable", FrameIterator, VideoSampler)


def _handed_over(resource: _Closable) -> Generator[_Closable, None, None]:
    """Yield ``resource`` and close it when the task ends (or the agent raises). A caller
    that drops the dependency's generator unfinished — calling ``next(dep_…(item))`` by hand,
    as the seed's tests do — keeps a working resource, which releases its decoder itself
    when exhausted or collected."""
    try:
        yield resource
    except GeneratorExit:
        raise  # dropped unfinished: the resource is the caller's now
    except BaseException:
        resource.close()
        raise
    resource.close()


def _local(storage_item: StorageItem) -> AbstractContextManager[Path]:
    return local_asset(
        storage_item.uri,
        data_hash=storage_item.data_hash,
        mime_type=storage_item.mime_type,
        name=storage_item.name,
    )


@dataclass(frozen=True)
class Twin:
    """The label row (and optionally the task) of the same data item in a twin project."""

    label_row: LabelRow
    task: WorkflowTask | None = None


def dep_twin_label_row(
    twin_project_hash: str,
    init_labels: bool = True,
    include_task: bool = False,
    *,
    branch_name: str | None = None,
) -> Callable[..., Twin | None]:
    """A dependency giving the twin of the task's label row in another project on the same
    data, or None when that project has no such item.

    The twin is read when each task runs. Raises AuthorizationError when the runner's user
    cannot read the twin project. ``include_task`` also fetches the twin's task. Saving the
    twin's label row writes to the twin project at once, not with the task's outcome.
    ``branch_name`` picks the twin's label branch (default ``main``).
    """

    def twin_label_row(label_row: LabelRow, client: Client | None = None) -> Twin | None:
        project = dep_client(client).get_project(twin_project_hash)
        rows = project.list_label_rows(data_hashes=[label_row.data_hash], branch_name=branch_name)
        if not rows:
            return None
        twin_row = rows[0]
        if init_labels:
            twin_row.initialise_labels()
        task = None
        if include_task:
            tasks = project.list_tasks(data_hash=label_row.data_hash)
            task = tasks[0] if tasks else None
        return Twin(twin_row, task)

    twin_label_row.__qualname__ = f"dep_twin_label_row({twin_project_hash!r})"
    return twin_label_row


class DataLookup:
    """Deprecated: finds storage items by data hash. Use ``dep_storage_item`` instead."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @classmethod
    def sharable(cls, client: Annotated[Client, Depends(dep_client)]) -> DataLookup:
        """A lookup over the runner's client."""
        return cls(client)

    def get_storage_item(self, data_hash: str) -> StorageItem:
        """The storage item with this data hash."""
        return self._client.get_storage_item(data_hash)

    def get_storage_items(self, data_hashes: Sequence[str]) -> list[StorageItem]:
        """Storage items by data hash, fetched together."""
        return self._client.get_storage_items(list(data_hashes))

    def get_data_row(self, data_hash: str | UUID) -> DataRow:
        """The data row of this data hash: the storage item's fields under the seed's
        ``DataRow`` names. Deprecated (warns): ask for the storage item instead."""
        warnings.warn(
            "DataLookup.get_data_row is deprecated: ask for the task's storage item with "
            "Annotated[StorageItem, Depends(dep_storage_item)] instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return DataRow.of(self._client.get_storage_item(str(data_hash)))


@dataclass(frozen=True)
class DataRow:
    """A data item under the seed's ``DataRow`` names (from :meth:`DataLookup.get_data_row`);
    a snapshot of its storage item, read-only."""

    uid: str
    """The data hash."""
    title: str
    data_type: DataType
    created_at: datetime
    file_link: str
    """The item's URI (a local path, ``file://``, ``s3://`` or ``http(s)://``)."""
    file_type: str
    """The MIME type."""
    file_size: int | None
    width: int | None
    height: int | None
    frames_per_second: float | None
    duration: float | None
    client_metadata: dict[str, Any]
    dataset_hash: str
    backing_item_uuid: UUID

    @classmethod
    def of(cls, item: StorageItem) -> DataRow:
        """The data row of a storage item."""
        return cls(
            uid=item.data_hash,
            title=item.name,
            data_type=item.data_type,
            created_at=item.created_at,
            file_link=item.uri,
            file_type=item.mime_type,
            file_size=item.file_size,
            width=item.width,
            height=item.height,
            frames_per_second=item.fps,
            duration=item.duration,
            client_metadata=item.client_metadata,
            dataset_hash=item.dataset_hash,
            backing_item_uuid=item.uuid,
        )

    @property
    def data_hash(self) -> str:
        """annotask's name for :attr:`uid`."""
        return self.uid


def dep_data_lookup(lookup: Annotated[DataLookup, Depends(DataLookup.sharable)]) -> DataLookup:
    """Deprecated: use ``dep_storage_item`` (``storage_item: StorageItem``) instead.

    Decorating an agent that uses it emits a DeprecationWarning pointing at the agent.
    """
    return lookup


DEPRECATED: dict[object, str] = {
    dep_data_lookup: (
        "dep_data_lookup is deprecated: ask for the task's storage item with "
        "Annotated[StorageItem, Depends(dep_storage_item)] instead of "
        "lookup.get_storage_item(task.data_hash)"
    )
}
"""Dependencies that still work but warn when an agent is decorated with them."""
