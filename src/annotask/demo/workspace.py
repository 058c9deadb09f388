"""The demo workspace: a folder holding a store, the demo media and a pre-labeling project.

``open_workspace(folder)`` makes the workspace the first time and opens it every time after
(saying so through :attr:`DemoWorkspace.created`); ``fresh=True`` removes what an earlier run
made — and nothing else in the folder — and starts over. The folder holds::

    annotask.db            the store (SQLite), with -wal/-shm files beside it while open
    media/                 photos, rendered scenes and the video (see annotask.demo.scenes)
    previews/              preview PNGs, for whoever draws them
    annotask-demo.json     what the demo made: store, project, dataset, manifest (written last)
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from annotask.client import Client, Dataset, Project
from annotask.demo.manifest import DemoManifest, DemoMedia
from annotask.demo.scenes import media_file_names, write_demo_media
from annotask.errors import AnnotaskError, ValidationError

__all__ = [
    "DATASET_TITLE",
    "DEMO_ONTOLOGY",
    "DEMO_WORKFLOW",
    "MARKER_FILE",
    "MEDIA_DIR",
    "PREVIEWS_DIR",
    "PROJECT_TITLE",
    "STORE_FILE",
    "DemoWorkspace",
    "objects_per_class",
    "open_workspace",
    "remove_workspace",
    "tasks_per_stage",
]

log = logging.getLogger(__name__)

STORE_FILE = "annotask.db"
MEDIA_DIR = "media"
PREVIEWS_DIR = "previews"
MARKER_FILE = "annotask-demo.json"
DATASET_TITLE = "demo media"
PROJECT_TITLE = "demo pre-labeling"
_MARKER_VERSION = 1
_STORE_SIDECARS = ("-wal", "-shm", "-journal")

DEMO_WORKFLOW: dict[str, Any] = {
    "start": "Pre-label",
    "stages": [
        {
            "name": "Pre-label",
            "type": "agent",
            "pathways": {"has objects": "Review", "empty": "Annotate"},
        },
        {"name": "Annotate", "type": "annotation", "pathways": {"submit": "Review"}},
        {
            "name": "Review",
            "type": "review",
            "pathways": {"approve": "Complete", "reject": "Annotate"},
        },
        {"name": "Complete", "type": "complete"},
    ],
}
"""The demo project's workflow: an agent pre-labels, humans review or annotate."""

DEMO_ONTOLOGY: dict[str, Any] = {
    "objects": [
        {"name": name, "shape": "bounding_box"}
        for name in ("face", "circle", "rectangle", "triangle")
    ],
}
"""The demo project's ontology: one bounding-box class per thing the detectors find."""


@dataclass(slots=True)
class DemoWorkspace:
    """An open demo workspace. Close it (or use it in a ``with`` block) to release the store."""

    root: Path
    client: Client
    dataset: Dataset
    project: Project
    manifest: DemoManifest
    created: bool
    """True when this call made the workspace; False when it opened an existing one."""

    @property
    def store_url(self) -> str:
        """The store's URL (an SQLite file in the workspace)."""
        return self.client.url

    @property
    def media_dir(self) -> Path:
        """Where the demo media are."""
        return self.root / MEDIA_DIR

    @property
    def previews_dir(self) -> Path:
        """Where preview PNGs go (made on first use)."""
        return self.root / PREVIEWS_DIR

    def media_named(self, name: str) -> DemoMedia:
        """The manifest entry of a storage item or label row by its name (the file name)."""
        return self.manifest.by_name(name)

    def tasks_per_stage(self) -> dict[str, int]:
        """Tasks in each stage of the demo project, in workflow order."""
        return tasks_per_stage(self.project)

    def close(self) -> None:
        """Release the store."""
        self.client.close()

    def __enter__(self) -> DemoWorkspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def tasks_per_stage(project: Project) -> dict[str, int]:
    """How many tasks each stage holds (all statuses), every stage listed, in workflow order."""
    return {stage: sum(counts.values()) for stage, counts in project.task_counts().items()}


def objects_per_class(project: Project) -> dict[str, int]:
    """How many object instances of each ontology class the project's label rows hold."""
    counts = {obj.name: 0 for obj in project.ontology.objects}
    for row in project.list_label_rows():
        row.initialise_labels()
        for instance in row.get_object_instances():
            counts[instance.object_name] = counts.get(instance.object_name, 0) + 1
    return counts


