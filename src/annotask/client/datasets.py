"""Datasets: named collections of storage items."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from annotask.client.probing import ProbePlan, probe_sources
from annotask.client.registration import (
    ItemRef,
    describe_sources,
    new_data_hashes,
    normalise_sources,
)
from annotask.client.storage import StorageItem
from annotask.store import access, catalog
from annotask.store import projects as project_store
from annotask.store import tasks as task_store
from annotask.store.records import DatasetRecord
from annotask.workflow.context import Action, Context, Role

__all__ = ["Dataset"]


class Dataset:
    """A named collection of storage items; projects label the items of their datasets."""

    def __init__(self, ctx: Context, record: DatasetRecord) -> None:
        self._ctx = ctx
        self._record = record

    @property
    def dataset_hash(self) -> str:
        """The dataset's UUID as a string."""
        return self._record.uuid

    @property
    def uuid(self) -> UUID:
        """The dataset's UUID."""
        return UUID(self._record.uuid)

    @property
    def title(self) -> str:
        """The dataset's title."""
        return self._record.title

    @property
    def description(self) -> str:
        """Free text about the dataset."""
        return self._record.description

    @property
    def created_at(self) -> datetime:
        """When the dataset was made."""
        return self._record.created_at

    @property
    def what(self) -> str:
        """How messages name this dataset."""
        return f"dataset {self.title!r} ({self.dataset_hash})"

    def add_items(
        self,
        items: Iterable[ItemRef] | Mapping[ItemRef, Mapping[str, Any]],
        client_metadata: Mapping[str, Any] | None = None,
        *,
        probe: bool = True,
        probe_remote: bool = True,
        storage_options: Mapping[str, Any] | None = None,
    ) -> list[StorageItem]:
        """Register files, folders or lists of images (image sequences) or URIs, all or none.

        ``items`` is a list of paths/URIs (``client_metadata`` applies to each) or a mapping
        of path/URI → that item's metadata; a list (a tuple, as a mapping key) of image
        paths inside it is one image sequence.

        Each item is probed by its content: its data type and MIME type, and in its
        properties width, height, fps, frame_count, duration and, for DICOM, the tags
        (modality, study/series UIDs, rows, columns, number of frames). Headers only: a
        small local image takes about 0.1 ms. Remote URIs (``s3://``, ``http(s)://``, …)
        are streamed, a few at a time, to temporary files named ``{data_hash}.{suffix}``
        that are deleted as soon as each is probed (``storage_options`` go to fsspec).

        ``probe_remote=False`` registers remote URIs by their names instead, without
        fetching them; ``probe=False`` does so for every item. Unprobed items have no
        properties, so their label rows count one frame and know no size (fine for images,
        wrong for videos).

        Refused as a whole, nothing added: missing local paths (ValidationError naming
        each), files that cannot be read as media — corrupt, empty, not media, text under
        a media name, a video without a video stream — (MediaError naming each and why),
        and kinds annotask does not handle. Projects covering this dataset get a task and
        a label row for each new item.
        """
        sources = normalise_sources(items, client_metadata)
        with self._ctx.store.read() as conn:  # refuse before fetching anything
            self._ctx.require(conn, self.dataset_hash, Action.EDIT_ITEMS, self.what)
        data_hashes = new_data_hashes(len(sources))
        plan = ProbePlan(probe, probe_remote, storage_options)
        infos = probe_sources(sources, data_hashes, plan)
        rows = describe_sources(sources, data_hashes, infos, self.dataset_hash)
        with self._ctx.store.write() as conn:
            self._ctx.require(conn, self.dataset_hash, Action.EDIT_ITEMS, self.what)
            catalog.insert_storage_items(conn, rows)
            for project in project_store.projects_of_dataset(conn, self.dataset_hash):
                task_store.insert_tasks(conn, project.uuid, project.start_stage_uuid, data_hashes)
            records = catalog.get_storage_items(conn, data_hashes)
        return [StorageItem(self._ctx, records[h]) for h in data_hashes]

    def list_items(self, name_contains: str | None = None) -> list[StorageItem]:
        """The dataset's storage items in the order they were added."""
        with self._ctx.store.read() as conn:
            self._ctx.require(conn, self.dataset_hash, Action.READ, self.what)
            records = catalog.list_storage_items(
                conn, self.dataset_hash, name_contains=name_contains
            )
        return [StorageItem(self._ctx, r) for r in records]

    storage_items = property(list_items)

    def item_count(self) -> int:
        """How many storage items the dataset holds (counted in the store, nothing loaded)."""
        with self._ctx.store.read() as conn:
            self._ctx.require(conn, self.dataset_hash, Action.READ, self.what)
            return catalog.count_storage_items(conn, [self.dataset_hash]).get(self.dataset_hash, 0)

    def add_member(self, user: str, role: Role | str) -> None:
        """Give a user a role on this dataset (owners and admins)."""
        with self._ctx.store.write() as conn:
            self._ctx.require(conn, self.dataset_hash, Action.ADMIN, self.what)
            access.add_member(conn, self.dataset_hash, "dataset", user, Role(role).value)

    def members(self) -> dict[str, Role]:
        """The dataset's members and their roles."""
        with self._ctx.store.read() as conn:
            self._ctx.require(conn, self.dataset_hash, Action.READ, self.what)
            return {u: Role(r) for u, r in access.list_members(conn, self.dataset_hash).items()}

    def __repr__(self) -> str:
        return f"Dataset(title={self.title!r}, dataset_hash={self.dataset_hash!r})"
