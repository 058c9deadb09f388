"""Shared helpers of the CLI tests: definition files' text, an invoker type, table parsing."""

from __future__ import annotations

import re
from typing import Protocol

from typer.testing import Result

import annotask
from annotask.labels import BoundingBoxCoordinates, ObjectInstance
from annotask.store import catalog

UUID_RE = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")

WORKFLOW_YAML = """\
start: Pre-label
stages:
  - {name: Pre-label, type: agent,      pathways: {has objects: Review, empty: Annotate}}
  - {name: Annotate,  type: annotation, pathways: {submit: Review}}
  - {name: Review,    type: review,     pathways: {approve: Complete, reject: Annotate}}
  - {name: Complete,  type: complete}
"""

ONTOLOGY_YAML = """\
objects:
  - name: car
    shape: bounding_box
    attributes:
      - {name: occluded, type: radio, options: [yes, no]}
      - {name: colour, type: text, dynamic: true}
  - name: person
    shape: skeleton
    keypoints: [head, left_hand, right_hand]
    edges: [[head, left_hand], [head, right_hand]]
classifications:
  - name: weather
    type: radio
    options: [sunny, rain, {name: snow, questions: [{name: depth, type: numeric}]}]
  - {name: tags, type: checklist, options: [blurry, night]}
"""


class Invoke(Protocol):
    def __call__(self, *args: str, user: str = ..., code: int = ...) -> Result: ...


def task_uuids(result: Result) -> list[str]:
    """Task UUIDs of a ``tasks list`` table, top to bottom."""
    return [m.group(0) for line in result.stdout.splitlines() if (m := UUID_RE.search(line))]


def row_of(result: Result, task: str) -> str:
    """The line of a ``tasks list`` table that shows ``task``."""
    return next(line for line in result.stdout.splitlines() if task in line)


def record_sizes(db_url: str, width: int, height: int) -> None:
    """Record every storage item's pixel size, as probing at registration does."""
    with annotask.Client(db_url, user="alice") as client:
        items = [item for d in client.list_datasets() for item in d.list_items()]
        changes = {
            str(item.uuid): {"properties": {**item.properties, "width": width, "height": height}}
            for item in items
        }
        with client.store.write() as conn:
            catalog.update_storage_items(conn, changes)


def add_boxes(db_url: str, project: str, data_title: str, *xs: float) -> None:
    """Save one version of a row per x: a car box at ``x`` added each time."""
    with annotask.Client(db_url, user="alice") as client:
        row = client.get_project(project).get_label_row(data_title)
        row.initialise_labels()
        for x in xs:
            car = ObjectInstance(row.ontology.get_object("car"))
            car.set_for_frames(BoundingBoxCoordinates(x, 0.25, 0.25, 0.5), confidence=0.75)
            row.add_object_instance(car)
            row.save()


def boxes(db_url: str, project: str) -> dict[str, list[tuple[float, ...]]]:
    """Data title -> the (x, y, w, h, confidence) of each car box, sorted; what a row holds."""
    with annotask.Client(db_url, user="alice") as client:
        rows = client.get_project(project).list_label_rows()
        found: dict[str, list[tuple[float, ...]]] = {}
        for row in rows:
            row.initialise_labels()
            found[row.data_title] = sorted(
                (*_box(a.coordinates), a.confidence)
                for i in row.get_object_instances()
                for a in i.get_annotations()
            )
        return found


def versions(db_url: str, project: str) -> dict[str, int]:
    """Data title -> the label row's saved version."""
    with annotask.Client(db_url, user="alice") as client:
        return {r.data_title: r.version for r in client.get_project(project).list_label_rows()}


def data_hash(db_url: str, project: str, data_title: str) -> str:
    """The data hash of the item titled ``data_title``."""
    with annotask.Client(db_url, user="alice") as client:
        return client.get_project(project).get_label_row(data_title).data_hash


def _box(coordinates: object) -> tuple[float, ...]:
    assert isinstance(coordinates, BoundingBoxCoordinates)
    c = coordinates
    return tuple(round(v, 6) for v in (c.top_left_x, c.top_left_y, c.width, c.height))
