"""A video agent: look at every fifth frame, box the bright square on each, route by motion.

Run it:
    python examples/video_sampler_agent.py [FOLDER]
encodes three short videos in FOLDER (default: a temporary folder) — two with a white square
moving across a dark background, one dark throughout — builds a trial project on them, runs
the agent, and prints the boxes it saved. The test suite runs every example this way. On a
store of your own, with a ``Track`` agent stage (see WORKFLOW) and a ``square`` box class:
    annotask --db URL run examples/video_sampler_agent.py --project-hash HASH

``dep_video_sampler`` decodes only what is asked for (seeking to the nearest keyframe) and
closes its decoder when the task ends, also if the agent raises.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any

import av
import numpy as np
from numpy.typing import NDArray

from annotask.labels import BoundingBoxCoordinates, LabelRow, ObjectInstance
from annotask.media import Frame
from annotask.tasks import Depends, Runner, TaskAgentReturnStruct
from annotask.tasks.dependencies import dep_video_sampler
from annotask.testing import trial_project

WORKFLOW: dict[str, Any] = {
    "start": "Track",
    "stages": [
        {"name": "Track", "type": "agent", "pathways": {"moving": "Review", "still": "Annotate"}},
        {"name": "Annotate", "type": "annotation", "pathways": {"submit": "Review"}},
        {"name": "Review", "type": "review", "pathways": {"approve": "Done", "reject": "Annotate"}},
        {"name": "Done", "type": "complete"},
    ],
}
ONTOLOGY: dict[str, Any] = {"objects": [{"name": "square", "shape": "bounding_box"}]}

Sampler = Callable[[float | Sequence[int]], Iterable[Frame]]

runner = Runner()


def bright_box(pixels: NDArray[np.uint8]) -> BoundingBoxCoordinates | None:
    """The box around the bright pixels, as fractions of the picture, or None."""
    ys, xs = np.nonzero(pixels.mean(axis=2) > 128)
    if len(xs) < 20:
        return None
    height, width = pixels.shape[:2]
    return BoundingBoxCoordinates(
        top_left_x=xs.min() / width,
        top_left_y=ys.min() / height,
        width=(xs.max() + 1 - xs.min()) / width,
        height=(ys.max() + 1 - ys.min()) / height,
    )


@runner.stage("Track")
def track(
    label_row: LabelRow, sample: Annotated[Sampler, Depends(dep_video_sampler)]
) -> TaskAgentReturnStruct:
    square = ObjectInstance(label_row.ontology.get_object("square"))
    for frame in sample(1 / 5):  # frames 0, 5, 10, ...
        box = bright_box(frame.content)
        if box is not None:
            square.set_for_frames(box, frames=frame.frame, manual_annotation=False)
    frames = sorted(square.get_annotation_frames())
    if frames:
        label_row.add_object_instance(square)  # one object, boxed on every frame it was seen
    moved = len(frames) > 1 and (
        square.get_annotation(frames[0]).coordinates
        != square.get_annotation(frames[-1]).coordinates
    )
    return TaskAgentReturnStruct(pathway="moving" if moved else "still", label_row=label_row)


def write_video(path: Path, *, square: bool, frames: int = 30) -> Path:
    """A 96x64 H.264 video, dark grey, with a white square crossing it if ``square``."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=15, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        for index in range(frames):
            pixels = np.full((64, 96, 3), 40, np.uint8)
            if square:
                x = 4 + index * 2
                pixels[20:36, x : x + 16] = 255
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    videos = [
        write_video(folder / "square-a.mp4", square=True),
        write_video(folder / "square-b.mp4", square=True, frames=20),
        write_video(folder / "dark.mp4", square=False),
    ]
    trial = trial_project(folder, files=videos, workflow=WORKFLOW, ontology=ONTOLOGY)
    runner.use_client(trial.client)
    runner(project_hash=trial.project_hash)

    for video in videos:
        row = trial.label_row(video.name)
        for instance in row.get_object_instances():
            for annotation in instance.get_annotations():
                box = annotation.coordinates
                assert isinstance(box, BoundingBoxCoordinates)
                print(f"{video.name} frame {annotation.frame:2}: x={box.top_left_x:.2f}")
    trial.assert_stages(
        {"square-a.mp4": "Review", "square-b.mp4": "Review", "dark.mp4": "Annotate"}
    )
    trial.client.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
