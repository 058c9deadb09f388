"""The labels document: the versioned JSON form of one label row's labels.

Layout (``schema_version`` 1)::

    {
      "schema": "annotask.labels",
      "schema_version": 1,
      "objects": [
        {
          "object_hash": "4f1c9a0b2d3e",
          "feature_hash": "1a2b3c4d",          # the object class; decides the shape
          "name": "car",                       # informative only; the feature hash decides
          "frames": {
            "0": {
              "coordinates": {...},            # see below
              "confidence": 1.0,
              "manual_annotation": true,
              "created_by": "ann@example.com", # optional
              "created_at": "2024-05-01T12:00:00+00:00",  # optional, ISO 8601 with offset
              "answers": {"<attribute hash>": ...}        # optional: dynamic answers here
            }
          },
          "answers": {"<attribute hash>": ...} # static answers
        }
      ],
      "classifications": [
        {
          "classification_hash": "77aa01bc9e02",
          "feature_hash": "5e6f7a8b",
          "name": "weather",
          "frames": {"0": {"confidence": 1.0, "manual_annotation": true}},  # created_* optional
          "answers": {"<classification hash>": "<option hash>", "<nested hash>": 12.5}
        }
      ]
    }

Coordinates by shape (fractions 0..1 of the image): bounding_box ``{"x", "y", "w", "h"}``;
rotatable_bounding_box ``{"x", "y", "w", "h", "theta"}`` (degrees, clockwise); polygon and
polyline ``{"points": [[x, y], ...]}``; point ``{"x", "y"}``; bitmask ``{"height", "width",
"counts"}`` (COCO uncompressed RLE, column-major, starting with a run of 0); skeleton
``{"keypoints": {"<name>": {"x", "y", "visible"}}}``.

Answers: radio -> the option's feature hash; checklist -> a list of option hashes; text ->
a string; numeric -> a number. Nested answers sit beside their parent's, keyed by their own
feature hash.

Reading checks the whole document before anything is built: a ``schema_version`` newer than
:data:`SCHEMA_VERSION`, feature hashes absent from the ontology, frames past the data item,
and malformed entries raise one :class:`LabelError`. :func:`encode_document` writes exactly
what :func:`parse_document` reads: ``encode(parse(doc)) == doc`` for any document it wrote.

Stored documents (JSON text, as the store holds them) are read lazily by :func:`parse_text`:
the header, classifications, object classes, hashes and frames are checked at once, and each
object entry is kept as its text (a :class:`PendingObject`) until something reads it;
:func:`document_text` writes untouched entries back as they were read, so that a row whose
agent reads two objects of fifty, or only adds one, builds two, or none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

import msgspec

from annotask.errors import LabelError
from annotask.labels import _answers
from annotask.labels._answers import AnswerValue
from annotask.labels._instance_common import (
    ClassificationFrame,
    ObjectFrame,
    check_in_range,
)
from annotask.labels._text import name_problem
from annotask.labels.classification_instance import ClassificationInstance
from annotask.labels.coordinates import READERS, BitmaskCoordinates, SkeletonCoordinates
from annotask.labels.object_instance import ObjectInstance
from annotask.labels.ontology import Ontology
from annotask.labels.ontology_model import (
    Classification,
    ObjectClass,
    QuestionTree,
    Shape,
)
from annotask.limits import shown

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "ParsedLabels",
    "PendingObject",
    "build_object",
    "document_text",
    "encode_document",
    "parse_document",
    "parse_text",
]

SCHEMA = "annotask.labels"
SCHEMA_VERSION = 1
"""The newest document layout this annotask reads and the one it writes."""

_CHECKED_SHAPES = frozenset({Shape.BITMASK, Shape.SKELETON})


# -- writing -------------------------------------------------------------------------------


def encode_document(
    objects: Iterable[ObjectInstance | PendingObject],
    classifications: Iterable[ClassificationInstance],
    extra_objects: Iterable[dict[str, Any]] = (),
    extra_classifications: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The document of these instances (``extra_*``: raw entries passed through unread)."""
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "objects": [
            msgspec.json.decode(o.text) if isinstance(o, PendingObject) else _encode_object(o)
            for o in objects
        ]
        + list(extra_objects),
        "classifications": [_encode_classification(c) for c in classifications]
        + list(extra_classifications),
    }


