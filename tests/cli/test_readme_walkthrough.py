"""The README's "Writing an agent" walkthrough, run as written: its YAML files, its console
commands, its agent.py and its pytest example, taken from README.md itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from PIL import Image

from annotask.demo.scenes import SCENE_SIZE, SCENES, background, render_scene

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _blocks(kind: str) -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(rf"```{kind}\n(.*?)```", text, flags=re.S)


def _block(kind: str, needle: str) -> str:
    found = [b for b in _blocks(kind) if needle in b]
    assert found, f"README.md has no {kind} block with {needle!r}"
    return found[0]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTASK_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(REPO)])
    env["COLUMNS"] = "200"
    return env


def _shell(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = line.split("  #", maxsplit=1)[0].strip()
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


def _write_scenes(folder: Path) -> None:
    """The rendered scenes `make demo` leaves in annotask-demo/media/."""
    folder.mkdir(parents=True)
    width, height = SCENE_SIZE
    for seed, (name, ((top, bottom), shapes)) in enumerate(SCENES.items()):
        picture = render_scene(background(width, height, top, bottom, seed), shapes)
        Image.fromarray(picture).save(folder / name)


def test_the_writing_an_agent_walkthrough_runs_as_written(tmp_path: Path) -> None:
    (tmp_path / "workflow.yaml").write_text(_block("yaml", "start: Pre-label"), encoding="utf-8")
    (tmp_path / "ontology.yaml").write_text(_block("yaml", "red thing"), encoding="utf-8")
    (tmp_path / "agent.py").write_text(_block("python", "def find_red("), encoding="utf-8")
    _write_scenes(tmp_path / "annotask-demo" / "media")

    setup = _block("console", "annotask init")
    for line in setup.splitlines():
        _shell(line.removeprefix("$ "), tmp_path)
    run = _block("console", "annotask run agent.py --dry-run")
    lines = [line.removeprefix("$ ") for line in run.splitlines()]
    dry = _shell(lines[0], tmp_path)
    assert "nothing was committed" in dry.stdout
    _shell(lines[1], tmp_path)
    listed = _shell(lines[2], tmp_path).stdout
    stages = re.findall(r"\b(Review|Annotate)\b", listed)
    assert sorted(stages) == ["Annotate", "Annotate", "Review", "Review"], listed

    # the README's pytest example, against the same files
    test_file = tmp_path / "test_agent.py"
    test_file.write_text(
        _block("python", "def test_empty_pictures_go_to_annotate"), encoding="utf-8"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_agent.py",
        ],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
