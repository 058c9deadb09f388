"""The labels of one data item in one project: :class:`LabelRow`."""

from __future__ import annotations

import copy
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from typing import Any, NamedTuple, Protocol, runtime_checkable
from uuid import UUID

from annotask.datatypes import DataType
from annotask.errors import LabelError, ValidationError
from annotask.labels._frames import Frames, normalise_frames
from annotask.labels._instance_common import check_in_range
from annotask.labels._numbers import as_real
from annotask.labels.backend import (
    LabelRowBackend,
    LabelRowMeta,
    LabelSaveRequest,
    LabelVersion,
)
from annotask.labels.bundle import Bundle
from annotask.labels.classification_instance import ClassificationInstance
from annotask.labels.document import (
    ParsedLabels,
    PendingObject,
    build_object,
    document_text,
    encode_document,
    parse_document,
    parse_text,
)
from annotask.labels.encoded import EncodedDocument
from annotask.labels.frame_view import FrameView
from annotask.labels.object_instance import ObjectInstance
from annotask.labels.ontology import Ontology
from annotask.labels.ontology_model import Classification, ObjectClass
from annotask.labels.row_status import LabelStatus, WorkflowGraphNode, label_status_of
from annotask.limits import shown

__all__ = ["LabelRow"]

_INIT_OPTIONS = (
    "overwrite",
    "bundle",
    "include_signed_url",
    "include_object_feature_hashes",
    "include_classification_feature_hashes",
    "include_reviews",
)


