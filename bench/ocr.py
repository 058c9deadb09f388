"""Batch-stage benchmark with a real network: PP-OCR (``examples/ocr_batch_agent.py``).

Renders N images of text lines (PNG, 480x320), then runs, each on a fresh copy of the store:
- ``inline``: a plain ``def`` agent, one task at a time (how a runner ran agents before batch
  stages): decode, detect, recognise;
- ``batch1`` and ``batch16``: the batch stage with ``batch_size`` 1 and 16, whose next batch
  is decoded on worker threads while the model works.
For each: tasks/s, and the share of wall time the model was busy (time inside the model
calls over the stage's wall time). Ratios: ``batch16_vs_inline`` is throughput over
throughput. CPU only here (onnxruntime uses CUDA where it has it).

Prints ``name: value unit`` lines; ratios as ``name: 1.30x``.
"""

from __future__ import annotations

import argparse
import logging
import runpy
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

import annotask
from annotask.labels import LabelRow
from annotask.tasks import Depends, Runner
from annotask.tasks.dependencies import dep_single_frame

EXAMPLE = runpy.run_path(str(Path(__file__).resolve().parents[1] / "examples/ocr_batch_agent.py"))
WORDS = ["INVOICE", "TOTAL 42.50", "annotask", "HELLO WORLD", "STOP", "Batch 16", "ONNX", "GPU"]


def _render(path: Path, index: int) -> Path:
    font = ImageFont.load_default(size=26)
    image = Image.new("RGB", (480, 320), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    for line in range(3):
        draw.text((30, 40 + 90 * line), WORDS[(index + line) % len(WORDS)], fill="black", font=font)
    image.save(path)
    return path


def _prepare(folder: Path, count: int) -> Path:
    images = folder / "images"
    images.mkdir()
    paths = [_render(images / f"page{i:04d}.png", i) for i in range(count)]
    db = folder / "template.db"
    with annotask.Client(f"sqlite:///{db}", user="bench") as client:
        dataset = client.create_dataset("pages")
        dataset.add_items(paths)
        client.create_project(
            "ocr", datasets=[dataset], ontology=EXAMPLE["ONTOLOGY"], workflow=EXAMPLE["WORKFLOW"]
        )
    return db


def _timed_model(busy: list[float]) -> Callable[[list[NDArray[np.uint8]]], list[Any]]:
    read_lines = EXAMPLE["read_lines"]

    def model(frames: list[NDArray[np.uint8]]) -> list[Any]:
        started = time.perf_counter()
        try:
            return list(read_lines(frames))
        finally:
            busy.append(time.perf_counter() - started)

    return model


def _run(db: Path, batch_size: int | None) -> tuple[float, float, int]:
    """Seconds, model-busy seconds and tasks moved for one way of running the agent."""
    busy: list[float] = []
    model = _timed_model(busy)
    route = EXAMPLE["CONFIDENT"]
    with annotask.Client(f"sqlite:///{db}", user="bench") as client:
        project = client.get_project("ocr")
        runner = Runner(project.project_hash, client=client)
        if batch_size is None:

            @runner.stage("Read")
            def inline(
                label_row: LabelRow, frame: Annotated[NDArray[np.uint8], Depends(dep_single_frame)]
            ) -> str:
                (lines,) = model([frame])
                return "confident" if lines and min(s for *_, s in lines) >= route else "unsure"

        else:

            @runner.stage("Read", batch_size=batch_size)
            def batched(
                label_rows: list[LabelRow],
                frames: Annotated[list[NDArray[np.uint8]], Depends(dep_single_frame)],
            ) -> list[str]:
                return [
                    "confident" if lines and min(s for *_, s in lines) >= route else "unsure"
                    for lines in model(frames)
                ]

        start = time.perf_counter()
        report = runner(threads=None if batch_size is None else 2)
        seconds = time.perf_counter() - start
        return seconds, sum(busy), report.moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="32 images instead of 96")
    parser.add_argument("--tasks", type=int, default=None)
    args = parser.parse_args()
    count = args.tasks or (32 if args.quick else 96)
    logging.basicConfig(level=logging.WARNING)
    EXAMPLE["ocr_model"]()  # load the model before timing
    with tempfile.TemporaryDirectory(prefix="annotask-bench-") as tmp:
        folder = Path(tmp)
        template = _prepare(folder, count)
        print(f"tasks: {count} count")
        rates: dict[str, float] = {}
        for name, size in (("inline", None), ("batch1", 1), ("batch16", 16)):
            db = folder / f"{name}.db"
            shutil.copy(template, db)
            seconds, busy, moved = _run(db, size)
            assert moved == count, (name, moved)
            rates[name] = moved / seconds
            print(f"ocr_{name}: {rates[name]:.1f} tasks/s")
            print(f"ocr_{name}_model_busy: {busy / seconds:.2f} share", flush=True)
        print(f"ocr_batch16_vs_inline: {rates['batch16'] / rates['inline']:.2f}x")


if __name__ == "__main__":
    main()
