"""Shared helpers of the CLI tests: definition files' text, an invoker type, table parsing."""

from __future__ import annotations

import re
from typing import Protocol

from typer.testing import Result

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
