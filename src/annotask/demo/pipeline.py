"""``annotask demo`` without the printing: open the workspace, run the agent, draw previews.

:func:`run_demo` returns a :class:`DemoRun` saying what was there before, what the agent did,
what is there after and where the pictures are; the CLI prints it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from annotask.demo.agent import make_runner
from annotask.demo.detectors import Detection
from annotask.demo.manifest import DemoMedia, TruthBox
from annotask.demo.preview import write_contact_sheet, write_preview
from annotask.demo.workspace import (
    PREVIEWS_DIR,
    DemoWorkspace,
    objects_per_class,
    open_workspace,
)
from annotask.labels import BoundingBoxCoordinates, LabelRow
from annotask.media import first_frame, sample_frames
from annotask.tasks import RunReport

__all__ = ["CONTACT_SHEET", "DemoRun", "ItemSummary", "run_demo", "write_label_previews"]

log = logging.getLogger(__name__)

CONTACT_SHEET = "contact_sheet.png"


@dataclass(frozen=True, slots=True)
class ItemSummary:
    """One data item after the run: where its task is and what its label row holds."""

    name: str
    kind: str
    stage: str
    objects: dict[str, int]
    frames: int
    priority: float | None


@dataclass(slots=True)
class DemoRun:
    """What one ``annotask demo`` did."""

    root: Path
    store_url: str
    project_title: str
    project_hash: str
    created: bool
    """True when this run made the workspace; False when it found one."""
    before: dict[str, int]
    after: dict[str, int]
    objects: dict[str, int]
    items: list[ItemSummary]
    report: RunReport
    setup_seconds: float
    agent_seconds: float
    previews: list[Path] = field(default_factory=list)
    previews_written: bool = False
    """False when nothing changed and the previews of an earlier run were kept."""

    @property
    def contact_sheet(self) -> Path:
        """Every preview in one picture."""
        return self.root / PREVIEWS_DIR / CONTACT_SHEET

    @property
    def total_objects(self) -> int:
        """Objects in all label rows."""
        return sum(self.objects.values())


def run_demo(root: Path | str, *, fresh: bool = False, user: str | None = None) -> DemoRun:
    """Open (or make) the demo workspace in ``root``, pre-label what waits in ``Pre-label``,
    and draw the labels on previews. Running it again finds the work done and changes
    nothing; ``fresh`` starts over."""
    started = time.monotonic()
    with open_workspace(root, fresh=fresh, user=user) as ws:
        setup_seconds = time.monotonic() - started
        before = ws.tasks_per_stage()
        started = time.monotonic()
        report = make_runner(ws.project.project_hash, ws.client)()
        agent_seconds = time.monotonic() - started
        rows = ws.project.list_label_rows()
        for row in rows:
            row.initialise_labels()
        sheet = ws.previews_dir / CONTACT_SHEET
        stale = report.attempted > 0 or not sheet.exists()
        previews = write_label_previews(ws, rows) if stale else sorted(_previews(ws))
        return DemoRun(
            root=ws.root,
            store_url=ws.store_url,
            project_title=ws.project.title,
            project_hash=ws.project.project_hash,
            created=ws.created,
            before=before,
            after=ws.tasks_per_stage(),
            objects=objects_per_class(ws.project),
            items=[_summary(ws, row) for row in rows],
            report=report,
            setup_seconds=setup_seconds,
            agent_seconds=agent_seconds,
            previews=previews,
            previews_written=stale,
        )


def _previews(ws: DemoWorkspace) -> Iterator[Path]:
    return (p for p in ws.previews_dir.glob("*.png") if p.name != CONTACT_SHEET)


def _summary(ws: DemoWorkspace, row: LabelRow) -> ItemSummary:
    objects: dict[str, int] = {}
    for instance in row.get_object_instances():
        objects[instance.object_name] = objects.get(instance.object_name, 0) + 1
    frames = {f for i in row.get_object_instances() for f in i.get_annotation_frames()}
    return ItemSummary(
        name=row.data_title,
        kind=ws.media_named(row.data_title).kind,
        stage=row.workflow_stage or "?",
        objects=dict(sorted(objects.items())),
        frames=len(frames),
        priority=row.priority,
    )


def _detections(row: LabelRow) -> dict[int, list[Detection]]:
    """The row's boxes per frame, as detections (class, box, confidence)."""
    per_frame: dict[int, list[Detection]] = {}
    for instance in row.get_object_instances():
        for annotation in instance.get_annotations():
            box = annotation.coordinates
            if not isinstance(box, BoundingBoxCoordinates):
                continue
            found = Detection(
                instance.object_name,
                (box.top_left_x, box.top_left_y, box.width, box.height),
                annotation.confidence,
            )
            per_frame.setdefault(annotation.frame, []).append(found)
    return per_frame


def write_label_previews(ws: DemoWorkspace, rows: list[LabelRow]) -> list[Path]:
    """Draw every row's saved boxes on its picture (a video: on each labelled frame), with
    the ground truth of rendered media in thin white, and tile them all into a contact sheet.

    Rows must be initialised. Earlier previews are removed first.
    """
    for old in ws.previews_dir.glob("*.png"):
        old.unlink()
    written: list[Path] = []
    for row in sorted(rows, key=lambda r: r.data_title):
        written += _row_previews(ws, row)
    if written:
        write_contact_sheet(written, ws.previews_dir / CONTACT_SHEET, columns=4)
    log.info("wrote %d previews and a contact sheet to %s", len(written), ws.previews_dir)
    return written


def _row_previews(ws: DemoWorkspace, row: LabelRow) -> list[Path]:
    media = ws.media_named(row.data_title)
    found = _detections(row)
    where = f"-> {row.workflow_stage}"
    if media.kind != "video":
        rgb = first_frame(media.path, row.data_type)
        title = f"{media.name} {where}"
        path = ws.previews_dir / f"{media.path.stem}.png"
        return [write_preview(rgb, found.get(0, []), path, truth=_truth(media, 0), title=title)]
    written = []
    with sample_frames(media.path, sorted(found)) as frames:
        for frame in frames:
            title = f"{media.name}, frame {frame.frame} {where}"
            path = ws.previews_dir / f"{media.path.stem}_frame{frame.frame:03d}.png"
            truth = _truth(media, frame.frame)
            written.append(
                write_preview(frame.content, found[frame.frame], path, truth=truth, title=title)
            )
    return written


def _truth(media: DemoMedia, frame: int) -> tuple[TruthBox, ...]:
    if media.truth is None:
        return ()
    return media.truth.get(frame, ())
