"""Every file in examples/ runs as its header says (``python examples/X.py FOLDER``) and does
what it prints; an example agent file also runs under ``annotask run`` on a store of one's own."""

from __future__ import annotations

import importlib.util
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from annotask import Client
from annotask.media import write_test_image
from annotask.testing import trial_project

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

EXPECTED = {
    "seed_examples.py": [
        "video sampler: [0, 5, 10, 15] and [1, 2, 3]",
        "twin: clip-0.mp4 has 0 object(s) in the twin project, whose task is in 'Annotate'",
        "16 moves in 8 stages; every task is in 'Complete'",
    ],
    "route_by_metadata.py": [
        "afternoon.png  -> Annotate     priority 0.0, routed day",
        "shaky.png      -> Complete     priority 0.5, routed -",
    ],
    "twin_label_transfer.py": [
        "image-1.png: 1 object(s) copied, task in 'Review'",
        "image-2.png: 0 object(s) copied, task in 'Annotate'",
    ],
    "video_sampler_agent.py": ["square-a.mp4 frame 25: x=0.56", "square-b.mp4 frame 15"],
    "ocr_batch_agent.py": [
        "hello.png: 'HELLO",
        "stop.png: 'STOP'",
        "blank.png: no text",
    ],
    "queue_runner.py": [
        "is no longer in stage 'Pre-label'; it is now in",
        "{'Pre-label': 0, 'Annotate': 3, 'Review': 3}",
    ],
}


def environment() -> dict[str, str]:
    path = [str(REPO / "src"), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}


# Examples that need servers, run by the tests of what they show.
RUN_ELSEWHERE = {"celery_agent.py": "tests/integrations/test_celery.py"}


def test_every_example_is_tested() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted([*EXPECTED, *RUN_ELSEWHERE])


# Examples that need an optional package (an extra of annotask's).
NEEDS = {"ocr_batch_agent.py": ("rapidocr_onnxruntime", "ocr")}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_on_a_fresh_trial_project(name: str, tmp_path: Path) -> None:
    if name in NEEDS and importlib.util.find_spec(NEEDS[name][0]) is None:
        module, extra = NEEDS[name]
        pytest.skip(f"{name} needs {module}: pip install 'annotask[{extra}]'")
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), str(tmp_path / "work")],
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    for line in EXPECTED[name]:
        assert line in done.stdout
    assert (tmp_path / "work" / "trial.db").exists()


def test_example_agent_file_runs_under_annotask_run(tmp_path: Path) -> None:
    example = EXAMPLES / "route_by_metadata.py"
    workflow = runpy.run_path(str(example))["WORKFLOW"]
    files = {
        write_test_image(tmp_path / "night.png", width=32, height=24): {"hour": 2},
        write_test_image(tmp_path / "day.png", width=32, height=24, index=1): {"hour": 13},
    }
    trial = trial_project(tmp_path, files=files, workflow=workflow, title="mine")
    url = trial.client.url
    trial.client.close()
    command = [sys.executable, "-m", "annotask", "--db", url, "--user", "tester"]
    command += ["run", str(example)]

    dry = subprocess.run(
        [*command, "--project-hash", "mine", "--dry-run"],
        cwd=tmp_path,
        env={**environment(), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing was committed" in dry.stdout
    assert "Night shift" in dry.stdout

    done = subprocess.run(
        [*command, "--project-hash", "mine"],
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    reopened = Client(url, user="tester")
    try:
        stages = {t.data_title: t.stage.name for t in reopened.get_project("mine").list_tasks()}
    finally:
        reopened.close()
    assert stages == {"night.png": "Night shift", "day.png": "Annotate"}
