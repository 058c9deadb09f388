"""The demo's vision half: media with ground truth, detectors, previews and the workspace.

Needs the ``demo`` extra (OpenCV and scikit-image); nothing here downloads anything.

- :func:`open_workspace` makes (or opens) a folder with a store, the demo media and a project
  whose ``Pre-label`` agent stage routes to ``Review`` (``has objects``) or ``Annotate``
  (``empty``).
- :func:`detect_objects` (:func:`detect_faces`, :func:`detect_shapes`) finds faces and
  coloured shapes in an RGB array; each :class:`Detection` has a box in fractions and a
  confidence in 0..1.
- :func:`write_preview` draws detections on a picture; :func:`write_contact_sheet` tiles them.
- :func:`pre_label` is the demo's task agent (:func:`make_runner` puts it on a runner);
  :func:`run_demo` is ``annotask demo`` without the printing.
"""

from __future__ import annotations

from annotask.demo.agent import dep_frames, make_runner, pre_label
from annotask.demo.detectors import (
    FACE,
    SHAPE_LABELS,
    Detection,
    box_iou,
    detect_faces,
    detect_objects,
    detect_shapes,
)
from annotask.demo.manifest import Box, DemoManifest, DemoMedia, MediaKind, TruthBox
from annotask.demo.pipeline import DemoRun, ItemSummary, run_demo
from annotask.demo.preview import draw_detections, write_contact_sheet, write_preview
from annotask.demo.scenes import Shape, media_file_names, write_demo_media
from annotask.demo.workspace import (
    DEMO_ONTOLOGY,
    DEMO_WORKFLOW,
    DemoWorkspace,
    objects_per_class,
    open_workspace,
    remove_workspace,
    tasks_per_stage,
)

__all__ = [
    "DEMO_ONTOLOGY",
    "DEMO_WORKFLOW",
    "FACE",
    "SHAPE_LABELS",
    "Box",
    "DemoManifest",
    "DemoMedia",
    "DemoRun",
    "DemoWorkspace",
    "Detection",
    "ItemSummary",
    "MediaKind",
    "Shape",
    "TruthBox",
    "box_iou",
    "dep_frames",
    "detect_faces",
    "detect_objects",
    "detect_shapes",
    "draw_detections",
    "make_runner",
    "media_file_names",
    "objects_per_class",
    "open_workspace",
    "pre_label",
    "remove_workspace",
    "run_demo",
    "tasks_per_stage",
    "write_contact_sheet",
    "write_demo_media",
    "write_preview",
]
