"""Label transfer between twin projects: copy the boxes of a source project into this one.

Run it:
    python examples/twin_label_transfer.py [FOLDER]
builds, in FOLDER (default: a temporary folder), a dataset of four images, a source project
where two of them already have boxes, and a sink project on the same data whose ``Transfer``
agent copies them over; it prints what was copied. The test suite runs every example this
way. On a store of your own (set SOURCE_PROJECT to your source project's hash or title):
    annotask --db URL run examples/twin_label_transfer.py --project-hash SINK_HASH

``dep_twin_label_row`` reads the twin when each task runs (never at import), and raises
``AuthorizationError`` if the runner's user may not read the source project.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

from annotask.labels import BoundingBoxCoordinates, LabelRow, ObjectInstance
from annotask.tasks import Depends, Runner, TaskAgentReturnStruct
from annotask.tasks.dependencies import Twin, dep_twin_label_row
from annotask.testing import trial_project

SOURCE_PROJECT = "source labels"

SINK_WORKFLOW: dict[str, Any] = {
    "start": "Transfer",
    "stages": [
        {
            "name": "Transfer",
            "type": "agent",
            "pathways": {"copied": "Review", "nothing to copy": "Annotate"},
        },
        {"name": "Annotate", "type": "annotation", "pathways": {"submit": "Review"}},
        {"name": "Review", "type": "review", "pathways": {"approve": "Done", "reject": "Annotate"}},
        {"name": "Done", "type": "complete"},
    ],
}
SOURCE_WORKFLOW: dict[str, Any] = {
    "stages": [
        {"name": "Label", "type": "annotation", "pathways": {"submit": "Done"}},
        {"name": "Done", "type": "complete"},
    ]
}

runner = Runner()


@runner.stage("Transfer")
def transfer(
    label_row: LabelRow,
    twin: Annotated[Twin | None, Depends(dep_twin_label_row(twin_project_hash=SOURCE_PROJECT))],
) -> TaskAgentReturnStruct:
    source = twin.label_row.get_object_instances() if twin is not None else []
    for instance in source:
        label_row.add_object_instance(instance.copy())  # a copy: the source row keeps its own
    return TaskAgentReturnStruct(
        pathway="copied" if source else "nothing to copy", label_row=label_row
    )


def label_source(rows: list[LabelRow]) -> None:
    """Give the first two images of the source project a box each, as a person would."""
    for row in rows[:2]:
        row.initialise_labels()
        box = ObjectInstance(row.ontology.get_object("object"))
        box.set_for_frames(
            BoundingBoxCoordinates(top_left_x=0.1, top_left_y=0.2, width=0.5, height=0.4)
        )
        row.add_object_instance(box)
        row.save()


def main(folder: Path) -> None:
    sink = trial_project(folder, images=4, workflow=SINK_WORKFLOW, title="sink")
    source = sink.client.create_project(
        SOURCE_PROJECT,
        datasets=[sink.dataset],
        ontology=sink.project.ontology_hash,  # the same ontology: object classes match
        workflow=SOURCE_WORKFLOW,
    )
    label_source(sorted(source.list_label_rows(), key=lambda r: r.data_title))

    runner.use_client(sink.client)
    runner(project_hash=sink.project_hash)

    for title in ("image-0.png", "image-1.png", "image-2.png", "image-3.png"):
        objects = len(sink.label_row(title).get_object_instances())
        print(f"{title}: {objects} object(s) copied, task in {sink.stages()[title]!r}")
    sink.assert_stages(
        {
            "image-0.png": "Review",
            "image-1.png": "Review",
            "image-2.png": "Annotate",
            "image-3.png": "Annotate",
        }
    )
    sink.client.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
