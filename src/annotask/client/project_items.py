"""The storage items of a project, as its members may see them (dataset membership aside)."""

from __future__ import annotations

from annotask.client.projects import Project
from annotask.client.storage import StorageItem
from annotask.errors import NotFoundError
from annotask.store import catalog
from annotask.store import labels as label_store

__all__ = ["project_item"]


def project_item(project: Project, data_hash: str) -> StorageItem:
    """The storage item of one of the project's data items, by data hash.

    Any member of the project may read it (as agents in the project's stages do); an item
    that is not in the project is :class:`NotFoundError`, whoever may read its dataset.
    """
    with project._reading() as conn:
        rows = label_store.get_label_rows(
            conn, project.project_hash, data_hashes=[data_hash], with_labels=False
        )
        records = catalog.get_storage_items(conn, [data_hash]) if rows else {}
    if data_hash not in records:
        raise NotFoundError(f"{project.what} has no data item {data_hash!r}")
    return StorageItem(project._ctx, records[data_hash])
