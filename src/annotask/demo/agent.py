"""The demo's pre-labeling agent: faces and shapes boxed on images and on sampled video frames.

One agent serves the ``Pre-label`` stage for every kind of item. It asks for its pixels
through :func:`dep_frames`, a dependency that looks at the storage item and dispatches:
images get their one picture from :func:`~annotask.tasks.dependencies.dep_single_frame`,
videos get every tenth frame from :func:`~annotask.tasks.dependencies.dep_video_sampler`
(whose decoder is closed when the task ends). The agent adds an ``ObjectInstance`` per object
found — on a video, one instance per object followed from sampled frame to sampled frame —
with the detector's confidence on every box, records what it did in the item's
``client_metadata``, and returns a :class:`~annotask.tasks.TaskAgentReturnStruct`:

- pathway ``has objects`` (to Review) or ``empty`` (to Annotate);
- the label row, saved with the move in the same transaction;
- a priority of ``1 - lowest confidence`` (doubtful pre-labels are reviewed first), or
  ``0.0`` when nothing was found.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated
from uuid import UUID

from annotask.client import Client, StorageItem
from annotask.datatypes import DataType
from annotask.demo.detectors import Detection, detect_objects
from annotask.labels import LabelRow, ObjectInstance
from annotask.media import Frame
from annotask.tasks import Depends, Runner, TaskAgentReturnStruct
from annotask.tasks.dependencies import dep_single_frame, dep_video_sampler

__all__ = [
    "EMPTY",
    "HAS_OBJECTS",
    "STAGE",
    "VIDEO_SAMPLE_RATE",
    "dep_frames",
    "make_runner",
    "pre_label",
    "priority_from",
]

log = logging.getLogger(__name__)

STAGE = "Pre-label"
HAS_OBJECTS = "has objects"
EMPTY = "empty"
VIDEO_SAMPLE_RATE = 1 / 10
"""The share of a video's frames the agent looks at: frames 0, 10, 20, …"""

_MAX_STEP = 0.25
"""How far (as a fraction of the picture) an object may move between two sampled frames and
still be taken for the same object."""


def dep_frames(storage_item: StorageItem) -> Generator[Iterator[Frame], None, None]:
    """The frames worth looking at: an image's picture, or a sample of a video's frames.

    A dependency may use other dependencies as plain functions: here the item's type picks
    which one (a dependency that asked for both would fail on images, since
    ``dep_video_sampler`` raises ``NotImplementedError`` for anything but video).
    """
    if storage_item.item_type is DataType.VIDEO:
        with contextmanager(dep_video_sampler)(storage_item) as sample:
            yield iter(sample(VIDEO_SAMPLE_RATE))
    else:
        yield iter([Frame(0, dep_single_frame(storage_item))])


@dataclass
class _Track:
    """One object followed across frames: its label-row instance and where it was last."""

    instance: ObjectInstance
    last: Detection
    confidences: list[float] = field(default_factory=list)


def _distance(a: Detection, b: Detection) -> float:
    ax, ay, aw, ah = a.box
    bx, by, bw, bh = b.box
    return math.hypot((ax + aw / 2) - (bx + bw / 2), (ay + ah / 2) - (by + bh / 2))


def _nearest(tracks: Sequence[_Track], found: Detection) -> _Track | None:
    near = [
        t for t in tracks if t.last.label == found.label and _distance(t.last, found) <= _MAX_STEP
    ]
    return min(near, key=lambda t: _distance(t.last, found), default=None)


class _Tracker:
    """Adds detections to a label row, one instance per object across frames."""

    def __init__(self, label_row: LabelRow) -> None:
        self.label_row = label_row
        self.tracks: list[_Track] = []

    def add(self, frame: int, detections: Sequence[Detection]) -> None:
        """Place each detection of ``frame`` on the nearest unmatched object, or a new one."""
        free = list(self.tracks)
        for found in detections:  # most confident first, so they choose first
            track = _nearest(free, found)
            if track is None:
                ontology_object = self.label_row.ontology.get_object(found.label)
                track = _Track(ObjectInstance(ontology_object), found)
                self.tracks.append(track)
            else:
                free.remove(track)
            track.instance.set_for_frames(
                found.bounding_box(),
                frames=frame,
                confidence=found.confidence,
                manual_annotation=False,
                created_by="demo-agent",
            )
            track.last = found
            track.confidences.append(found.confidence)

    def commit(self) -> None:
        """Put every object into the label row."""
        for track in self.tracks:
            self.label_row.add_object_instance(track.instance)


def priority_from(confidences: Sequence[float]) -> float:
    """``1 - min(confidences)``: the least sure pre-labels first; ``0.0`` for none."""
    return round(1.0 - min(confidences), 4) if confidences else 0.0


def pre_label(
    label_row: LabelRow,
    storage_item: StorageItem,
    frames: Annotated[Iterator[Frame], Depends(dep_frames)],
) -> TaskAgentReturnStruct:
    """Box faces and shapes, route by whether anything was found, set the priority."""
    tracker = _Tracker(label_row)
    scanned = 0
    for frame in frames:
        tracker.add(frame.frame, detect_objects(frame.content))
        scanned += 1
    tracker.commit()
    confidences = [c for track in tracker.tracks for c in track.confidences]
    storage_item.update(
        client_metadata={
            **storage_item.client_metadata,
            "pre_label": {"objects": len(tracker.tracks), "frames_scanned": scanned},
        }
    )
    log.debug("%s: %d object(s) on %d frame(s)", storage_item.name, len(tracker.tracks), scanned)
    return TaskAgentReturnStruct(
        pathway=HAS_OBJECTS if tracker.tracks else EMPTY,
        label_row=label_row,
        label_row_priority=priority_from(confidences),
    )


def make_runner(project_hash: str | UUID, client: Client) -> Runner:
    """A runner on the demo project with :func:`pre_label` on its ``Pre-label`` stage."""
    runner = Runner(project_hash, client=client)
    runner.stage(STAGE)(pre_label)
    return runner
