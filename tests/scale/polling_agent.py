"""A labelling agent run as a separate process by the scale-out failure tests.

Environment: ANNOTASK_DATABASE_URL (the shared store), AGENT_PROJECT (project hash),
AGENT_LEASE_SECONDS, AGENT_SLEEP_SECONDS (per task, to keep batches in flight),
AGENT_BATCH (task batch size). It polls every second until interrupted (SIGINT).
"""

from __future__ import annotations

import logging
import os
import sys
import time

import annotask
from annotask.labels import BoundingBoxCoordinates, ObjectInstance
from annotask.tasks import Runner, TaskAgentReturnStruct

logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s: %(message)s")

client = annotask.Client(user="worker")
runner = Runner(
    os.environ["AGENT_PROJECT"],
    client=client,
    lease_seconds=float(os.environ.get("AGENT_LEASE_SECONDS", "5")),
)
project = client.get_project(os.environ["AGENT_PROJECT"])
car = project.ontology.get_object("car")
pause = float(os.environ.get("AGENT_SLEEP_SECONDS", "0"))


@runner.stage("Pre-label")
def label(lr: annotask.LabelRow) -> TaskAgentReturnStruct:
    box = BoundingBoxCoordinates(top_left_x=0.1, top_left_y=0.1, width=0.2, height=0.2)
    instance = ObjectInstance(car)
    instance.set_for_frames(box, frames=0, confidence=0.8)
    lr.add_object_instance(instance)
    time.sleep(pause)
    return TaskAgentReturnStruct(pathway="has objects", label_row=lr, label_row_priority=0.2)


if __name__ == "__main__":
    try:
        runner(refresh_every=1, task_batch_size=int(os.environ.get("AGENT_BATCH", "50")))
    except KeyboardInterrupt:
        sys.exit(130)
