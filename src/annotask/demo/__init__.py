"""The demo's vision half: media with ground truth, detectors, previews and the workspace.

Needs the ``demo`` extra (OpenCV and scikit-image); nothing here downloads anything.
"""

from __future__ import annotations

from annotask.demo.manifest import Box, DemoManifest, DemoMedia, MediaKind, TruthBox
from annotask.demo.scenes import Shape, write_demo_media

__all__ = [
    "Box",
    "DemoManifest",
    "DemoMedia",
    "MediaKind",
    "Shape",
    "TruthBox",
    "write_demo_media",
]