def _encode_answers(answers: Mapping[str, AnswerValue]) -> dict[str, Any]:
    return {key: _answers.encode(value) for key, value in answers.items()}


def _encode_frame(
    entry: dict[str, Any], annotation: ObjectFrame | ClassificationFrame
) -> dict[str, Any]:
    """``entry`` with what every frame entry holds added: confidence, manual, created_*."""
    entry["confidence"] = annotation.confidence
    entry["manual_annotation"] = annotation.manual_annotation
    if annotation.created_by is not None:
        entry["created_by"] = annotation.created_by
    if annotation.created_at is not None:
        entry["created_at"] = annotation.created_at.isoformat()
    return entry


def _encode_object(instance: ObjectInstance) -> dict[str, Any]:
    annotations = instance._annotations
    dynamic = instance._dynamic
    frames: dict[str, Any] = {}
    for frame in sorted(annotations):
        annotation = annotations[frame]
        entry = _encode_frame({"coordinates": annotation.coordinates.to_dict()}, annotation)
        answers = dynamic.get(frame)
        if answers:
            entry["answers"] = _encode_answers(answers)
        frames[str(frame)] = entry
    ontology_object = instance._object
    return {
        "object_hash": instance._hash,
        "feature_hash": ontology_object.feature_hash,
        "name": ontology_object.name,
        "frames": frames,
        "answers": _encode_answers(instance._answers),
    }


def _encode_classification(instance: ClassificationInstance) -> dict[str, Any]:
    frames: dict[str, Any] = {}
    for frame in sorted(instance._annotations):
        frames[str(frame)] = _encode_frame({}, instance._annotations[frame])
    classification = instance._classification
    return {
        "classification_hash": instance._hash,
        "feature_hash": classification.feature_hash,
        "name": classification.name,
        "frames": frames,
        "answers": _encode_answers(instance._answers),
    }


# -- reading -------------------------------------------------------------------------------


@dataclass
class ParsedLabels:
    """What :func:`parse_document` read: instances by hash, and entries filtered out."""

    objects: dict[str, ObjectInstance] = field(default_factory=dict)
    classifications: dict[str, ClassificationInstance] = field(default_factory=dict)
    skipped_objects: list[dict[str, Any]] = field(default_factory=list)
    skipped_classifications: list[dict[str, Any]] = field(default_factory=list)
    pending_objects: dict[str, PendingObject] = field(default_factory=dict)
    """Object entries of a stored document not built yet (:func:`parse_text`)."""


@dataclass(frozen=True)
class _Item:
    """The data item the labels are checked against."""

    number_of_frames: int
    width: int | None
    height: int | None


def parse_document(
    document: Mapping[str, Any] | None,
    ontology: Ontology,
    *,
    number_of_frames: int,
    width: int | None = None,
    height: int | None = None,
    include_objects: Collection[str] | None = None,
    include_classifications: Collection[str] | None = None,
) -> ParsedLabels:
    """Read and check a document; ``include_*``: feature hashes to build (others are kept raw)."""
    if document is None:
        return ParsedLabels()
    _check_header(document)
    reader = _Reader(ontology, _Item(number_of_frames, width, height))
    parsed = ParsedLabels()
    reader.read(
        document,
        _Section(
            "objects",
            "object_hash",
            ontology.find_object,
            reader.object_instance,
            include_objects,
            parsed.objects,
            parsed.skipped_objects,
        ),
    )
    reader.read(
        document,
        _Section(
            "classifications",
            "classification_hash",
            ontology.find_classification,
            reader.classification_instance,
            include_classifications,
            parsed.classifications,
            parsed.skipped_classifications,
        ),
    )
    if reader.unknown:
        raise LabelError(
            "labels document names feature hashes absent from the ontology: "
            + ", ".join(sorted(reader.unknown))
        )
    _check_classification_overlaps(parsed.classifications.values())
    return parsed