class LabelRow:
    """Object and classification instances of one data item, loaded and saved by version.

    Build one over the store's :class:`LabelRowMeta`, call :meth:`initialise_labels`, change
    instances, then :meth:`save`. A save based on a stale version raises
    :class:`~annotask.errors.ConflictError` and changes nothing; reload with
    ``initialise_labels(overwrite=True)`` and apply the change again.
    """

    def __init__(
        self,
        meta: LabelRowMeta,
        ontology: Ontology,
        backend: LabelRowBackend | None = None,
    ) -> None:
        self._meta = meta
        self._prefetched = meta.document
        """The document prefetched with the row, until the first load uses it."""
        self._ontology = ontology
        self._backend = backend
        self._version = meta.version
        self._priority = meta.priority
        self._priority_changed = False
        self._dirty = False
        self._initialised = False
        self._objects: dict[str, ObjectInstance | PendingObject] = {}
        """Objects by hash; those of a stored document are built when first read."""
        self._classifications: dict[str, ClassificationInstance] = {}
        self._skipped_objects: list[dict[str, Any]] = []
        self._skipped_classifications: list[dict[str, Any]] = []

    # -- what the store knows ------------------------------------------------------------

    @property
    def label_hash(self) -> str:
        """This row's id."""
        return self._meta.label_hash

    @property
    def data_hash(self) -> str:
        """The id of the labelled data item."""
        return self._meta.data_hash

    @property
    def data_title(self) -> str:
        """The data item's title (usually its file name)."""
        return self._meta.data_title

    @property
    def backing_item_uuid(self) -> UUID:
        """The UUID of the storage item labelled (``storage_item.uuid``)."""
        return UUID(self._meta.data_hash)

    @property
    def branch_name(self) -> str:
        """The label branch this row is on (``main`` unless loaded from another)."""
        return self._meta.branch_name

    @property
    def data_type(self) -> DataType:
        """What the data item is."""
        return self._meta.data_type

    @property
    def width(self) -> int | None:
        """Width in pixels, if known."""
        return self._meta.width

    @property
    def height(self) -> int | None:
        """Height in pixels, if known."""
        return self._meta.height

    @property
    def number_of_frames(self) -> int:
        """Frames of the data item (1 for an image)."""
        return self._meta.number_of_frames

    @property
    def fps(self) -> float | None:
        """Frames per second of a video, else None."""
        return self._meta.fps

    @property
    def priority(self) -> float | None:
        """The task priority, 0..1, as last set or loaded."""
        return self._priority

    @property
    def client_metadata(self) -> dict[str, Any]:
        """The data item's client metadata (a copy)."""
        return dict(self._meta.client_metadata)

    @property
    def workflow_stage(self) -> str | None:
        """The stage the row's task is in, if any."""
        return self._meta.workflow_stage

    @property
    def workflow_graph_node(self) -> WorkflowGraphNode | None:
        """The stage the row's task is in (``uuid``, ``title``), or None if not known."""
        uuid, title = self._meta.workflow_stage_uuid, self._meta.workflow_stage
        return None if uuid is None or title is None else WorkflowGraphNode(uuid, title)

    @property
    def label_status(self) -> LabelStatus:
        """How far labelling has got, from the row's stage and saved version (see
        :class:`~annotask.labels.LabelStatus`)."""
        return label_status_of(self._meta.workflow_stage_type, self._version)

    @property
    def version(self) -> int:
        """The saved version the labels are based on (0: never saved)."""
        return self._version

    @property
    def ontology(self) -> Ontology:
        """The project's ontology."""
        return self._ontology

    @property
    def ontology_structure(self) -> Ontology:
        """The seed's name for :attr:`ontology` (the same object)."""
        return self._ontology

    @property
    def is_labelling_initialised(self) -> bool:
        """Whether :meth:`initialise_labels` has run."""
        return self._initialised

    @property
    def has_unsaved_changes(self) -> bool:
        """Whether the labels changed since they were loaded or saved (priority aside)."""
        return self._dirty

    @property
    def priority_changed(self) -> bool:
        """Whether :meth:`set_priority` was called since the row was loaded or saved."""
        return self._priority_changed

    def __repr__(self) -> str:
        return (
            f"LabelRow({self.data_title!r}, label_hash={self.label_hash!r}, "
            f"version={self._version}, initialised={self._initialised})"
        )

    # -- loading -------------------------------------------------------------------------

    def initialise_labels(
        self,
        overwrite: bool = False,
        *,
        include_object_feature_hashes: Collection[str] | None = None,
        include_classification_feature_hashes: Collection[str] | None = None,
        include_reviews: bool = False,
        bundle: Bundle | None = None,
        include_signed_url: bool = False,
        **unsupported: object,
    ) -> None:
        """Load the labels (the prefetched document, else from the backend).

        ``overwrite=True`` reloads, dropping unsaved changes. ``include_*_feature_hashes``
        load only instances of those classes; the others are kept as they are and saved back
        untouched. ``include_reviews`` is accepted for compatibility (documents hold no
        reviews yet), ``include_signed_url`` too (assets are read where they are). With a
        ``bundle`` the row is initialised when the bundle's block ends, together with the
        bundle's other rows (one query for those whose labels were not prefetched). Any
        other option raises :class:`ValidationError`.
        """
        del include_signed_url  # nothing is signed: assets are read where they are
        if unsupported:
            raise ValidationError(
                f"initialise_labels() does not take {', '.join(sorted(unsupported))}; "
                f"it takes {', '.join(_INIT_OPTIONS)}"
            )
        if self._initialised and not overwrite:
            raise LabelError(
                f"{self._ident()}: labels are already initialised; pass overwrite=True to "
                "reload them (unsaved changes are dropped)"
            )
        options = _InitOptions(include_object_feature_hashes, include_classification_feature_hashes)
        if bundle is not None:
            bundle.add("initialise_labels", (self, options), _initialise_bundled)
            return
        self._load(*self._fetch(), options)

    def _needs_fetch(self) -> bool:
        return (self._prefetched is None or self._initialised) and self._backend is not None

    def _load(
        self, document: dict[str, Any] | str | None, version: int, options: _InitOptions
    ) -> None:
        include_object_feature_hashes, include_classification_feature_hashes = options
        parsed = self._parse(
            document, include_object_feature_hashes, include_classification_feature_hashes
        )
        _set_owner(self._built_objects(), self._classifications.values(), None)
        _set_owner(parsed.objects.values(), parsed.classifications.values(), self)
        self._objects = {**parsed.objects, **parsed.pending_objects}
        self._classifications = parsed.classifications
        # entries filtered out are saved back as read; copied so the caller's dicts stay theirs
        self._skipped_objects = (
            copy.deepcopy(parsed.skipped_objects) if parsed.skipped_objects else []
        )
        self._skipped_classifications = (
            copy.deepcopy(parsed.skipped_classifications) if parsed.skipped_classifications else []
        )
        self._version = version
        self._dirty = False
        self._initialised = True
        if self._backend is not None:
            # a reload fetches from the backend: let the prefetched document go
            self._prefetched = None

    def _parse(
        self,
        document: dict[str, Any] | str | None,
        include_objects: Collection[str] | None,
        include_classifications: Collection[str] | None,
    ) -> ParsedLabels:
        """Stored text is read lazily (objects built when read); a dict is read in full."""
        if not isinstance(document, str):
            return parse_document(
                document,
                self._ontology,
                number_of_frames=self.number_of_frames,
                width=self.width,
                height=self.height,
                include_objects=include_objects,
                include_classifications=include_classifications,
            )
        try:
            return parse_text(
                document,
                self._ontology,
                number_of_frames=self.number_of_frames,
                width=self.width,
                height=self.height,
                include_objects=include_objects,
                include_classifications=include_classifications,
            )
        except json.JSONDecodeError as exc:
            raise LabelError(f"{self._ident()}: the stored labels are not JSON ({exc})") from None

    def _fetch(self) -> tuple[dict[str, Any] | str | None, int]:
        prefetched = self._prefetched
        if self._needs_fetch() and self._backend is not None:
            return self._backend.fetch_document(self.label_hash)
        return prefetched, self._meta.version

    @classmethod
    def from_dict(
        cls,
        document: dict[str, Any],
        meta: LabelRowMeta,
        ontology: Ontology,
        backend: LabelRowBackend | None = None,
    ) -> LabelRow:
        """An initialised row holding ``document`` (the form :meth:`to_dict` writes)."""
        row = cls(replace(meta, document=document), ontology, backend)
        row.initialise_labels()
        return row

    def to_dict(self) -> dict[str, Any]:
        """The labels document (see :mod:`annotask.labels.document`); what :meth:`save` stores."""
        self._require_labels()
        return encode_document(
            self._objects.values(),
            self._classifications.values(),
            self._skipped_objects,
            self._skipped_classifications,
        )

    def to_encord_dict(self) -> dict[str, Any]:
        """The seed's name for :meth:`to_dict`: the labels document as a dict."""
        return self.to_dict()

    # -- frames --------------------------------------------------------------------------

    def get_frame_view(self, frame: int = 0) -> FrameView:
        """A view of one frame: its instances, and adding instances there."""
        self._require_labels()
        if type(frame) is not int:
            raise LabelError(f"{self._ident()}: a frame is an int, got {frame!r}")
        if frame < 0:
            raise LabelError(f"{self._ident()}: frame {frame} is negative; frames are 0-based")
        check_in_range(self._ident(), [frame], self.number_of_frames)
        return FrameView(self, frame)

    def get_frame_views(self) -> list[FrameView]:
        """A view of every frame of the data item, in order."""
        self._require_labels()
        return [FrameView(self, frame) for frame in range(self.number_of_frames)]

    def _check_instance_row(self, instance: ObjectInstance | ClassificationInstance) -> None:
        """:class:`LabelError` if ``instance`` is in another label row."""
        if instance._owner is not None and instance._owner is not self:
            raise LabelError(
                f"{instance._ident()}: already in another label row; add instance.copy()"
            )

    # -- saving --------------------------------------------------------------------------

    def set_priority(self, priority: float, bundle: Bundle | None = None) -> None:
        """Set the task priority, a number in 0..1 (``0.0`` included). It is stored with
        the row's next save, or with the outcome of the agent the row was given to; so a
        ``bundle`` (the seed's way to defer the write) changes nothing here."""
        del bundle  # the priority is already written with the next save or outcome
        self._priority = checked_priority(priority, self._ident())
        self._priority_changed = True

    def save(self, bundle: Bundle | None = None) -> None:
        """Store the labels (and the priority, if set) as a new version.

        On :class:`~annotask.errors.ConflictError` nothing changes here: reload with
        ``initialise_labels(overwrite=True)``, apply the change again and save. With a
        ``bundle`` the save happens when the bundle's block ends, in one transaction with
        the bundle's other saves (all or none).
        """
        if bundle is not None:
            self._require_labels()
            bundle.add("save", self, _save_bundled)
            return
        request = self.save_request()
        backend = self._require_backend("save")
        version = backend.save(
            request.label_hash,
            request.document,
            request.base_version,
            request.priority,
            request.priority_changed,
        )
        self.mark_saved(version)

    def save_request(self) -> LabelSaveRequest:
        """What :meth:`save` would store: for saving many rows at once (one transaction).

        Hand the request to a batch save (``Project.save_label_rows`` does both steps),
        then call :meth:`mark_saved` with the version it got.
        """
        return LabelSaveRequest(
            self.label_hash,
            EncodedDocument(self.to_json()),
            self._version,
            self._priority,
            self._priority_changed,
        )

    def to_json(self) -> str:
        """The labels document as JSON text: ``json.dumps(row.to_dict())``, byte for byte,
        written without building the objects nothing has read."""
        self._require_labels()
        return document_text(
            self._objects.values(),
            self._classifications.values(),
            self._skipped_objects,
            self._skipped_classifications,
        )

    def mark_saved(self, version: int) -> None:
        """Record that the labels were stored as ``version`` (by a batch save of requests)."""
        if type(version) is not int or version <= self._version:
            raise LabelError(
                f"{self._ident()}: a save gives a version above {self._version}, got {version!r}"
            )
        self._version = version
        self._dirty = False
        self._priority_changed = False

    def history(self) -> list[LabelVersion]:
        """Every saved version of this row, oldest first."""
        return self._require_backend("read history").history(self.label_hash)

    # -- object instances ----------------------------------------------------------------

    def get_object_instances(
        self,
        filter_ontology_object: ObjectClass | str | None = None,
        filter_frames: Frames | None = None,
    ) -> list[ObjectInstance]:
        """Object instances, optionally of one class (object, name or hash) and on some frames."""
        self._require_labels()
        entries = list(self._objects.values())
        if filter_ontology_object is not None:
            wanted = self._object_class(filter_ontology_object).feature_hash
            entries = [i for i in entries if i.feature_hash == wanted]
        if filter_frames is not None:
            frames = set(normalise_frames(filter_frames))
            entries = [i for i in entries if not frames.isdisjoint(_frames_of(i))]
        return [self._built(i) for i in entries]

    def add_object_instance(self, instance: ObjectInstance, force: bool = True) -> None:
        """Add ``instance``; every frame is checked first. ``force``: replace one with its hash."""
        self._require_labels()
        if not isinstance(instance, ObjectInstance):
            raise LabelError(f"{self._ident()}: expected an ObjectInstance, got {instance!r}")
        if self._objects.get(instance.object_hash) is instance:
            return
        if instance._owner is not None:
            raise LabelError(
                f"{instance._ident()}: already in another label row; add instance.copy()"
            )
        self._check_object_class(instance)
        instance._check_against(self)
        existing = self._objects.get(instance.object_hash)
        if existing is not None:
            if not force:
                raise LabelError(
                    f"{instance._ident()}: the row already has an object with this hash; "
                    "pass force=True to replace it"
                )
            if isinstance(existing, ObjectInstance):
                existing._owner = None
        self._objects[instance.object_hash] = instance
        instance._owner = self
        self._touch()

    def _adopt(self, entry: PendingObject) -> None:
        """Add an object entry an import checked against this row (its hash not taken here);
        it is built when something reads it."""
        self._objects[entry.object_hash] = entry
        self._dirty = True

    def remove_object_instance(self, instance: ObjectInstance) -> None:
        """Remove ``instance`` from the row."""
        self._require_labels()
        if self._objects.get(instance.object_hash) is not instance:
            raise LabelError(f"{instance._ident()}: not in label row {self.label_hash}")
        del self._objects[instance.object_hash]
        instance._owner = None
        self._touch()

    def remove_object(self, object_instance: ObjectInstance) -> None:
        """The seed's name for :meth:`remove_object_instance`."""
        self.remove_object_instance(object_instance)

    # -- classification instances --------------------------------------------------------

    def get_classification_instances(
        self,
        filter_ontology_classification: Classification | str | None = None,
        filter_frames: Frames | None = None,
    ) -> list[ClassificationInstance]:
        """Classification instances, optionally of one classification and on some frames."""
        self._require_labels()
        instances = list(self._classifications.values())
        if filter_ontology_classification is not None:
            wanted = self._classification(filter_ontology_classification).feature_hash
            instances = [i for i in instances if i.feature_hash == wanted]
        if filter_frames is not None:
            frames = set(normalise_frames(filter_frames))
            instances = [i for i in instances if not frames.isdisjoint(i._annotations)]
        return instances

    def add_classification_instance(
        self, instance: ClassificationInstance, force: bool = False
    ) -> None:
        """Add ``instance``. Two instances of one classification may not share a frame;
        ``force`` takes the shared frames off the others (and replaces one with its hash)."""
        self._require_labels()
        if not isinstance(instance, ClassificationInstance):
            raise LabelError(
                f"{self._ident()}: expected a ClassificationInstance, got {instance!r}"
            )
        if self._classifications.get(instance.classification_hash) is instance:
            return
        if instance._owner is not None:
            raise LabelError(
                f"{instance._ident()}: already in another label row; add instance.copy()"
            )
        self._check_classification(instance)
        frames = sorted(instance._annotations)
        check_in_range(instance._ident(), frames, self.number_of_frames)
        existing = self._classifications.get(instance.classification_hash)
        if not force:
            if existing is not None:
                raise LabelError(
                    f"{instance._ident()}: the row already has a classification with this "
                    "hash; pass force=True to replace it"
                )
            instance._check_clashes(self, frames)
        else:
            self._take_frames(instance, frames, existing)
        self._classifications[instance.classification_hash] = instance
        instance._owner = self
        self._touch()

    def _take_frames(
        self,
        instance: ClassificationInstance,
        frames: list[int],
        existing: ClassificationInstance | None,
    ) -> None:
        if existing is not None:
            del self._classifications[existing.classification_hash]
            existing._owner = None
        for other_hash, shared in self._clashes(instance, frames).items():
            other = self._classifications[other_hash]
            for frame in shared:
                del other._annotations[frame]
            if not other._annotations:
                del self._classifications[other_hash]
                other._owner = None

    def remove_classification(self, instance: ClassificationInstance) -> None:
        """Remove ``instance`` from the row."""
        self._require_labels()
        if self._classifications.get(instance.classification_hash) is not instance:
            raise LabelError(f"{instance._ident()}: not in label row {self.label_hash}")
        del self._classifications[instance.classification_hash]
        instance._owner = None
        self._touch()

    # -- objects of a stored document, built when first read ------------------------------

    def _built(self, entry: ObjectInstance | PendingObject) -> ObjectInstance:
        """The instance of ``entry``, built (and kept) if it is still pending."""
        if isinstance(entry, ObjectInstance):
            return entry
        instance = build_object(
            entry,
            self._ontology,
            number_of_frames=self.number_of_frames,
            width=self.width,
            height=self.height,
        )
        instance._owner = self
        self._objects[entry.object_hash] = instance
        return instance

    def _built_objects(self) -> list[ObjectInstance]:
        return [o for o in self._objects.values() if isinstance(o, ObjectInstance)]

    # -- helpers the instances use -------------------------------------------------------

    def _touch(self) -> None:
        self._dirty = True

    def _clashes(self, instance: ClassificationInstance, frames: list[int]) -> dict[str, list[int]]:
        clashes: dict[str, list[int]] = {}
        for other in self._classifications.values():
            if other is instance or other.feature_hash != instance.feature_hash:
                continue
            shared = [f for f in frames if f in other._annotations]
            if shared:
                clashes[other.classification_hash] = shared
        return clashes

    def _ident(self) -> str:
        return f"label row {self.label_hash} ({self.data_title})"

    def _require_labels(self) -> None:
        if not self._initialised:
            raise LabelError(
                f"{self._ident()}: labels are not initialised; call initialise_labels() first"
            )

    def _require_backend(self, action: str) -> LabelRowBackend:
        if self._backend is None:
            raise LabelError(
                f"{self._ident()}: cannot {action} without a backend; load the row through a "
                "client (or build it with LabelRow(meta, ontology, backend))"
            )
        return self._backend

    def _object_class(self, wanted: ObjectClass | str) -> ObjectClass:
        if isinstance(wanted, ObjectClass):
            return wanted
        return self._ontology.get_object(wanted)

    def _classification(self, wanted: Classification | str) -> Classification:
        if isinstance(wanted, Classification):
            return wanted
        return self._ontology.get_classification(wanted)

    def _check_object_class(self, instance: ObjectInstance) -> None:
        found = self._ontology.find_object(instance.feature_hash)
        if found is not instance.ontology_item and found != instance.ontology_item:
            known = ", ".join(repr(o.name) for o in self._ontology.objects) or "none"
            raise LabelError(
                f"{instance._ident()}: object class {instance.object_name!r} is not in this "
                f"row's ontology; its object classes: {known}"
            )

    def _check_classification(self, instance: ClassificationInstance) -> None:
        found = self._ontology.find_classification(instance.feature_hash)
        if found != instance.ontology_item:
            known = ", ".join(repr(c.name) for c in self._ontology.classifications) or "none"
            raise LabelError(
                f"{instance._ident()}: classification {instance.classification_name!r} is not "
                f"in this row's ontology; its classifications: {known}"
            )


