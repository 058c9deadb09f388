"""A QueueRunner fed by a plain Python queue: task specs in, completion results out.

Run it:
    python examples/queue_runner.py [FOLDER]
builds a small trial project (six images) in FOLDER (default: a temporary folder), puts every
task of its agent stage on a ``queue.Queue`` — one of them twice, as a queue that delivers
at least once may — and drains it the way a worker would, three specs per call. It prints
each result. The test suite runs every example this way.

The same wrapped function works behind Celery, RQ, SQS or a web handler: it takes the JSON of
``task.model_dump_json()`` (or a list of them) and returns ``TaskCompletionResult`` JSON. A
spec names its task by UUID, so a message delivered twice moves its task once: the second
gets ``success=false`` saying where the task is now, and nothing changes.
"""

from __future__ import annotations

import queue
import sys
import tempfile
from pathlib import Path
from typing import Any

from annotask.labels import LabelRow
from annotask.tasks import QueueRunner, TaskAgentReturnStruct, TaskCompletionResult
from annotask.testing import trial_project

WORKFLOW: dict[str, Any] = {
    "start": "Pre-label",
    "stages": [
        {"name": "Pre-label", "type": "agent", "pathways": {"even": "Review", "odd": "Annotate"}},
        {"name": "Annotate", "type": "annotation", "pathways": {"submit": "Review"}},
        {"name": "Review", "type": "review", "pathways": {"approve": "Done", "reject": "Annotate"}},
        {"name": "Done", "type": "complete"},
    ],
}
BATCH = 3


def main(folder: Path) -> None:
    trial = trial_project(folder, images=6, workflow=WORKFLOW, title="queue")
    runner = QueueRunner(trial.project_hash, client=trial.client)

    @runner.stage("Pre-label", will_set_priority=True)
    def agent_1(label_row: LabelRow) -> TaskAgentReturnStruct:
        number = int(label_row.data_title.removeprefix("image-").removesuffix(".png"))
        return TaskAgentReturnStruct(
            pathway="even" if number % 2 == 0 else "odd", label_row_priority=number / 10
        )

    # Populate the queue.
    my_queue: queue.Queue[str] = queue.Queue()
    for stage in runner.get_agent_stages():
        for task in stage.get_tasks():
            my_queue.put(task.model_dump_json())
    first = my_queue.get()
    my_queue.put(first)
    my_queue.put(first)  # delivered twice

    # Execute on the queue: a worker takes up to BATCH specs per call (one transaction).
    while not my_queue.empty():
        specs = [my_queue.get() for _ in range(min(BATCH, my_queue.qsize()))]
        combined = TaskCompletionResult.model_validate_json(agent_1(specs))
        for result in combined.per_task():  # one result per spec, in order
            outcome = result.pathway_name if result.success else f"refused: {result.error}"
            print(f"task {str(result.task_uuid)[:8]}: {outcome}")

    print({stage: len(trial.titles_in(stage)) for stage in ("Pre-label", "Annotate", "Review")})
    trial.assert_stages({f"image-{n}.png": ("Review", "Annotate")[n % 2] for n in range(6)})
    trial.client.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
