"""Trying agents offline: a small real project in a folder, and assertions on where tasks went.

In a pytest test::

    from annotask.testing import trial_project
    from annotask.tasks import Runner

    def test_routing(tmp_path):
        trial = trial_project(tmp_path, images=3, workflow=WORKFLOW)
        runner = Runner(trial.project_hash, client=trial.client)

        @runner.stage("Pre-label")
        def route(task: AgentTask) -> str:
            return "empty"

        runner()
        trial.assert_stages({"image-0.png": "Annotate", "image-1.png": "Annotate"})

The store is a real SQLite file in the folder; images are real PNGs written with Pillow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotask.client import Client, Dataset, Project
from annotask.labels import LabelRow
from annotask.media import write_test_image

__all__ = ["DEFAULT_ONTOLOGY", "TrialProject", "trial_project"]

DEFAULT_ONTOLOGY: dict[str, Any] = {
    "objects": [{"name": "object", "shape": "bounding_box"}],
    "classifications": [],
}
"""The ontology a trial project gets unless one is given: one bounding-box class."""


@dataclass
class TrialProject:
    """A project in a folder, with helpers to see and assert where each task is."""

    client: Client
    dataset: Dataset
    project: Project
    folder: Path

    @property
    def project_hash(self) -> str:
        """The project's hash, for ``Runner(project_hash, client=trial.client)``."""
        return self.project.project_hash

    def stages(self) -> dict[str, str]:
        """Data title → name of the stage its task is in."""
        names = {str(s.uuid): s.name for s in self.project.workflow.stages}
        return {t.data_title: names[str(t.stage_uuid)] for t in self.project.list_tasks()}

    def titles_in(self, stage: str) -> list[str]:
        """Data titles of the tasks in a stage, sorted."""
        return sorted(title for title, where in self.stages().items() if where == stage)

    def label_row(self, data_title: str) -> LabelRow:
        """The initialised label row of a data item."""
        rows = [r for r in self.project.list_label_rows() if r.data_title == data_title]
        if not rows:
            raise AssertionError(f"no data item titled {data_title!r} in the trial project")
        rows[0].initialise_labels()
        return rows[0]

    def assert_stages(self, expected: Mapping[str, str]) -> None:
        """Assert that each named data item's task is in the given stage."""
        actual = self.stages()
        wrong = {
            title: (stage, actual.get(title, "(no such item)"))
            for title, stage in expected.items()
            if actual.get(title) != stage
        }
        if wrong:
            lines = [f"  {t}: expected {e!r}, is in {a!r}" for t, (e, a) in sorted(wrong.items())]
            raise AssertionError("tasks are not where expected:\n" + "\n".join(lines))

    def assert_all_in(self, stage: str) -> None:
        """Assert that every task is in ``stage``."""
        self.assert_stages(dict.fromkeys(self.stages(), stage))


def trial_project(
    folder: Path,
    *,
    workflow: Mapping[str, Any] | str | Path,
    files: Sequence[Path | str] | Mapping[Path | str, Mapping[str, Any]] = (),
    images: int = 0,
    ontology: Mapping[str, Any] | str | Path = DEFAULT_ONTOLOGY,
    user: str = "tester",
    title: str = "trial",
) -> TrialProject:
    """A project over ``files`` plus ``images`` generated PNGs, in ``folder``.

    ``files`` may map each path to its client metadata. Generated images are named
    ``image-0.png``, ``image-1.png``, … and differ in colour.
    """
    folder.mkdir(parents=True, exist_ok=True)
    items: dict[Path | str, Mapping[str, Any]] = (
        dict(files) if isinstance(files, Mapping) else {f: {} for f in files}
    )
    for index in range(images):
        path = folder / f"image-{index}.png"
        write_test_image(path, width=64, height=48, index=index)
        items[path] = {}
    client = Client(f"sqlite:///{folder / 'trial.db'}", user=user)
    dataset = client.create_dataset(f"{title} data")
    dataset.add_items(items)
    project = client.create_project(title, datasets=[dataset], ontology=ontology, workflow=workflow)
    return TrialProject(client, dataset, project, folder)
