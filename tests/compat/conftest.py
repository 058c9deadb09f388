"""The seed system's own test fixtures, rebuilt on a trial project.

Its tests run on an "ephemeral project": a workflow ``Agent 1 --complete--> Complete`` and an
ontology with a bounding-box object; the "one of each" dataset holds an image, an image
group, an image sequence, a PDF, audio, text and a video. Here the same shape is a real
SQLite store in a folder with real media written by the tests (Pillow, PyAV). The ported
tests change only imports and the account setup (``client=trial.client``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from annotask.media import write_test_audio, write_test_image_sequence, write_test_video
from annotask.testing import TrialProject, trial_project

AGENT_STAGE_NAME = "Agent 1"
COMPLETE_STAGE_NAME = "Complete"
AGENT_TO_COMPLETE_PATHWAY_NAME = "complete"

WORKFLOW: dict[str, Any] = {
    "stages": [
        {"name": AGENT_STAGE_NAME, "type": "agent", "pathways": {"complete": COMPLETE_STAGE_NAME}},
        {"name": COMPLETE_STAGE_NAME, "type": "complete"},
    ],
}

ONTOLOGY: dict[str, Any] = {
    "objects": [
        {
            "name": "Bird",
            "shape": "bounding_box",
            "attributes": [{"name": "Type", "type": "radio", "options": ["Bluejay", "Robin"]}],
        }
    ],
    "classifications": [
        {"name": "Checks", "type": "checklist", "options": ["sharp", "sunny"]},
        {"name": "sharp", "type": "radio", "options": ["yes", "no"]},
    ],
}


@dataclass
class Ephemeral:
    """A trial project shaped like the seed's ephemeral project, with its constants."""

    trial: TrialProject
    pathway_hash: str
    """AGENT_TO_COMPLETE_PATHWAY_HASH: the UUID of the ``complete`` pathway."""
    bbox_hash: str
    """BBOX_ONTOLOGY_HASH: the feature hash of the bounding-box object."""

    @property
    def project_hash(self) -> str:
        return self.trial.project_hash


def _ephemeral(trial: TrialProject) -> Ephemeral:
    stage = trial.project.workflow.get_stage(name=AGENT_STAGE_NAME)
    return Ephemeral(
        trial,
        str(stage.get_pathway(name=AGENT_TO_COMPLETE_PATHWAY_NAME).uuid),
        trial.project.ontology.get_object("Bird").feature_hash,
    )


@pytest.fixture
def ephemeral_image_project(tmp_path: Path) -> Ephemeral:
    """Seven small images (``0.png`` … ``6.png``)."""
    files = []
    for index in range(7):
        path = tmp_path / f"{index}.png"
        Image.new("RGB", (32, 24), (index * 30, 80, 160)).save(path)
        files.append(path)
    trial = trial_project(
        tmp_path / "store", files=files, workflow=WORKFLOW, ontology=ONTOLOGY, title="images"
    )
    return _ephemeral(trial)


@pytest.fixture(scope="module")
def one_of_each(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One asset of each data type: image, video, audio, PDF, text and an image sequence."""
    folder = tmp_path_factory.mktemp("one-of-each")
    image = folder / "image.png"
    Image.new("RGB", (40, 30), (200, 30, 30)).save(image)
    pdf = folder / "paper.pdf"
    Image.new("RGB", (40, 30), (255, 255, 255)).save(pdf)
    text = folder / "notes.txt"
    text.write_text("a plain text item\n", encoding="utf-8")
    sequence = folder / "sequence"
    write_test_image_sequence(sequence, frames=3, width=32, height=24)
    return {
        "image": image,
        "video": write_test_video(folder / "clip.mp4", frames=12, width=64, height=48),
        "audio": write_test_audio(folder / "sound.wav"),
        "pdf": pdf,
        "text": text,
        "sequence": sequence,
    }


@pytest.fixture
def ephemeral_project(tmp_path: Path, one_of_each: dict[str, Path]) -> Ephemeral:
    """The "one of each" dataset in the seed's workflow."""
    trial = trial_project(
        tmp_path / "store",
        files=list(one_of_each.values()),
        workflow=WORKFLOW,
        ontology=ONTOLOGY,
        title="one of each",
    )
    return _ephemeral(trial)
