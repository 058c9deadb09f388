"""What every label format shares: import modes, reports, and the all-or-nothing importer.

A format's reader turns its file into :class:`Region` records (one object on one frame of
one image, in fractions of the image); :class:`RegionImporter` matches them to label rows,
groups them into object instances, checks everything, and only then applies the import mode.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from annotask.errors import LabelError, NotFoundError
from annotask.labels._numbers import clean
from annotask.labels.coordinates import BoundingBoxCoordinates, Coordinates
from annotask.labels.formats._build import Built, add_checked, checked_entry
from annotask.labels.label_row import LabelRow
from annotask.labels.ontology import Ontology
from annotask.labels.ontology_model import ObjectClass

__all__ = [
    "Applied",
    "ExportItem",
    "ExportReport",
    "ImportMode",
    "ImportReport",
    "Problems",
    "Region",
    "RegionImporter",
    "apply_mode",
    "box_from_edges",
    "clean",
    "file_stem",
    "finite",
    "frame_file_name",
    "names",
    "object_named",
    "pixels",
    "split_frame",
    "stems_to_titles",
    "unit",
]

_FRAME_SUFFIX = re.compile(r"^(?P<base>.*)#frame(?P<frame>\d+)$")
_MAX_LINES = 25
_HASH = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


class ImportMode(StrEnum):
    """What an import does to label rows that already hold objects."""

    ADD = "add"
    """Add the file's objects beside those already there."""
    REPLACE = "replace"
    """Remove the objects of every row the file names, then add the file's."""
    SKIP_EXISTING = "skip-existing"
    """Leave rows that already hold objects as they are (the default: importing twice is safe)."""


@dataclass(frozen=True)
class ExportItem:
    """One label row to export, under ``file_name``; ``image_path`` is copied where the format
    carries images (YOLO, Pascal VOC) and the asset is a local file."""

    row: LabelRow
    file_name: str
    image_path: Path | None = None


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote."""

    path: Path
    images: int
    objects: int
    skipped_objects: dict[str, int] = field(default_factory=dict)
    """Objects of shapes the format cannot carry, by shape."""


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, when it raised, nothing)."""

    objects_added: int
    annotations_imported: int
    rows_changed: tuple[str, ...]
    """Label hashes of the rows that changed."""
    unmatched_images: tuple[str, ...]
    """File names with no label row (their annotations are skipped)."""
    unknown_categories: tuple[str, ...]
    """Class names skipped because of ``skip_unknown=True``."""
    skipped_annotations: int
    """Annotations on unmatched images or of skipped classes."""
    mode: ImportMode = ImportMode.ADD
    objects_removed: int = 0
    """Objects removed from rows by ``replace``."""
    rows_skipped: tuple[str, ...] = ()
    """Label hashes of rows left alone by ``skip-existing`` because they held objects."""


@dataclass(frozen=True)
class Region:
    """One object on one frame of one image, read from a file (coordinates in fractions)."""

    file_name: str
    class_name: str
    coordinates: Coordinates
    where: str
    frame: int = 0
    key: str | None = None
    """Ties regions of one object across frames (a track id, an object hash); None: alone."""
    confidence: float = 1.0
    manual: bool = True


def frame_file_name(file_name: str, frame: int) -> str:
    """The file name of one frame of a multi-frame item: ``clip.mp4#frame12``."""
    return f"{file_name}#frame{frame}"


def file_stem(file_name: str, frame: int | None = None) -> str:
    """The base name of an item's files in folder formats: ``img0``, ``clip#frame3``."""
    stem = Path(file_name).stem
    return stem if frame is None else f"{stem}#frame{frame}"


def stems_to_titles(rows: Mapping[str, LabelRow]) -> dict[str, str]:
    """File stems (frames included) -> the file names of ``rows``, for folder formats."""
    by_stem: dict[str, str] = {}
    for title, row in rows.items():
        by_stem[file_stem(title)] = title
        if row.number_of_frames > 1:
            for frame in range(row.number_of_frames):
                by_stem[file_stem(title, frame)] = frame_file_name(title, frame)
    return by_stem


def split_frame(file_name: str) -> tuple[str, int] | None:
    """``("clip.mp4", 12)`` for ``clip.mp4#frame12``; None without the suffix."""
    match = _FRAME_SUFFIX.match(file_name)
    return None if match is None else (match["base"], int(match["frame"]))


