"""What the demo wrote: each file, its kind and source, and the ground truth of rendered media."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["Box", "DemoManifest", "DemoMedia", "MediaKind", "TruthBox"]

MediaKind = Literal["photo", "scene", "video"]
Box = tuple[float, float, float, float]
"""``(x, y, w, h)``: the top-left corner, width and height as fractions (0..1) of the image."""


@dataclass(frozen=True, slots=True)
class TruthBox:
    """A ground-truth object: its class and box ``(x, y, w, h)`` as fractions of the image."""

    label: str
    box: Box


@dataclass(frozen=True, slots=True)
class DemoMedia:
    """One file the demo wrote.

    ``truth`` maps frame → the objects in it, for rendered media (an empty tuple: known to be
    empty); it is ``None`` for photographs, whose contents nobody boxed.
    """

    path: Path
    kind: MediaKind
    source: str
    width: int
    height: int
    frames: int = 1
    truth: Mapping[int, tuple[TruthBox, ...]] | None = None

    @property
    def name(self) -> str:
        """The file name (what the storage item is called)."""
        return self.path.name

    @property
    def expects_objects(self) -> bool | None:
        """Whether any frame holds an object (``None`` when there is no ground truth)."""
        if self.truth is None:
            return None
        return any(self.truth.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (paths as strings, boxes as lists)."""
        truth = None
        if self.truth is not None:
            truth = {
                str(f): [{"label": t.label, "box": list(t.box)} for t in boxes]
                for f, boxes in self.truth.items()
            }
        return {
            "path": str(self.path),
            "kind": self.kind,
            "source": self.source,
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
            "truth": truth,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DemoMedia:
        """Inverse of :meth:`to_dict`."""
        raw = data.get("truth")
        truth = None
        if raw is not None:
            truth = {
                int(f): tuple(TruthBox(t["label"], _box(t["box"])) for t in boxes)
                for f, boxes in raw.items()
            }
        return cls(
            Path(data["path"]),
            data["kind"],
            data["source"],
            int(data["width"]),
            int(data["height"]),
            int(data["frames"]),
            truth,
        )


def _box(values: Sequence[float]) -> Box:
    x, y, w, h = (float(v) for v in values)
    return (x, y, w, h)


@dataclass(frozen=True, slots=True)
class DemoManifest:
    """What :func:`write_demo_media` wrote, in order."""

    folder: Path
    items: tuple[DemoMedia, ...] = field(default_factory=tuple)

    def __iter__(self) -> Iterator[DemoMedia]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def by_name(self, name: str) -> DemoMedia:
        """The item whose file is called ``name``."""
        for item in self.items:
            if item.name == name:
                return item
        raise KeyError(f"the demo wrote no file named {name!r}")

    def of_kind(self, kind: MediaKind) -> list[DemoMedia]:
        """The photos, the scenes or the videos."""
        return [item for item in self.items if item.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"folder": str(self.folder), "items": [item.to_dict() for item in self.items]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DemoManifest:
        """Inverse of :meth:`to_dict`."""
        return cls(Path(data["folder"]), tuple(DemoMedia.from_dict(i) for i in data["items"]))
