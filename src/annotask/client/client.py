"""The client: an open store, acting as one user."""

from __future__ import annotations

import getpass
import logging
import os
import uuid as uuidlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from uuid import UUID

from sqlalchemy import Connection

from annotask.client.datasets import Dataset
from annotask.client.ontologies import OntologyInfo, check_structure
from annotask.client.projects import Project
from annotask.client.short_ids import looks_like_prefix, one_match
from annotask.client.storage import StorageItem
from annotask.errors import NotFoundError, ValidationError
from annotask.limits import check_name, check_text
from annotask.store import Store, access, bulk_tasks, catalog, default_url, open_store
from annotask.store import projects as project_store
from annotask.store import tasks as task_store
from annotask.store.records import PathwayRecord, StageRecord
from annotask.workflow.context import Action, Context, Role
from annotask.workflow.definition import WorkflowSpec, parse_workflow
from annotask.workflow.tasks import WorkflowTask

__all__ = ["USER_ENV", "Client", "project_not_found"]

log = logging.getLogger(__name__)

USER_ENV = "ANNOTASK_USER"

Definition = Mapping[str, Any] | str | Path


def _default_user() -> str:
    return os.environ.get(USER_ENV) or getpass.getuser()


class Client:
    """An open connection to a store, acting as a user.

    ``Client()`` opens ``$ANNOTASK_DATABASE_URL`` or ``./annotask.db`` as the local user
    (``$ANNOTASK_USER`` or the login name), creating and migrating the database if needed.
    """

    def __init__(
        self, url: str | None = None, *, user: str | None = None, upgrade: bool = True
    ) -> None:
        name = check_name(_default_user() if user is None else user, "the user name")
        self.url = url or default_url()
        self._store = open_store(self.url, upgrade=upgrade)
        self.ctx = Context(self._store, name)
        with self._store.write() as conn:
            access.ensure_user(conn, self.ctx.user)

    @property
    def user(self) -> str:
        """The user this client acts as."""
        return self.ctx.user

    @property
    def store(self) -> Store:
        """The open store (for runners and tools built on the client)."""
        return self._store

    def as_user(self, user: str) -> Client:
        """Another client on the same store acting as ``user``."""
        user = check_name(user, "the user name")
        other = object.__new__(Client)
        other.url, other._store, other.ctx = self.url, self._store, Context(self._store, user)
        with self._store.write() as conn:
            access.ensure_user(conn, user)
        return other

    def close(self) -> None:
        """Release the store's connections."""
        self._store.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # datasets -----------------------------------------------------------------------------
    def create_dataset(self, title: str, description: str = "") -> Dataset:
        """Make an empty dataset owned by the client's user; its title must be new."""
        title = check_name(title, "a dataset's title")
        description = check_text(description, "a dataset's description")
        uuid = str(uuidlib.uuid4())
        with self._store.write() as conn:
            taken = catalog.get_datasets(conn, title=title)
            if taken:
                raise ValidationError(
                    f"a dataset titled {title!r} exists already ({taken[0].uuid}); titles name "
                    "datasets in every command, so choose another title (or add to that one)"
                )
            record = catalog.insert_dataset(conn, uuid, title, description, self.user)
            access.add_member(conn, uuid, "dataset", self.user, Role.OWNER.value)
        return Dataset(self.ctx, record)

    def get_dataset(self, dataset: str | UUID) -> Dataset:
        """A dataset by UUID or exact title."""
        with self._store.read() as conn:
            record = self._find_dataset(conn, str(dataset))
            dataset_obj = Dataset(self.ctx, record)
            self.ctx.require(conn, record.uuid, Action.READ, dataset_obj.what)
        return dataset_obj

    def _find_dataset(self, conn: Connection, key: str) -> Any:
        found = catalog.get_datasets(conn, uuids=[key]) or catalog.get_datasets(conn, title=key)
        if not found and looks_like_prefix(key):
            prefix = key.lower()
            uuids = [r.uuid for r in catalog.get_datasets(conn) if r.uuid.startswith(prefix)]
            if uuids:
                found = catalog.get_datasets(conn, uuids=[one_match(key, uuids, "dataset")])
        if not found:
            raise NotFoundError(
                f"no dataset with UUID or title {key!r}; list them with `annotask dataset list` "
                "(Python: Client.list_datasets())"
            )
        if len(found) > 1:
            raise ValidationError(
                f"{len(found)} datasets are titled {key!r}; name one by UUID: "
                + ", ".join(r.uuid for r in found)
            )
        return found[0]

    def list_datasets(self) -> list[Dataset]:
        """Datasets the user is a member of."""
        with self._store.read() as conn:
            mine = access.member_resources(conn, self.user, "dataset")
            records = catalog.get_datasets(conn, uuids=list(mine))
        return [Dataset(self.ctx, r) for r in records]

    def get_storage_item(self, uuid: UUID | str) -> StorageItem:
        """One storage item by UUID (its data hash)."""
        items = self.get_storage_items([uuid])
        return items[0]

    def get_storage_items(self, uuids: Sequence[UUID | str]) -> list[StorageItem]:
        """Storage items by UUID, fetched together, in the order asked."""
        keys = [str(u) for u in uuids]
        with self._store.read() as conn:
            records = catalog.get_storage_items(conn, keys)
            missing = [k for k in keys if k not in records]
            if missing:
                raise NotFoundError(f"no storage item with UUID {', '.join(missing)}")
            for dataset_uuid in {r.dataset_uuid for r in records.values()}:
                self.ctx.require(conn, dataset_uuid, Action.READ, f"dataset {dataset_uuid}")
        return [StorageItem(self.ctx, records[k]) for k in keys]

    # ontologies ---------------------------------------------------------------------------
    def create_ontology(self, title: str, structure: Definition) -> OntologyInfo:
        """Store an ontology from a dict or a YAML/JSON file."""
        title = check_name(title, "an ontology's title")
        checked = check_structure(structure)
        with self._store.write() as conn:
            record = catalog.insert_ontology(conn, str(uuidlib.uuid4()), title, checked, self.user)
        return OntologyInfo.from_record(record)

    def get_ontology(self, ontology_hash: UUID | str) -> OntologyInfo:
        """A stored ontology by hash."""
        with self._store.read() as conn:
            record = catalog.get_ontology(conn, str(ontology_hash))
        if record is None:
            raise NotFoundError(f"no ontology with hash {ontology_hash}")
        return OntologyInfo.from_record(record)

    # projects -----------------------------------------------------------------------------
    def create_project(
        self,
        title: str,
        *,
        datasets: Sequence[Dataset | str | UUID],
        ontology: OntologyInfo | str | UUID | Definition,
        workflow: Definition,
        description: str = "",
    ) -> Project:
        """Make a project over datasets, with an ontology and a workflow definition.

        Everything is checked before anything is written: the title is new, the workflow
        definition, read access to every dataset, the ontology. Each data item gets a task at
        the start stage and an empty label row.
        """
        title = check_name(title, "a project's title")
        description = check_text(description, "a project's description")
        spec = parse_workflow(workflow)
        project_uuid = str(uuidlib.uuid4())
        stage_rows, pathway_rows, start = _workflow_rows(project_uuid, spec)
        with self._store.write() as conn:
            taken = [p for p in project_store.get_projects(conn) if p.title == title]
            if taken:
                raise ValidationError(
                    f"a project titled {title!r} exists already ({taken[0].uuid}); titles name "
                    "projects in every command, so choose another title"
                )
            dataset_uuids = self._readable_datasets(conn, datasets)
            ontology_uuid = self._ontology_uuid(conn, ontology, title)
            record = project_store.insert_project(
                conn,
                uuid=project_uuid,
                title=title,
                description=description,
                ontology_uuid=ontology_uuid,
                created_by=self.user,
                stage_rows=stage_rows,
                pathway_rows=pathway_rows,
                start_stage_uuid=start,
            )
            project_store.link_datasets(conn, project_uuid, dataset_uuids)
            access.add_member(conn, project_uuid, "project", self.user, Role.OWNER.value)
            made = bulk_tasks.insert_tasks_for_datasets(conn, project_uuid, start, dataset_uuids)
        log.info("created project %r with %d tasks", title, made)
        return Project(self.ctx, record)

    def _readable_datasets(
        self, conn: Connection, datasets: Sequence[Dataset | str | UUID]
    ) -> list[str]:
        if not datasets:
            raise ValidationError("a project needs at least one dataset")
        uuids: list[str] = []
        for dataset in datasets:
            key = dataset.dataset_hash if isinstance(dataset, Dataset) else str(dataset)
            record = self._find_dataset(conn, key)
            self.ctx.require(conn, record.uuid, Action.READ, f"dataset {record.title!r}")
            if record.uuid not in uuids:
                uuids.append(record.uuid)
        return uuids

    def _ontology_uuid(
        self, conn: Connection, ontology: OntologyInfo | str | UUID | Definition, title: str
    ) -> str:
        if isinstance(ontology, OntologyInfo):
            return str(ontology.ontology_hash)
        if isinstance(ontology, UUID | str) and catalog.get_ontology(conn, str(ontology)):
            return str(ontology)
        if isinstance(ontology, UUID):
            raise NotFoundError(f"no ontology with hash {ontology}")
        structure = check_structure(ontology)
        record = catalog.insert_ontology(conn, str(uuidlib.uuid4()), title, structure, self.user)
        return record.uuid

    def get_project(self, project_hash: UUID | str) -> Project:
        """A project by hash (UUID) or exact title."""
        key = str(project_hash)
        with self._store.read() as conn:
            found = project_store.get_projects(conn, [key])
            if not found:
                found = [p for p in project_store.get_projects(conn) if p.title == key]
            if not found and looks_like_prefix(key):
                prefix = key.lower()
                every = project_store.get_projects(conn)
                uuids = [p.uuid for p in every if p.uuid.startswith(prefix)]
                if uuids:
                    chosen = one_match(key, uuids, "project")
                    found = [p for p in every if p.uuid == chosen]
            if not found:
                raise project_not_found(key)
            if len(found) > 1:
                raise ValidationError(f"{len(found)} projects are titled {key!r}; name one by hash")
            project = Project(self.ctx, found[0])
            self.ctx.require(conn, found[0].uuid, Action.READ, project.what)
        return project

    def get_task(self, task_uuid: UUID | str) -> WorkflowTask:
        """A task by UUID (or a unique start of one), from whichever project it belongs to
        (the user must be a member)."""
        with self._store.read() as conn:
            project_uuid = task_store.find_task_project(conn, str(task_uuid))
            if project_uuid is None and looks_like_prefix(str(task_uuid)):
                key = str(task_uuid)
                task_uuid = one_match(
                    key, task_store.task_uuids_by_prefix(conn, key.lower()), "task"
                )
                project_uuid = task_store.find_task_project(conn, task_uuid)
        if project_uuid is None:
            raise NotFoundError(f"no task with UUID {task_uuid}")
        return self.get_project(project_uuid).get_task(task_uuid)

    def list_projects(self) -> list[Project]:
        """Projects the user is a member of."""
        with self._store.read() as conn:
            mine = access.member_resources(conn, self.user, "project")
            records = project_store.get_projects(conn, list(mine))
        return [Project(self.ctx, r) for r in records]


def _workflow_rows(
    project_uuid: str, spec: WorkflowSpec
) -> tuple[list[StageRecord], list[PathwayRecord], str]:
    stage_uuids = {s.name: str(uuidlib.uuid4()) for s in spec.stages}
    stages = [
        StageRecord(stage_uuids[s.name], project_uuid, s.name, s.type.value, i)
        for i, s in enumerate(spec.stages)
    ]
    pathways = [
        PathwayRecord(str(uuidlib.uuid4()), stage_uuids[s.name], name, stage_uuids[target], i)
        for s in spec.stages
        for i, (name, target) in enumerate(s.pathways.items())
    ]
    return stages, pathways, stage_uuids[spec.start]


def project_not_found(key: str) -> NotFoundError:
    """The error for a project nobody (or not the caller) can see by ``key``: the same words
    whether it is missing or hidden, so that its existence does not leak."""
    return NotFoundError(
        f"no project with hash or title {key!r}; list them with "
        "`annotask project list` (Python: Client.list_projects())"
    )
