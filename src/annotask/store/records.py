"""Typed rows the store hands to the layers above it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

__all__ = [
    "DatasetRecord",
    "EventRecord",
    "LabelRowRecord",
    "LabelVersionRecord",
    "OntologyRecord",
    "PathwayRecord",
    "ProjectRecord",
    "StageRecord",
    "StorageItemRecord",
    "TaskRecord",
]


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    uuid: str
    title: str
    description: str
    created_by: str
    created_at: datetime


class StorageItemRecord(NamedTuple):
    uuid: str
    dataset_uuid: str
    name: str
    uri: str
    data_type: str
    mime_type: str
    file_size: int | None
    properties: dict[str, Any]
    client_metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OntologyRecord:
    uuid: str
    title: str
    structure: dict[str, Any]
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProjectRecord:
    uuid: str
    title: str
    description: str
    ontology_uuid: str
    start_stage_uuid: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StageRecord:
    uuid: str
    project_uuid: str
    name: str
    stage_type: str
    position: int


@dataclass(frozen=True, slots=True)
class PathwayRecord:
    uuid: str
    stage_uuid: str
    name: str
    destination_uuid: str
    position: int


class TaskRecord(NamedTuple):
    """A task as the store has it. A named tuple, not a frozen dataclass: runners build
    one per claimed task, and a named tuple is made from a row in a tenth of the time
    (0.4 against 3.3 microseconds for these 18 fields)."""

    uuid: str
    project_uuid: str
    stage_uuid: str
    data_hash: str
    label_hash: str
    data_title: str
    status: str
    assignee: str | None
    priority: float
    lease_owner: str | None
    lease_token: int
    lease_expires_at: float | None
    attempts: int
    last_error: str | None
    retry_after: float | None
    created_at: datetime
    updated_at: datetime
    last_actioned_by: str | None


class LabelRowRecord(NamedTuple):
    """A label row with what the store knows of its data item and task."""

    label_hash: str
    project_uuid: str
    data_hash: str
    version: int
    labels_json: str | None
    """The labels document as JSON text (None: never saved, or not read)."""
    priority: float
    stage_uuid: str
    item: StorageItemRecord
    branch_name: str = "main"


@dataclass(frozen=True, slots=True)
class LabelVersionRecord:
    label_hash: str
    version: int
    labels: dict[str, Any]
    saved_by: str
    saved_at: datetime
    workflow_stage: str | None


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    task_uuid: str
    project_uuid: str
    action: str
    from_stage_uuid: str | None
    to_stage_uuid: str | None
    pathway_uuid: str | None
    pathway_name: str | None
    actor: str
    at: datetime
    detail: str | None
    agent_name: str | None = None
    agent_version: str | None = None
