"""Domain objects over the store: the client, datasets, storage items, projects."""

from annotask.client.client import Client
from annotask.client.datasets import Dataset
from annotask.client.item_pages import StorageItems
from annotask.client.ontologies import OntologyInfo
from annotask.client.projects import Project, TaskEvent
from annotask.client.storage import ItemUpdateSink, StorageItem

__all__ = [
    "Client",
    "Dataset",
    "ItemUpdateSink",
    "OntologyInfo",
    "Project",
    "StorageItem",
    "StorageItems",
    "TaskEvent",
]
