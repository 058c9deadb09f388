"""Datasets: named collections of storage items."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from annotask.client.registration import describe_sources, normalise_sources
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
        items: Iterable[str | Path] | Mapping[str | Path, Mapping[str, Any]],
        client_metadata: Mapping[str, Any] | None = None,
    ) -> list[StorageItem]:
        """Register files, folders (image sequences) or URIs as storage items, all or none.

        ``items`` is a list of paths/URIs (``client_metadata`` applies to each) or a mapping
        of path/URI → that item's metadata. If any local path is missing the whole call is
        refused, naming every bad path. Projects covering this dataset get a task and a label
        row for each new item.
        """
        sources = normalise_sources(items, client_metadata)
        rows = describe_sources(sources, self.dataset_hash)
        with self._ctx.store.write() as conn:
            self._ctx.require(conn, self.dataset_hash, Action.EDIT_ITEMS, self.what)
            catalog.insert_storage_items(conn, rows)
            new_hashes = [row["uuid"] for row in rows]
            for project in project_store.projects_of_dataset(conn, self.dataset_hash):
                task_store.insert_tasks(conn, project.uuid, project.start_stage_uuid, new_hashes)
            records = catalog.get_storage_items(conn, new_hashes)
        return [StorageItem(self._ctx, records[h]) for h in new_hashes]

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