class _InitOptions(NamedTuple):
    include_object_feature_hashes: Collection[str] | None
    include_classification_feature_hashes: Collection[str] | None


@runtime_checkable
class _ManyBackend(Protocol):
    """A backend that loads and saves many rows at once (the store's does)."""

    def fetch_documents(
        self, label_hashes: Sequence[str]
    ) -> dict[str, tuple[dict[str, Any] | None, int]]: ...

    def save_many(self, requests: Iterable[LabelSaveRequest]) -> dict[str, int]: ...


def _initialise_bundled(work: list[tuple[LabelRow, _InitOptions]]) -> None:
    """Initialise the rows of a bundle: one fetch per backend for the rows that need one."""
    wanted: dict[int, list[LabelRow]] = {}
    for row, _ in work:
        if row._needs_fetch():
            wanted.setdefault(id(row._backend), []).append(row)
    fetched: dict[str, tuple[dict[str, Any] | None, int]] = {}
    for rows in wanted.values():
        backend = rows[0]._backend
        if isinstance(backend, _ManyBackend):
            fetched.update(backend.fetch_documents([r.label_hash for r in rows]))
    for row, options in work:
        if row.label_hash in fetched and row._needs_fetch():
            row._load(*fetched[row.label_hash], options)
        else:
            row._load(*row._fetch(), options)