def open_workspace(
    root: Path | str, *, fresh: bool = False, user: str | None = None
) -> DemoWorkspace:
    """Open the demo workspace in ``root``, making it first if needed (or if ``fresh``).

    ``user`` defaults to whoever made the workspace, else annotask's usual default. A folder
    holding leftovers of an interrupted run (a store or media but no record of the demo) is
    refused unless ``fresh`` is given.
    """
    root = Path(root).expanduser().absolute()
    if fresh:
        remove_workspace(root)
    marker = root / MARKER_FILE
    if marker.exists():
        return _reopen(root, _read_marker(marker), user)
    leftovers = [p for p in _demo_files(root) if p.exists()]
    if leftovers:
        raise ValidationError(
            f"{root} holds files of an unfinished demo workspace ("
            + ", ".join(p.name for p in leftovers)
            + "); start over with fresh=True"
        )
    return _create(root, user)


def remove_workspace(root: Path | str) -> list[Path]:
    """Delete what the demo made in ``root`` (and only that); return the paths removed.

    That is the store, the media files the demo writes, preview PNGs and the demo's record;
    anything else stays, and so do the folders holding it.
    """
    root = Path(root).expanduser().absolute()
    previews = root / PREVIEWS_DIR
    made = [*_demo_files(root), *sorted(previews.glob("*.png"))]
    removed = [p for p in made if _unlink(p)]
    removed += [d for d in (root / MEDIA_DIR, previews) if _rmdir_if_empty(d)]
    if removed:
        log.info("removed %d files and folders of the demo workspace in %s", len(removed), root)
    return removed


def _create(root: Path, user: str | None) -> DemoWorkspace:
    root.mkdir(parents=True, exist_ok=True)
    client: Client | None = None
    try:
        manifest = write_demo_media(root / MEDIA_DIR)
        client = Client(f"sqlite:///{root / STORE_FILE}", user=user)
        dataset = client.create_dataset(DATASET_TITLE, "Photos, rendered scenes and a video.")
        dataset.add_items({item.path: _item_metadata(item) for item in manifest})
        ontology = client.create_ontology("demo objects", DEMO_ONTOLOGY)
        project = client.create_project(
            PROJECT_TITLE,
            datasets=[dataset],
            ontology=ontology,
            workflow=DEMO_WORKFLOW,
            description="Pre-label with a face and shape detector, then review.",
        )
        _write_marker(root, client.user, dataset, project, manifest)
    except BaseException:
        if client is not None:
            client.close()
        remove_workspace(root)
        raise
    log.info("made the demo workspace in %s", root)
    return DemoWorkspace(root, client, dataset, project, manifest, created=True)


def _item_metadata(item: DemoMedia) -> dict[str, Any]:
    return {"demo": {"kind": item.kind, "source": item.source}}


def _reopen(root: Path, record: dict[str, Any], user: str | None) -> DemoWorkspace:
    client = Client(f"sqlite:///{root / record['store']}", user=user or record["user"])
    try:
        dataset = client.get_dataset(record["dataset"])
        project = client.get_project(record["project"])
        manifest = DemoManifest.from_dict(record["manifest"])
    except AnnotaskError as exc:
        client.close()
        raise ValidationError(
            f"the demo workspace in {root} is damaged ({exc}); start over with fresh=True"
        ) from exc
    except BaseException:
        client.close()
        raise
    log.info("opened the existing demo workspace in %s", root)
    return DemoWorkspace(root, client, dataset, project, manifest, created=False)


def _write_marker(
    root: Path, user: str, dataset: Dataset, project: Project, manifest: DemoManifest
) -> None:
    record = {
        "version": _MARKER_VERSION,
        "store": STORE_FILE,
        "user": user,
        "dataset": dataset.dataset_hash,
        "project": project.project_hash,
        "manifest": manifest.to_dict(),
    }
    partial = root / f"{MARKER_FILE}.partial"
    partial.write_text(json.dumps(record, indent=2), encoding="utf-8")
    os.replace(partial, root / MARKER_FILE)


def _read_marker(marker: Path) -> dict[str, Any]:
    try:
        record: dict[str, Any] = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(
            f"{marker} cannot be read ({exc}); start over with fresh=True"
        ) from exc
    if record.get("version") != _MARKER_VERSION:
        raise ValidationError(
            f"{marker} was written by another version of the demo; start over with fresh=True"
        )
    return record


def _demo_files(root: Path) -> list[Path]:
    """Every file the demo writes (not the previews, whose names follow the media)."""
    store = root / STORE_FILE
    return [
        store,
        *(store.with_name(store.name + suffix) for suffix in _STORE_SIDECARS),
        *(root / MEDIA_DIR / name for name in media_file_names()),
        root / f"{MARKER_FILE}.partial",
        root / MARKER_FILE,
    ]


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _rmdir_if_empty(folder: Path) -> bool:
    if not folder.is_dir() or any(folder.iterdir()):
        return False
    folder.rmdir()
    return True