def box_from_edges(left: float, top: float, right: float, bottom: float) -> BoundingBoxCoordinates:
    """The box between these edges (fractions), sides rounded to 12 decimals (never below 0:
    edges that meet within rounding make an empty side)."""
    width, height = max(round(right - left, 12), 0.0), max(round(bottom - top, 12), 0.0)
    return BoundingBoxCoordinates(left, top, width, height)


def object_named(ontology: Ontology, name: str) -> ObjectClass | None:
    """The object class called exactly ``name``, or None."""
    try:
        found = ontology.get_object(name)
    except NotFoundError:
        return None
    return found if found.name == name else None


class Problems:
    """Problems found in an input, raised together as one :class:`LabelError`."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.lines.append(line)

    def raise_any(self) -> None:
        if not self.lines:
            return
        shown = self.lines[:_MAX_LINES]
        more = len(self.lines) - len(shown)
        lines = "\n".join(f"  - {p}" for p in shown) + (f"\n  ... and {more} more" if more else "")
        raise LabelError(f"{self.what} input rejected, nothing was imported:\n{lines}")


def finite(value: object, what: str) -> float:
    """``value`` as a float; :class:`LabelError` for NaN, infinities and non-numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise LabelError(f"{what} {value!r} is not a number")
    try:
        number = float(value)
    except ValueError:
        raise LabelError(f"{what} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise LabelError(f"{what} is {value!r}, not a finite number")
    return number


def unit(value: float, what: str, tolerance: float = 1e-6) -> float:
    """A fraction 0..1 (rounding slack clipped); :class:`LabelError` outside the image."""
    if value < -tolerance or value > 1 + tolerance:
        raise LabelError(f"{what} {value!r} lies outside the image (0..1)")
    return min(max(value, 0.0), 1.0)


def pixels(value: float, size: int, what: str) -> float:
    """Pixels -> a fraction of ``size``, refusing values outside the image (beyond rounding)."""
    if value < -1e-6 * size or value > size * (1 + 1e-6):
        raise LabelError(f"{what} {value!r} lies outside the image (0..{size})")
    return min(max(round(value / size, 12), 0.0), 1.0)


@dataclass
class _Group:
    row: LabelRow
    ontology_object: ObjectClass
    key: str | None
    frames: dict[int, Region] = field(default_factory=dict)


class RegionImporter:
    """Regions -> object instances on label rows, all checked before any row changes."""

    def __init__(
        self,
        what: str,
        ontology: Ontology,
        rows_by_file_name: Mapping[str, LabelRow],
        *,
        skip_unknown: bool = False,
        skip_unmatched: bool = False,
    ) -> None:
        self.problems = Problems(what)
        self.skip_unmatched = skip_unmatched
        self.ontology = ontology
        self.rows = rows_by_file_name
        self.skip_unknown = skip_unknown
        self.unmatched: dict[str, None] = {}
        self.unknown: dict[str, None] = {}
        self.named: dict[str, LabelRow] = {}
        self.skipped = 0
        self._classes: dict[str, ObjectClass | None] = {}
        self._matched: dict[str, tuple[LabelRow, int]] = {}

    def match(self, file_name: str) -> tuple[LabelRow, int] | None:
        """The row (and frame) a file name refers to, recording it as named by the file."""
        known = self._matched.get(file_name)
        if known is not None:
            return known
        row = self.rows.get(file_name)
        frame = 0
        if row is None:
            split = split_frame(file_name)
            if split is not None:
                row, frame = self.rows.get(split[0]), split[1]
        if row is None:
            self.unmatched.setdefault(file_name)
            return None
        if not row.is_labelling_initialised:
            self.problems.add(f"image {file_name!r}: its label row is not initialised")
            return None
        self.named.setdefault(row.label_hash, row)
        self._matched[file_name] = (row, frame)
        return row, frame

    def run(self, regions: Iterable[Region], mode: ImportMode) -> ImportReport:
        """Check and group ``regions``, then apply ``mode``; one error for every problem."""
        groups: dict[tuple[str, str], _Group] = {}
        for region in regions:
            self._region(region, groups)
        built = self._build(groups.values())
        self._unknown_classes()
        if self.unmatched and not self.skip_unmatched:
            self.problems.add(
                f"images {names(list(self.unmatched))} match no data item (matched by file "
                "name = data title); pass skip_unmatched=True (--skip-unmatched) to import the rest"
            )
        self.problems.raise_any()
        applied = apply_mode(list(self.named.values()), built, mode)
        return ImportReport(
            objects_added=applied.added,
            annotations_imported=applied.annotations,
            rows_changed=applied.changed,
            unmatched_images=tuple(self.unmatched),
            unknown_categories=tuple(self.unknown),
            skipped_annotations=self.skipped,
            mode=mode,
            objects_removed=applied.removed,
            rows_skipped=applied.skipped,
        )

    def _unknown_classes(self) -> None:
        if self.unknown and not self.skip_unknown:
            known = ", ".join(repr(o.name) for o in self.ontology.objects) or "none"
            self.problems.add(
                f"classes {', '.join(map(repr, self.unknown))} are not object classes of the "
                f"ontology ({known}); pass skip_unknown=True (--skip-unknown) to skip them"
            )

    def _class(self, name: str) -> ObjectClass | None:
        try:
            return self._classes[name]
        except KeyError:
            found = self._classes[name] = object_named(self.ontology, name)
            return found

    def _region(self, region: Region, groups: dict[tuple[str, str], _Group]) -> None:
        ontology_object = self._class(region.class_name)
        matched = self.match(region.file_name)
        if ontology_object is None:
            self.unknown.setdefault(region.class_name)
            self.skipped += 1
            return
        if matched is None:
            self.skipped += 1
            return
        row, frame = matched
        frame += region.frame
        key = (row.label_hash, region.key if region.key is not None else f"#{len(groups)}")
        group = groups.setdefault(key, _Group(row, ontology_object, region.key))
        if group.ontology_object is not ontology_object:
            self.problems.add(f"{region.where}: object {region.key!r} is given two classes")
        elif frame in group.frames:
            self.problems.add(f"{region.where}: object {region.key!r} is on frame {frame} twice")
        else:
            group.frames[frame] = region

    def _build(self, groups: Iterable[_Group]) -> list[Built]:
        built: list[Built] = []
        hashes: dict[str, set[str]] = {}
        for group in groups:
            row = group.row
            taken = hashes.get(row.label_hash)
            if taken is None:
                taken = set(row._objects)  # hashes only: stored objects stay unbuilt
                hashes[row.label_hash] = taken
            keep = bool(group.key and _HASH.match(group.key) and group.key not in taken)
            parts = [
                (frame, r.coordinates, r.confidence, r.manual) for frame, r in group.frames.items()
            ]
            try:
                made = checked_entry(group.ontology_object, group.key if keep else None, parts, row)
            except LabelError as exc:
                first = next(iter(group.frames.values()))
                self.problems.add(f"{first.where}: {exc}")
                continue
            taken.add(made.entry.object_hash)
            built.append(made)
        return built


@dataclass(frozen=True)
class Applied:
    """What :func:`apply_mode` did."""

    added: int
    annotations: int
    changed: tuple[str, ...]
    removed: int
    skipped: tuple[str, ...]


def apply_mode(named: Sequence[LabelRow], built: Sequence[Built], mode: ImportMode) -> Applied:
    """Add checked objects to their rows as ``mode`` says.

    ``named`` are the rows the input mentions (``replace`` clears each of them first,
    ``skip-existing`` leaves those holding objects alone).
    """
    skipped: dict[str, None] = {}
    if mode is ImportMode.SKIP_EXISTING:
        skipped = {r.label_hash: None for r in named if r._objects}
    removed = 0
    changed: dict[str, None] = {}
    if mode is ImportMode.REPLACE:
        for row in named:
            for instance in row.get_object_instances():
                row.remove_object_instance(instance)
                removed += 1
                changed.setdefault(row.label_hash)
    added = annotations = 0
    for made in built:
        label_hash = made.row.label_hash
        if label_hash in skipped:
            continue
        add_checked(made)
        added += 1
        annotations += made.frames
        changed.setdefault(label_hash)
    return Applied(added, annotations, tuple(changed), removed, tuple(skipped))


def names(given: Sequence[str], most: int = 5) -> str:
    """Up to ``most`` quoted names, then how many more."""
    shown = ", ".join(repr(n) for n in given[:most])
    return shown + (f" and {len(given) - most} more" if len(given) > most else "")
