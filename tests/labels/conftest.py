"""Shared fixtures for the labels tests: an ontology with every shape, rows over a backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from annotask.datatypes import DataType
from annotask.labels import LabelRow, MemoryLabelBackend, Ontology

ONTOLOGY_YAML = """
objects:
  - name: car
    shape: bounding_box
    attributes:
      - {name: occluded, type: radio, options: [yes, no]}
      - {name: colour, type: text, dynamic: true}
      - name: damage
        type: radio
        options: [none, {name: dented, questions: [{name: dents, type: numeric}]}]
  - name: person
    shape: skeleton
    keypoints: [head, left_hand, right_hand]
    edges: [[head, left_hand], [head, right_hand]]
  - {name: road, shape: polygon}
  - {name: lane, shape: polyline}
  - {name: sign, shape: point}
  - {name: truck, shape: rotatable_bounding_box}
  - name: puddle
    shape: bitmask
    attributes:
      - {name: depth, type: numeric, dynamic: true}
      - {name: state, type: checklist, options: [frozen, muddy], dynamic: true}
classifications:
  - name: weather
    type: radio
    options: [sunny, rain, {name: snow, questions: [{name: depth, type: numeric}]}]
  - {name: tags, type: checklist, options: [blurry, night]}
  - {name: caption, type: text}
"""


@pytest.fixture
def ontology_path(tmp_path: Path) -> Path:
    path = tmp_path / "ontology.yaml"
    path.write_text(ONTOLOGY_YAML)
    return path


@pytest.fixture
def ontology(ontology_path: Path) -> Ontology:
    return Ontology.from_file(ontology_path)


@pytest.fixture
def backend() -> MemoryLabelBackend:
    return MemoryLabelBackend(user="tester")


RowFactory = Callable[..., LabelRow]


@pytest.fixture
def make_row(ontology: Ontology, backend: MemoryLabelBackend) -> RowFactory:
    """A fresh, initialised row over ``backend``; keyword arguments go to ``create_row``."""

    def make(**kwargs: Any) -> LabelRow:
        kwargs.setdefault("data_title", "street.jpg")
        kwargs.setdefault("width", 64)
        kwargs.setdefault("height", 48)
        meta = backend.create_row(**kwargs)
        row = LabelRow(meta, ontology, backend)
        row.initialise_labels()
        return row

    return make


@pytest.fixture
def video_row(make_row: RowFactory) -> LabelRow:
    return make_row(data_title="drive.mp4", data_type=DataType.VIDEO, number_of_frames=10, fps=25.0)


@pytest.fixture
def image_row(make_row: RowFactory) -> LabelRow:
    return make_row()


FORMAT_WIDTH, FORMAT_HEIGHT = 64, 48


@pytest.fixture
def image_files(tmp_path: Path) -> list[Path]:
    """Three small real PNG images (64x48) for the formats that carry images."""
    folder = tmp_path / "media"
    folder.mkdir()
    paths = []
    for i in range(3):
        path = folder / f"img{i}.png"
        Image.new("RGB", (FORMAT_WIDTH, FORMAT_HEIGHT), (40 * i, 90, 160)).save(path)
        paths.append(path)
    return paths


@pytest.fixture
def fresh_rows(make_row: RowFactory, image_files: list[Path]) -> Callable[[], dict[str, LabelRow]]:
    """Rows with no labels over ``image_files``, by file name (a new set each call)."""

    def make() -> dict[str, LabelRow]:
        return {
            p.name: make_row(data_title=p.name, width=FORMAT_WIDTH, height=FORMAT_HEIGHT)
            for p in image_files
        }

    return make