def _check_header(document: Mapping[str, Any]) -> None:
    if not isinstance(document, Mapping):
        raise LabelError(f"a labels document must be a mapping, got {type(document).__name__}")
    if document.get("schema") != SCHEMA:
        raise LabelError(
            f"not an annotask labels document: schema is {document.get('schema')!r}, "
            f"expected {SCHEMA!r}"
        )
    version = document.get("schema_version")
    if type(version) is not int or version < 1:
        raise LabelError(f"labels document has an invalid schema_version {version!r}")
    if version > SCHEMA_VERSION:
        raise LabelError(
            f"labels document has schema_version {version}: it was written by a newer annotask "
            f"(this one reads up to {SCHEMA_VERSION}); upgrade annotask to read it"
        )


def _entries(document: Mapping[str, Any], key: str) -> list[Any]:
    entries = document.get(key, [])
    if not isinstance(entries, list):
        raise LabelError(f"labels document: {key} must be a list")
    return entries


_FRAME_KEYS = {str(n): n for n in range(4096)}
"""Frame keys as documents write them: a lookup is cheaper than ``int()`` and checks form."""


def _frame_number(key: object) -> int:
    """A frame key past :data:`_FRAME_KEYS`: decimal digits, no sign, space or leading 0."""
    if type(key) is int and key >= 0:
        return key
    if type(key) is str and key.isascii() and key.isdigit() and key[0] != "0":
        return int(key)
    raise LabelError(
        f'frame key {shown(key)} is not a frame number: write frames as decimal digits, like "12"'
    )


def _where(key: str, index: int, raw: Any, hash_key: str) -> str:
    """``objects[3] (car, object_hash ab12)``, as far as ``raw`` tells."""
    if not isinstance(raw, Mapping):
        return f"{key}[{index}]"
    name = raw.get("name", "?")
    name = name[:60] if type(name) is str else shown(name)
    return f"{key}[{index}] ({name}, {hash_key} {shown(raw.get(hash_key))})"


def _malformed(where: str, exc: Exception) -> LabelError:
    if isinstance(exc, LabelError):
        return LabelError(f"labels document: {where}: {exc}")
    detail = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
    return LabelError(f"labels document: {where}: malformed entry ({detail})")


_I = TypeVar("_I", ObjectClass, Classification)
_T = TypeVar("_T", ObjectInstance, ClassificationInstance)


@dataclass(frozen=True)
class _Section(Generic[_I, _T]):
    """How to read the entries under one key (objects, classifications), and where to."""

    key: str
    hash_key: str
    find: Callable[[str], _I | None]
    build: Callable[[_I, str, Any], _T]
    include: Collection[str] | None
    """Feature hashes to build; entries of others are kept raw in ``skipped``."""
    built: dict[str, _T]
    skipped: list[dict[str, Any]]


