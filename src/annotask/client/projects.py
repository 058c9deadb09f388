"""Projects: datasets + an ontology + a workflow, with one task and label row per data item."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from uuid import UUID

from annotask.client._resource import MemberResource
from annotask.client.datasets import Dataset
from annotask.client.label_rows import (
    MAIN_BRANCH,
    StoreLabelBackend,
    check_branch_name,
    label_row_from_record,
)
from annotask.client.ontologies import OntologyInfo
from annotask.client.short_ids import looks_like_prefix, one_match
from annotask.errors import NotFoundError, ValidationError
from annotask.labels import LabelRow, LabelSaveRequest, Ontology
from annotask.labels.bundle import Bundle
from annotask.labels.encoded import EncodedDocument
from annotask.store import catalog, removal
from annotask.store import labels as label_store
from annotask.store import projects as project_store
from annotask.store import tasks as task_store
from annotask.store.records import LabelRowRecord, ProjectRecord
from annotask.workflow.context import Action
from annotask.workflow.stages import Workflow, WorkflowStage
from annotask.workflow.tasks import WorkflowTask

__all__ = ["Project", "TaskEvent"]


@dataclass(frozen=True, slots=True)
class TaskEvent:
    """One recorded action on a task: who moved it where, along which pathway, when."""

    task_uuid: UUID
    action: str
    from_stage: str | None
    to_stage: str | None
    pathway: str | None
    actor: str
    at: datetime
    detail: str | None = None
    """More about the action: for ``on_failure`` moves, the error that caused them."""
    event_id: int = 0
    """Increasing id of the record, for :meth:`Project.events` ``after=``."""
    agent: str | None = None
    """The agent function that decided a runner's move."""
    agent_version: str | None = None
    """The version that agent declared (``@runner.stage(..., version=...)``) or its source hash."""


