"""A batch agent with a real neural network: PP-OCR text detection and recognition (ONNX).

Run it:
    python examples/ocr_batch_agent.py [FOLDER]
renders a few small images with words on them in FOLDER (default: a temporary folder),
builds a trial project, runs the agent on batches of 4 images, and prints what it read.
The test suite runs every example this way. On a store of your own, with a ``Read`` agent
stage (see WORKFLOW) and a ``text`` polygon class with a ``transcription`` attribute:
    annotask --db URL run examples/ocr_batch_agent.py --project-hash HASH

The model is ``rapidocr-onnxruntime`` (``pip install 'annotask[ocr]'``): its weights ship
inside the wheel, so nothing is downloaded. Per batch, the text detector runs on each image
(sizes differ) and the recogniser reads the lines found in the whole batch together, in
``onnxruntime`` calls of lines of similar width (6 at a time on CPU, 64 on a GPU). Each
line becomes a polygon with the recogniser's confidence and its transcription; a task whose
lines were all read confidently goes to Review, the rest (and images with no text) to
Annotate. It runs on CPU, and on CUDA where onnxruntime has it.
"""

from __future__ import annotations

import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from annotask.labels import LabelRow, ObjectInstance, PolygonCoordinates
from annotask.tasks import Depends, Runner, TaskAgentReturnStruct
from annotask.tasks.dependencies import dep_single_frame
from annotask.testing import trial_project

WORKFLOW: dict[str, Any] = {
    "start": "Read",
    "stages": [
        {
            "name": "Read",
            "type": "agent",
            "pathways": {"confident": "Review", "unsure": "Annotate"},
        },
        {"name": "Annotate", "type": "annotation", "pathways": {"submit": "Review"}},
        {"name": "Review", "type": "review", "pathways": {"approve": "Done", "reject": "Annotate"}},
        {"name": "Done", "type": "complete"},
    ],
}
ONTOLOGY: dict[str, Any] = {
    "objects": [
        {
            "name": "text",
            "shape": "polygon",
            "attributes": [{"name": "transcription", "type": "text"}],
        }
    ]
}
CONFIDENT = 0.8
"""Lines read with at least this confidence need no person to check them."""

Line = tuple[NDArray[np.float32], str, float]
"""A text line: its 4 corner points in pixels, the text read, the confidence."""

runner = Runner()


@cache
def ocr_model() -> Any:
    """The PP-OCR detector and recogniser, loaded once (on CUDA where onnxruntime has it)."""
    import onnxruntime  # noqa: PLC0415 - the heavy model stack loads on first use
    from rapidocr_onnxruntime import RapidOCR  # noqa: PLC0415

    cuda = "CUDAExecutionProvider" in onnxruntime.get_available_providers()
    # on CPU the recogniser is fastest on small batches of lines (measured: 32 at once took
    # 2.7x as long as 6 at once); a GPU wants large ones
    batch = 64 if cuda else 6
    options = {"intra_op_num_threads": 2, "inter_op_num_threads": 1, "rec_batch_num": batch}
    # detect at the size of the image (up to 960 px), not upscaled to a 736 px short side
    options |= {"det_limit_type": "max", "det_limit_side_len": 960}
    return RapidOCR(det_use_cuda=cuda, rec_use_cuda=cuda, **options)


def read_lines(images: list[NDArray[np.uint8]]) -> list[list[Line]]:
    """Detect text lines in each image, then recognise the lines of all images together."""
    model = ocr_model()
    boxes_per_image: list[list[NDArray[np.float32]]] = []
    crops: list[NDArray[np.uint8]] = []
    for rgb in images:
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        boxes, _ = model.text_det(bgr)
        found = [] if boxes is None or len(boxes) == 0 else model.sorted_boxes(boxes)
        boxes_per_image.append(found)
        if found:
            crops.extend(model.get_crop_img_list(bgr, found))
    read, _ = model.text_rec(crops) if crops else ([], 0.0)
    results: list[list[Line]] = []
    start = 0
    for found in boxes_per_image:
        texts = read[start : start + len(found)]
        start += len(found)
        pairs = zip(found, texts, strict=True)
        results.append([(box, text, float(score)) for box, (text, score) in pairs])
    return results


@runner.stage("Read", batch_size=4)
def read_text(
    label_rows: list[LabelRow],
    frames: Annotated[list[NDArray[np.uint8]], Depends(dep_single_frame)],
) -> list[TaskAgentReturnStruct]:
    results = []
    for label_row, frame, lines in zip(label_rows, frames, read_lines(frames), strict=True):
        height, width = frame.shape[:2]
        text_class = label_row.ontology.get_object("text")
        for box, text, score in lines:
            corners = [
                (min(max(float(x) / width, 0.0), 1.0), min(max(float(y) / height, 0.0), 1.0))
                for x, y in box
            ]
            line = ObjectInstance(text_class)
            line.set_for_frames(PolygonCoordinates(corners), frames=0, confidence=score)
            line.set_answer(text, "transcription")
            label_row.add_object_instance(line)
        sure = bool(lines) and min(score for _, _, score in lines) >= CONFIDENT
        results.append(
            TaskAgentReturnStruct(pathway="confident" if sure else "unsure", label_row=label_row)
        )
    return results


def render(path: Path, words: str) -> Path:
    """A small white image with ``words`` in black (Pillow's built-in font)."""
    font = ImageFont.load_default(size=28)
    image = Image.new("RGB", (40 + 17 * len(words), 64), "white")
    ImageDraw.Draw(image).text((20, 14), words, fill="black", font=font)
    image.save(path)
    return path


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    images = [
        render(folder / "hello.png", "HELLO WORLD"),
        render(folder / "invoice.png", "INVOICE 2024"),
        render(folder / "stop.png", "STOP"),
        render(folder / "annotask.png", "annotask"),
        render(folder / "blank.png", ""),
    ]
    trial = trial_project(folder, files=images, workflow=WORKFLOW, ontology=ONTOLOGY)
    runner.use_client(trial.client)
    runner(project_hash=trial.project_hash)
    for image in images:
        row = trial.label_row(image.name)
        lines = [
            (str(o.get_answer("transcription")), o.get_annotation(0).confidence)
            for o in row.get_object_instances()
        ]
        shown = ", ".join(f"{text!r} ({conf:.2f})" for text, conf in lines) or "no text"
        print(f"{image.name}: {shown}")
    unsure = {"blank.png": "Annotate"}
    trial.assert_stages({i.name: unsure.get(i.name, "Review") for i in images})
    trial.client.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
