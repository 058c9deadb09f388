"""Datasets: named collections of storage items."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from annotask.client._resource import MemberResource
from annotask.client.registration import (
    ItemRef,
    describe_sources,
    new_data_hashes,
    normalise_sources,
)
from annotask.client.storage import StorageItem
from annotask.errors import ValidationError
from annotask.store import catalog, removal
from annotask.store import projects as project_store
from annotask.store import tasks as task_store
from annotask.store.records import DatasetRecord
from annotask.workflow.context import Action

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
        from annotask.client.probing import (  # noqa: PLC0415 - loads the media decoders
            ProbePlan,
            probe_sources,
        )

        sources = normalise_sources(items, client_metadata)
        self._check(Action.EDIT_ITEMS)  # refuse before fetching anything
        data_hashes = new_data_hashes(len(sources))
        plan = ProbePlan(probe, probe_remote, storage_options)
        infos = probe_sources(sources, data_hashes, plan)
        rows = describe_sources(sources, data_hashes, infos, self.dataset_hash)
        with self._writing(Action.EDIT_ITEMS) as conn:
            catalog.insert_storage_items(conn, rows)
            for project in project_store.projects_of_dataset(conn, self.dataset_hash):
                task_store.insert_tasks(conn, project.uuid, project.start_stage_uuid, data_hashes)
            records = catalog.get_storage_items(conn, data_hashes)
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
