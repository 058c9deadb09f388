"""Datasets: named collections of storage items."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from annotask.client._resource import MemberResource
from annotask.client.item_pages import StorageItems
from annotask.client.registration import (
    Failures,
    ItemRef,
    ItemSource,
    check_sources,
    describe_sources,
    source_chunks,
    unknown_kinds_error,
)
from annotask.client.storage import StorageItem
from annotask.errors import NotFoundError, ValidationError
from annotask.store import catalog, removal
from annotask.store import projects as project_store
from annotask.store import tasks as task_store
from annotask.store.records import DatasetRecord
from annotask.store.spread_uuids import ascending_uuids
from annotask.workflow.context import Action

if TYPE_CHECKING:
    from annotask.client.probing import ProbePlan

__all__ = ["Dataset", "ProjectUse"]


@dataclass(frozen=True, slots=True)
class ProjectUse:
    """A project over a dataset: new items of the dataset become tasks at its start stage."""

    project_hash: str
    title: str
    start_stage: str


class Dataset(MemberResource[DatasetRecord]):
    """A named collection of storage items; projects label the items of their datasets."""

    _kind = "dataset"

    @property
    def dataset_hash(self) -> str:
        """The dataset's UUID as a string."""
        return self._record.uuid

    def add_items(
        self,
        items: Iterable[ItemRef] | Mapping[ItemRef, Mapping[str, Any]],
        client_metadata: Mapping[str, Any] | None = None,
        *,
        probe: bool = True,
        probe_remote: bool = True,
        storage_options: Mapping[str, Any] | None = None,
    ) -> StorageItems:
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

        Items are probed, described and inserted :data:`~annotask.client.registration.CHUNK`
        at a time inside one write transaction, so memory stays flat however many are
        given; any refusal rolls the whole transaction back. Returns a
        :class:`StorageItems`: a list-like view that holds the new items' UUIDs and reads
        the items from the store a page at a time when indexed or iterated.
        """
        from annotask.client.probing import (  # noqa: PLC0415 - loads the media decoders
            ProbePlan,
        )

        if not isinstance(items, Collection):
            items = list(items)  # read twice: checked first, then registered
        check_sources(items, client_metadata)
        self._check(Action.EDIT_ITEMS)  # refuse before fetching anything
        plan = ProbePlan(probe, probe_remote, storage_options)
        with self._writing(Action.EDIT_ITEMS) as conn:
            uuids = _Registration(conn, self.dataset_hash, plan, len(items)).run(
                source_chunks(items, client_metadata)
            )
        return StorageItems(uuids, self._load_items)

    def _load_items(self, data_hashes: list[str]) -> list[StorageItem]:
        with self._reading() as conn:
            records = catalog.get_storage_items(conn, data_hashes)
        gone = [h for h in data_hashes if h not in records]
        if gone:
            raise NotFoundError(f"storage item(s) {', '.join(gone[:5])} were deleted since")
        return [StorageItem(self._ctx, records[h]) for h in data_hashes]

    def list_items(self, name_contains: str | None = None) -> list[StorageItem]:
        """The dataset's storage items in the order they were added."""
        with self._reading() as conn:
            records = catalog.list_storage_items(
                conn, self.dataset_hash, name_contains=name_contains
            )
        return [StorageItem(self._ctx, r) for r in records]

    storage_items = property(list_items)

    def projects_using(self) -> list[ProjectUse]:
        """Every project over this dataset (whoever's: adding items gives each new tasks),
        with the stage its new tasks start in."""
        with self._reading() as conn:
            projects = project_store.projects_of_dataset(conn, self.dataset_hash)
            uses = []
            for project in projects:
                stages = project_store.get_stages(conn, project.uuid)
                start = next(st.name for st in stages if st.uuid == project.start_stage_uuid)
                uses.append(ProjectUse(project.uuid, project.title, start))
        return uses

    def delete(self) -> dict[str, int]:
        """Delete the dataset and its storage items (owners and admins); the files and
        objects they point at are not touched. Refused (ValidationError, nothing deleted)
        while a project uses the dataset. Returns what went."""
        with self._writing(Action.ADMIN) as conn:
            users = project_store.projects_of_dataset(conn, self.dataset_hash)
            if users:
                names = ", ".join(f"{p.title!r} ({p.uuid})" for p in users)
                raise ValidationError(
                    f"{self.what} is used by project(s) {names}; nothing was deleted. Delete "
                    "those projects first (`annotask project delete`)"
                )
            footprint = removal.dataset_footprint(conn, self.dataset_hash)
            removal.delete_dataset(conn, self.dataset_hash)
        return footprint

    def item_count(self) -> int:
        """How many storage items the dataset holds (counted in the store, nothing loaded)."""
        with self._reading() as conn:
            return catalog.count_storage_items(conn, [self.dataset_hash]).get(self.dataset_hash, 0)

    def __repr__(self) -> str:
        return f"Dataset(title={self.title!r}, dataset_hash={self.dataset_hash!r})"


class _Registration:
    """Registering sources chunk by chunk inside one write transaction.

    Each chunk is probed, described and inserted (with a task and label row per project
    over the dataset); after the first refusal the rest are still checked, so that the one
    error names the failures of the whole lot, but nothing more is inserted — the caller's
    transaction rolls back when :meth:`run` raises.
    """

    def __init__(self, conn: Connection, dataset_uuid: str, plan: ProbePlan, total: int) -> None:
        self._conn = conn
        self._dataset_uuid = dataset_uuid
        self._plan = plan
        self._total = total
        self._projects = project_store.projects_of_dataset(conn, dataset_uuid)
        self._unreadable = Failures()
        self._unknown = Failures()

    def run(self, chunks: Iterator[list[ItemSource]]) -> bytes:
        """Register every chunk; the new items' UUIDs, 16 bytes each, in order."""
        from annotask.client.probing import (  # noqa: PLC0415 - loads the media decoders
            probe_sources,
            unreadable_error,
        )

        uuids = bytearray()
        position = 0
        for sources in chunks:
            # keys ascending in the order given: the key index is swept, not hit at random
            ids = ascending_uuids(position, len(sources), self._total)
            position += len(sources)
            hashes = [str(u) for u in ids]
            infos = probe_sources(sources, hashes, self._plan, self._unreadable)
            rows = describe_sources(sources, hashes, infos, self._dataset_uuid, self._unknown)
            if self._unreadable.count or self._unknown.count:
                continue
            self._insert(rows, hashes)
            for u in ids:
                uuids += u.bytes
        if self._unreadable.count:
            raise unreadable_error(self._unreadable)
        if self._unknown.count:
            raise unknown_kinds_error(self._unknown)
        for project in self._projects:
            task_store.settle_tasks(self._conn, project.start_stage_uuid, len(uuids) // 16)
        return bytes(uuids)

    def _insert(self, rows: list[dict[str, Any]], hashes: list[str]) -> None:
        catalog.insert_storage_items(self._conn, rows)
        for project in self._projects:
            task_store.insert_task_rows(self._conn, project.uuid, project.start_stage_uuid, hashes)