class Project(MemberResource[ProjectRecord]):
    """A labeling project the client's user is a member of."""

    _kind = "project"

    @property
    def project_hash(self) -> str:
        """The project's UUID as a string."""
        return self._record.uuid

    @property
    def ontology_hash(self) -> str:
        """The ontology the project labels with."""
        return self._record.ontology_uuid

    @cached_property
    def workflow(self) -> Workflow:
        """The project's workflow: stages, pathways, tasks."""
        with self._reading() as conn:
            stage_records = project_store.get_stages(conn, self.project_hash)
            pathway_records = project_store.get_pathways(conn, self.project_hash)
        return Workflow(self._ctx, self.uuid, self.title, stage_records, pathway_records)

    @property
    def start_stage(self) -> WorkflowStage:
        """The stage new tasks start in."""
        return self.workflow.stage_by_uuid(self._record.start_stage_uuid)

    @cached_property
    def ontology_info(self) -> OntologyInfo:
        """The stored ontology (hash, title, structure)."""
        with self._reading() as conn:
            record = catalog.get_ontology(conn, self.ontology_hash)
        if record is None:
            raise NotFoundError(f"ontology {self.ontology_hash} of {self.what} is missing")
        return OntologyInfo.from_record(record)

    @cached_property
    def ontology(self) -> Ontology:
        """The project's ontology: object classes and classifications with feature hashes."""
        return self.ontology_info.ontology

    @property
    def ontology_structure(self) -> Ontology:
        """The seed's name for :attr:`ontology` (the same object)."""
        return self.ontology

    def list_label_rows(
        self,
        data_hashes: Sequence[UUID | str] | None = None,
        label_hashes: Sequence[UUID | str] | None = None,
        data_title_contains: str | None = None,
        branch_name: str | None = None,
        *,
        data_title_eq: str | None = None,
        data_title_like: str | None = None,
    ) -> list[LabelRow]:
        """Label rows of the project (all, or by data/label hash), loaded in one query.

        The seed's title filters narrow them further: ``data_title_eq`` (the exact title),
        ``data_title_like`` (an SQL ``LIKE`` pattern: ``%`` any run of characters, ``_``
        one; SQLite ignores ASCII case, PostgreSQL does not) and ``data_title_contains``.

        Each row's labels document comes with it: ``initialise_labels()`` reads no more.
        ``branch_name`` picks the label branch (default ``main``, where every data item has
        a row); a data item's first listing on another branch gives it an empty row there
        (version 0), saved and versioned on its own. Label hashes name rows on any branch.
        """
        branch = check_branch_name(branch_name, self.what)
        data = None if data_hashes is None else [str(h) for h in data_hashes]
        if branch != MAIN_BRANCH and label_hashes is None:
            self._make_branch_rows(branch, data)
        with self._reading() as conn:
            records = label_store.get_label_rows(
                conn,
                self.project_hash,
                data_hashes=data,
                label_hashes=None if label_hashes is None else [str(h) for h in label_hashes],
                data_titles=None if data_title_eq is None else [data_title_eq],
                branch_name=branch,
                title_like=data_title_like,
            )
        if data_title_eq is not None:
            records = [r for r in records if r.item.name == data_title_eq]
        if data_title_contains:
            records = [r for r in records if data_title_contains in r.item.name]
        return self._rows_of(records)

    def _make_branch_rows(self, branch: str, data_hashes: Sequence[str] | None) -> None:
        """Give the data items (all, or those named) a row on ``branch`` where they lack one."""
        with self._ctx.store.write() as conn:
            self._ctx.require(conn, self.project_hash, Action.READ, self.what)
            label_store.ensure_branch_rows(conn, self.project_hash, branch, data_hashes)

    list_label_rows_v2 = list_label_rows

    def get_label_row(self, data: UUID | str, branch_name: str | None = None) -> LabelRow:
        """The label row of one data item, by data hash or by exact data title (file name),
        on ``branch_name`` (default ``main``; see :meth:`list_label_rows`)."""
        key = str(data)
        branch = check_branch_name(branch_name, self.what)
        rows = self.list_label_rows(data_hashes=[key], branch_name=branch)
        if not rows:
            with self._ctx.store.read() as conn:
                records = label_store.get_label_rows(conn, self.project_hash, data_titles=[key])
            if len(records) > 1:
                hashes = ", ".join(r.data_hash for r in records)
                raise ValidationError(
                    f"{self.what} has {len(records)} data items titled {key!r}; "
                    f"name one by its data hash: {hashes}"
                )
            if records and branch != MAIN_BRANCH:
                rows = self.list_label_rows(data_hashes=[records[0].data_hash], branch_name=branch)
            else:
                rows = self._rows_of(records)
        if not rows:
            raise NotFoundError(self._no_data_item(key))
        return rows[0]

    def _no_data_item(self, key: str) -> str:
        with self._ctx.store.read() as conn:
            records = label_store.get_label_rows(conn, self.project_hash, with_labels=False)
        if not records:
            return f"{self.what} has no data item {key!r}: it has no data items at all"
        titles = ", ".join(repr(r.item.name) for r in records[:5])
        more = f" and {len(records) - 5} more" if len(records) > 5 else ""
        return (
            f"{self.what} has no data item with hash or title {key!r}; name one by its data "
            f"hash or exact title, e.g. {titles}{more}"
        )

    def save_label_rows(self, rows: Sequence[LabelRow]) -> dict[str, int]:
        """Save many label rows of this project in one transaction; label hash -> new version.

        Each row is stored as a new version (with its priority, if set), all or none: if any
        row is stale (saved by someone else since it was loaded), :class:`ConflictError` names
        it and nothing is written. The rows must be initialised rows of this project.
        """
        twice = [h for h, n in Counter(row.label_hash for row in rows).items() if n > 1]
        if twice:
            raise ValidationError(
                f"label row(s) {', '.join(twice)} given twice to save_label_rows; pass each once"
            )
        versions = self.label_backend().save_many(row.save_request() for row in rows)
        for row in rows:
            row.mark_saved(versions[row.label_hash])
        return versions

    def copy_labels_to_branch(
        self,
        target_branch: str,
        source_branch: str = MAIN_BRANCH,
        *,
        data_hashes: Sequence[UUID | str] | None = None,
        overwrite: bool = False,
    ) -> dict[str, int]:
        """Copy the labels of ``source_branch`` onto ``target_branch`` (made where missing):
        each saved source row becomes the next version of its item's row there, in one
        transaction, all or none; return target label hash -> new version.

        Rows on the target already saved are left as they are unless ``overwrite``; source
        rows never saved have nothing to copy. ``data_hashes`` limits it to those items.
        """
        target = check_branch_name(target_branch, self.what)
        source = check_branch_name(source_branch, self.what)
        if target == source:
            raise ValidationError(
                f"copy_labels_to_branch: source and target are both {target!r}; name two branches"
            )
        sources = {
            r.data_hash: r
            for r in self.list_label_rows(data_hashes=data_hashes, branch_name=source)
            if r.version > 0
        }
        requests = []
        for row in self.list_label_rows(data_hashes=data_hashes, branch_name=target):
            src = sources.get(row.data_hash)
            if src is not None and (overwrite or row.version == 0):
                src.initialise_labels()
                text = EncodedDocument(src.to_json())
                requests.append(LabelSaveRequest(row.label_hash, text, row.version, None, False))
        return self.label_backend().save_many(requests)

    def create_bundle(self) -> Bundle:
        """A bundle: label-row loads and saves (and agent-task moves) given
        ``bundle=`` inside its ``with`` block are done together when it ends — one query to
        load, one transaction to save."""
        return Bundle()

    def label_backend(self) -> StoreLabelBackend:
        """The backend this project's label rows save through."""
        return StoreLabelBackend(self._ctx, self.project_hash, self.what, self._stage_names)

    def revert_label_row(
        self, data: UUID | str, version: int, branch_name: str | None = None
    ) -> int:
        """Save an earlier version's labels as the newest version; return its number.

        ``data`` is a data hash or data title. Nothing is deleted: the versions after
        ``version`` stay in the history, and the revert is a version of its own. The row is
        the one on ``branch_name`` (default ``main``); each branch has its own versions.
        Owners and admins of the project may revert (it replaces whatever the row holds,
        whoever saved it); other roles change labels through their stage's work.
        """
        row = self.get_label_row(data, branch_name)
        with self._ctx.store.read() as conn:
            self._ctx.require(conn, self.project_hash, Action.ADMIN, self.what)
            old = label_store.get_version(conn, row.label_hash, version)
        if old is None:
            known = [v.version for v in row.history()]
            have = f"its versions are {known[0]}..{known[-1]}" if known else "it was never saved"
            raise NotFoundError(
                f"label row of {row.data_title!r} in {self.what} has no version {version}; {have}"
            )
        return self.label_backend().save(row.label_hash, old.labels, row.version, None, False)

    def _rows_of(self, records: Sequence[LabelRowRecord]) -> list[LabelRow]:
        backend = self.label_backend()
        names, types = self._stage_names, self._stage_types
        return [label_row_from_record(r, self.ontology, backend, names, types) for r in records]

    @cached_property
    def _stage_names(self) -> dict[str, str]:
        return {str(s.uuid): s.name for s in self.workflow.stages}

    @cached_property
    def _stage_types(self) -> dict[str, str]:
        return {str(s.uuid): str(s.stage_type) for s in self.workflow.stages}

    @property
    def datasets(self) -> list[Dataset]:
        """The datasets the project covers."""
        with self._reading() as conn:
            uuids = project_store.project_dataset_uuids(conn, self.project_hash)
            records = catalog.get_datasets(conn, uuids=uuids)
        return [Dataset(self._ctx, r) for r in records]

    def task_counts(self) -> dict[str, dict[str, int]]:
        """Tasks per stage name and status, every stage listed."""
        with self._reading() as conn:
            counts = task_store.count_by_stage(conn, self.project_hash)
        return {s.name: counts.get(str(s.uuid), {}) for s in self.workflow.stages}

    def list_tasks(
        self,
        *,
        stage: str | None = None,
        status: Sequence[str] | None = None,
        failed: bool | None = None,
        task_uuids: Sequence[str] | None = None,
        data_hash: UUID | str | None = None,
    ) -> list[WorkflowTask]:
        """Tasks across stages (or of one stage, by name or UUID), highest priority first."""
        stage_uuid = None if stage is None else str(self.workflow.find_stage(stage).uuid)
        flt = task_store.TaskFilter(
            stage_uuid=stage_uuid,
            status=status,
            failed=failed,
            uuids=task_uuids,
            data_hash=None if data_hash is None else str(data_hash),
        )
        with self._reading() as conn:
            records = task_store.list_tasks(conn, self.project_hash, flt)
        return [self.workflow.task_from_record(r) for r in records]

    def get_task(self, task_uuid: UUID | str) -> WorkflowTask:
        """One task by UUID, or by a unique start of its UUID (at least 4 characters)."""
        return self.get_tasks([task_uuid])[0]

    def get_tasks(self, task_uuids: Sequence[UUID | str]) -> list[WorkflowTask]:
        """Tasks by UUID or unique UUID prefix, in the order given; a NotFoundError names
        the first that is not a task of this project."""
        keys = [str(t) for t in task_uuids]
        found = {str(t.uuid): t for t in self.list_tasks(task_uuids=keys)}
        missing = [k for k in keys if k not in found]
        if missing:
            full = self._expand_prefixes(missing)
            found.update((str(t.uuid), t) for t in self.list_tasks(task_uuids=list(full.values())))
            found.update({k: found[v] for k, v in full.items()})
        return [found[k] for k in keys]

    def _expand_prefixes(self, keys: Sequence[str]) -> dict[str, str]:
        where = f"in {self.what}"
        expanded: dict[str, str] = {}
        with self._reading() as conn:
            for key in keys:
                if not looks_like_prefix(key):
                    raise NotFoundError(f"{self.what} has no task {key}")
                matches = task_store.task_uuids_by_prefix(conn, key.lower(), self.project_hash)
                expanded[key] = one_match(key, matches, "task", where)
        return expanded

    def retry_failed(self, task_uuids: Sequence[str] | None = None) -> int:
        """Clear failure records so runners pick the tasks up again; returns how many.

        Named tasks must be tasks of this project (UUIDs or unique prefixes): an unknown one
        is a NotFoundError and nothing is cleared.
        """
        uuids = None if task_uuids is None else [str(t.uuid) for t in self.get_tasks(task_uuids)]
        with self._writing(Action.AGENT) as conn:
            return task_store.clear_failures(conn, self.project_hash, uuids)

    def events(
        self,
        task_uuid: UUID | str | None = None,
        *,
        after: int | None = None,
        agent: str | None = None,
        agent_version: str | None = None,
    ) -> list[TaskEvent]:
        """Recorded task events, oldest first; with ``after``, only those recorded after the
        event whose ``event_id`` it is (to follow a project); ``agent`` and ``agent_version``
        keep those an agent (by function name), or one version of it, decided."""
        with self._reading() as conn:
            records = task_store.list_events(
                conn,
                self.project_hash,
                None if task_uuid is None else str(task_uuid),
                after,
                agent_name=agent,
                agent_version=agent_version,
            )
        names = {str(s.uuid): s.name for s in self.workflow.stages}
        return [
            TaskEvent(
                UUID(r.task_uuid),
                r.action,
                names.get(r.from_stage_uuid or ""),
                names.get(r.to_stage_uuid or ""),
                r.pathway_name,
                r.actor,
                r.at,
                r.detail,
                r.id,
                r.agent_name,
                r.agent_version,
            )
            for r in records
        ]

    def deletion_footprint(self) -> dict[str, int]:
        """What :meth:`delete` would remove: counts of tasks, events, labelled rows and
        saved label versions."""
        with self._reading() as conn:
            return removal.project_footprint(conn, self.project_hash)

    def delete(self, *, drop_labels: bool = False) -> dict[str, int]:
        """Delete the project (owners and admins): its workflow, tasks, events, label rows
        and their versions; datasets, items and the ontology stay. Returns what went.

        A project with saved labels is refused (ValidationError, nothing deleted) unless
        ``drop_labels``: export them first.
        """
        with self._writing(Action.ADMIN) as conn:
            footprint = removal.project_footprint(conn, self.project_hash)
            labelled = footprint["labelled rows"]
            if labelled and not drop_labels:
                raise ValidationError(
                    f"{self.what} has saved labels on {labelled} data item(s) "
                    f"({footprint['label versions']} version(s)); nothing was deleted. Export "
                    "them first (`annotask export`), then delete with --drop-labels "
                    "(Python: drop_labels=True)"
                )
            removal.delete_project(conn, self.project_hash)
        return footprint

    def __repr__(self) -> str:
        return f"Project(title={self.title!r}, project_hash={self.project_hash!r})"