def _save_bundled(rows: list[LabelRow]) -> None:
    """Save the rows of a bundle: one transaction per backend (each row once)."""
    unique = list({id(r): r for r in rows}.values())
    groups: dict[int, list[LabelRow]] = {}
    for row in unique:
        groups.setdefault(id(row._require_backend("save")), []).append(row)
    for group in groups.values():
        backend = group[0]._backend
        if isinstance(backend, _ManyBackend):
            versions = backend.save_many(r.save_request() for r in group)
            for row in group:
                row.mark_saved(versions[row.label_hash])
        else:
            for row in group:
                row.save()


def _set_owner(
    objects: Iterable[ObjectInstance],
    classifications: Iterable[ClassificationInstance],
    owner: LabelRow | None,
) -> None:
    for instance in objects:
        instance._owner = owner
    for classification in classifications:
        classification._owner = owner


def _frames_of(entry: ObjectInstance | PendingObject) -> Collection[int]:
    return entry.frames if isinstance(entry, PendingObject) else entry._annotations.keys()


def checked_priority(value: object, ident: str, name: str = "priority") -> float:
    """``value`` as a priority (a number in 0..1, ``0.0`` included), or :class:`LabelError`
    naming ``ident`` and the field ``name``."""
    number = as_real(value)
    if number is None or not 0.0 <= number <= 1.0:
        raise LabelError(f"{ident}: {name} must be in 0..1, got {shown(value)}")
    return number