class _Reader:
    def __init__(self, ontology: Ontology, item: _Item) -> None:
        self.ontology = ontology
        self.item = item
        self.unknown: set[str] = set()

    def read(self, document: Mapping[str, Any], section: _Section[_I, _T]) -> None:
        """Read every entry of one section of the document."""
        for index, raw in enumerate(_entries(document, section.key)):
            self._entry(section, index, raw)

    def _entry(self, section: _Section[_I, _T], index: int, raw: Any) -> None:
        """Read one entry into ``section.built`` by its hash (or keep it raw, filtered out)."""
        try:
            feature_hash = raw["feature_hash"]
            if type(feature_hash) is not str:
                raise LabelError(f"feature_hash must be a string, got {shown(feature_hash)}")
            item = section.find(feature_hash)
            if item is None:
                self.unknown.add(feature_hash)
                return
            if section.include is not None and item.feature_hash not in section.include:
                section.skipped.append(raw)
                return
            instance_hash = raw[section.hash_key]
            problem = name_problem(instance_hash)
            if problem is not None:
                raise LabelError(f"invalid {section.hash_key}: it {problem}")
            if instance_hash in section.built:
                raise LabelError(f"duplicate {section.hash_key} {shown(instance_hash)}")
            section.built[instance_hash] = section.build(item, instance_hash, raw)
        except (LabelError, KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise _malformed(_where(section.key, index, raw, section.hash_key), exc) from exc

    def object_instance(
        self, ontology_object: ObjectClass, object_hash: str, raw: Any
    ) -> ObjectInstance:
        read = READERS[ontology_object.shape]
        tree = ontology_object.tree
        annotations: dict[int, ObjectFrame] = {}
        dynamic: dict[int, dict[str, AnswerValue]] = {}
        for key, entry in raw["frames"].items():
            frame = self._frame(key)
            confidence, manual, created_by, created_at = _annotation_fields(entry)
            annotations[frame] = ObjectFrame(
                frame, read(entry["coordinates"]), confidence, manual, created_by, created_at
            )
            frame_answers = entry.get("answers")
            if frame_answers:
                dynamic[frame] = self._answers(tree, frame_answers, dynamic=True)
        if ontology_object.shape in _CHECKED_SHAPES:
            self._check_fits(ontology_object, annotations)
        raw_answers = raw["answers"]
        answers = self._answers(tree, raw_answers, dynamic=False) if raw_answers else {}
        return ObjectInstance._restore(ontology_object, object_hash, annotations, answers, dynamic)

    def _frame(self, key: str) -> int:
        frame = _FRAME_KEYS.get(key)
        if frame is None:
            frame = _frame_number(key)
        if 0 <= frame < self.item.number_of_frames:
            return frame
        check_in_range("", [frame], self.item.number_of_frames)
        raise LabelError(f"frame {key!r} is not a frame number")

    def _check_fits(
        self, ontology_object: ObjectClass, annotations: dict[int, ObjectFrame]
    ) -> None:
        item = self.item
        for frame, annotation in annotations.items():
            coordinates = annotation.coordinates
            if isinstance(coordinates, BitmaskCoordinates) and item.width and item.height:
                size = (coordinates.height, coordinates.width)
                if size != (item.height, item.width):
                    raise LabelError(
                        f"frame {frame}: bitmask is {size[0]}x{size[1]}, "
                        f"the data item is {item.height}x{item.width}"
                    )
            elif isinstance(coordinates, SkeletonCoordinates):
                unknown = set(coordinates.keypoints) - set(ontology_object.keypoints)
                if unknown:
                    raise LabelError(f"frame {frame}: unknown keypoint(s) {sorted(unknown)}")

    def _answers(
        self, tree: QuestionTree, raw: Mapping[str, Any], *, dynamic: bool
    ) -> dict[str, AnswerValue]:
        answers: dict[str, AnswerValue] = {}
        parents = tree.parents
        nested = False
        for key, value in raw.items():
            question = tree.by_hash(key)
            if question is None:
                self.unknown.add(key)
                continue
            if question.dynamic is not dynamic:
                where = "per frame" if dynamic else "as static"
                raise LabelError(f"{_answers.describe(question)} answered {where}")
            nested = nested or key in parents
            decoded = _answers.decode(question, value, self.unknown)
            if decoded is not None:
                answers[key] = decoded
        if nested and not self.unknown:  # unknown hashes are reported first, and alone
            _check_nesting(tree, answers)
        return answers

    def classification_instance(
        self, classification: Classification, instance_hash: str, raw: Any
    ) -> ClassificationInstance:
        annotations: dict[int, ClassificationFrame] = {}
        for key, entry in raw["frames"].items():
            frame = self._frame(key)
            annotations[frame] = ClassificationFrame(frame, *_annotation_fields(entry))
        answers = self._answers(classification.tree, raw["answers"], dynamic=False)
        return ClassificationInstance._restore(classification, instance_hash, annotations, answers)


def _check_nesting(tree: QuestionTree, answers: dict[str, AnswerValue]) -> None:
    for key in answers:
        question = tree.by_hash(key)
        problem = None if question is None else _answers.parent_problem(tree, question, answers)
        if problem is not None:
            raise LabelError(problem)


def _annotation_fields(
    entry: Mapping[str, Any],
) -> tuple[float, bool, str | None, datetime | None]:
    """confidence, manual_annotation, created_by, created_at of a frame entry, checked."""
    confidence = entry["confidence"]
    manual = entry["manual_annotation"]
    if type(confidence) is not float or not 0.0 <= confidence <= 1.0:
        if type(confidence) is not int or not 0 <= confidence <= 1:
            raise LabelError(f"confidence must be a number in 0..1, got {confidence!r}")
        confidence = float(confidence)
    if manual is not True and manual is not False:
        raise LabelError(f"manual_annotation must be true or false, got {manual!r}")
    created_by = entry.get("created_by")
    problem = None if created_by is None else name_problem(created_by, empty_ok=True)
    if problem is not None:
        raise LabelError(f"created_by {problem}")
    created_at = entry.get("created_at")
    return confidence, manual, created_by, None if created_at is None else _time(created_at)


def _time(value: Any) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise LabelError(f"created_at {value!r} has no timezone offset")
    return moment


def _check_classification_overlaps(instances: Iterable[ClassificationInstance]) -> None:
    seen: dict[tuple[str, int], str] = {}
    for instance in instances:
        for frame in instance._annotations:
            key = (instance.feature_hash, frame)
            other = seen.setdefault(key, instance.classification_hash)
            if other != instance.classification_hash:
                raise LabelError(
                    f"labels document: classification {instance.classification_name!r} has two "
                    f"instances ({other}, {instance.classification_hash}) on frame {frame}"
                )


# -- stored text, read lazily ----------------------------------------------------------------


class PendingObject:
    """An object entry of a stored document, checked in outline, kept as its JSON text."""

    __slots__ = ("index", "object_class", "object_hash", "text")

    def __init__(self, object_class: ObjectClass, object_hash: str, text: str, index: int) -> None:
        self.object_class = object_class
        self.object_hash = object_hash
        self.text = text
        """The entry exactly as stored; written back as is while nothing builds it."""
        self.index = index
        """Its place in the stored document's objects (errors name it)."""

    @property
    def feature_hash(self) -> str:
        """The feature hash of the object class."""
        return self.object_class.feature_hash

    @property
    def frames(self) -> set[int]:
        """The frames the object is on (read from the text: only filters ask)."""
        return set(_OUTLINE.decode(self.text).frames)


class _StoredDocument(msgspec.Struct):
    schema: Any = None
    schema_version: Any = None
    objects: list[msgspec.Raw] = []
    classifications: list[Any] = []


class _ObjectOutline(msgspec.Struct):
    object_hash: str
    feature_hash: str
    frames: dict[int, msgspec.Raw]
    answers: msgspec.Raw


class _Outlines(msgspec.Struct):
    objects: list[_ObjectOutline] = []


_STORED = msgspec.json.Decoder(_StoredDocument)
_OUTLINES = msgspec.json.Decoder(_Outlines)
_OUTLINE = msgspec.json.Decoder(_ObjectOutline)


class _Irregular(Exception):
    """The fast reading met something only the full reading reports properly."""


def parse_text(
    text: str,
    ontology: Ontology,
    *,
    number_of_frames: int,
    width: int | None = None,
    height: int | None = None,
    include_objects: Collection[str] | None = None,
    include_classifications: Collection[str] | None = None,
) -> ParsedLabels:
    """Read a stored document's text; objects come back as :class:`PendingObject` entries.

    Everything :func:`parse_document` checks is checked here too, except what only building
    an object reveals (coordinates, answers, confidence): :func:`build_object` checks that
    when the object is first read. A document this fast reading does not accept (malformed,
    unknown classes, bad hashes or frames) is read in full by :func:`parse_document`, so its
    errors are the same. :class:`json.JSONDecodeError` if ``text`` is not JSON.
    """
    if text == _EMPTY_TEXT:  # a row never saved: nothing to read
        return ParsedLabels()
    try:
        stored = _STORED.decode(text)
        outlines = _OUTLINES.decode(text).objects
        pending, skipped = _outline_objects(
            stored.objects, outlines, ontology, number_of_frames, include_objects
        )
    except (msgspec.MsgspecError, _Irregular):
        return parse_document(
            json.loads(text),
            ontology,
            number_of_frames=number_of_frames,
            width=width,
            height=height,
            include_objects=include_objects,
            include_classifications=include_classifications,
        )
    parsed = parse_document(
        {
            "schema": stored.schema,
            "schema_version": stored.schema_version,
            "classifications": stored.classifications,
        },
        ontology,
        number_of_frames=number_of_frames,
        width=width,
        height=height,
        include_classifications=include_classifications,
    )
    parsed.pending_objects = pending
    parsed.skipped_objects = skipped
    return parsed


def _outline_objects(
    entries: list[msgspec.Raw],
    outlines: list[_ObjectOutline],
    ontology: Ontology,
    number_of_frames: int,
    include: Collection[str] | None,
) -> tuple[dict[str, PendingObject], list[dict[str, Any]]]:
    """Object entries as pending objects by hash, and the raw entries filtered out.

    ``entries`` and ``outlines`` are two decodings of one list, index for index.
    """
    pending: dict[str, PendingObject] = {}
    skipped: list[dict[str, Any]] = []
    find = ontology.find_object
    for index, (raw, outline) in enumerate(zip(entries, outlines, strict=True)):
        object_class = find(outline.feature_hash)
        object_hash = outline.object_hash
        if object_class is None or name_problem(object_hash) or object_hash in pending:
            raise _Irregular
        if include is not None and object_class.feature_hash not in include:
            skipped.append(msgspec.json.decode(raw))
            continue
        frames = outline.frames
        if frames and (min(frames) < 0 or max(frames) >= number_of_frames):
            raise _Irregular
        pending[object_hash] = PendingObject(object_class, object_hash, bytes(raw).decode(), index)
    return pending, skipped


def build_object(
    pending: PendingObject,
    ontology: Ontology,
    *,
    number_of_frames: int,
    width: int | None = None,
    height: int | None = None,
) -> ObjectInstance:
    """The object a pending entry holds, checked in full (:class:`LabelError` if malformed)."""
    object_class = pending.object_class
    reader = _Reader(ontology, _Item(number_of_frames, width, height))
    raw = msgspec.json.decode(pending.text)
    where = _where("objects", pending.index, raw, "object_hash")
    try:
        instance = reader.object_instance(object_class, pending.object_hash, raw)
    except (LabelError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _malformed(where, exc) from exc
    if reader.unknown:
        raise LabelError(
            f"labels document: {where} names feature hashes absent from the ontology: "
            + ", ".join(sorted(reader.unknown))
        )
    return instance


def document_text(
    objects: Iterable[ObjectInstance | PendingObject],
    classifications: Iterable[ClassificationInstance],
    extra_objects: Iterable[dict[str, Any]] = (),
    extra_classifications: Iterable[dict[str, Any]] = (),
) -> str:
    """``json.dumps(encode_document(...))``, byte for byte, with pending entries as read."""
    dumps = _dumps
    object_parts = [
        o.text if isinstance(o, PendingObject) else dumps(_encode_object(o)) for o in objects
    ]
    object_parts.extend(dumps(e) for e in extra_objects)
    classification_parts = [dumps(_encode_classification(c)) for c in classifications]
    classification_parts.extend(dumps(e) for e in extra_classifications)
    return (
        f'{_DOCUMENT_HEAD}"objects": [{", ".join(object_parts)}], '
        f'"classifications": [{", ".join(classification_parts)}]}}'
    )


_DOCUMENT_HEAD = f'{{"schema": {json.dumps(SCHEMA)}, "schema_version": {SCHEMA_VERSION}, '
"""What every document written begins with, encoded once."""


def _entry_encoder() -> Callable[[Any], str]:
    """``json.dumps`` with its default options, as a function made once: the C encoder
    that ``json.dumps`` builds anew on every call (a third of the time of encoding one
    object entry). The entries encoded here are trees made from instances or decoded
    from JSON, so the check for circular references is left out."""
    from json import encoder  # noqa: PLC0415 - its internals, only here

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:  # a Python without the C accelerator
        return json.dumps
    iterencode = make(
        None,  # markers: no circular-reference check
        json.JSONEncoder().default,
        encoder.encode_basestring_ascii,
        None,  # indent
        ": ",
        ", ",
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )

    def dumps(value: Any) -> str:
        return "".join(iterencode(value, 0))

    return dumps


_dumps = _entry_encoder()

_EMPTY_TEXT = document_text((), ())
