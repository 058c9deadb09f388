"""Fixtures for the CLI tests: a store file, small real images, definition files, an invoker."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner, Result

from annotask.cli import app
from tests.cli.helpers import ONTOLOGY_YAML, WORKFLOW_YAML, Invoke


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """An SQLite store file in the test's folder (created by the first command)."""
    return f"sqlite:///{tmp_path / 'annotask.db'}"


@pytest.fixture
def cli(db_url: str) -> Invoke:
    """Run ``annotask --db <db_url> --user alice ARGS`` in-process; check the exit code."""
    runner = CliRunner()

    def invoke(*args: str, user: str = "alice", code: int = 0) -> Result:
        result = runner.invoke(app, ["--db", db_url, "--user", user, *args], env={"COLUMNS": "250"})
        assert result.exit_code == code, (
            f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        return result

    return invoke


@pytest.fixture
def image_files(tmp_path: Path) -> list[Path]:
    """Four small real PNG images."""
    folder = tmp_path / "images"
    folder.mkdir()
    paths = []
    for i in range(4):
        path = folder / f"img{i}.png"
        Image.new("RGB", (32, 24), (60 * i, 120, 200 - 40 * i)).save(path)
        paths.append(path)
    return paths


@pytest.fixture
def definition_files(tmp_path: Path) -> tuple[Path, Path]:
    """The DESIGN.md ontology and workflow as YAML files: (ontology, workflow)."""
    ontology = tmp_path / "ontology.yaml"
    ontology.write_text(ONTOLOGY_YAML, encoding="utf-8")
    workflow = tmp_path / "workflow.yaml"
    workflow.write_text(WORKFLOW_YAML, encoding="utf-8")
    return ontology, workflow


@pytest.fixture
def demo_project(cli: Invoke, image_files: list[Path], definition_files: tuple[Path, Path]) -> str:
    """A project 'demo' over the four images, made through the CLI; its hash."""
    ontology, workflow = definition_files
    cli("dataset", "create", "images")
    cli("dataset", "add", "images", *map(str, image_files))
    result = cli(
        "project", "create", "--title", "demo", "--dataset", "images",
        "--ontology", str(ontology), "--workflow", str(workflow),
    )  # fmt: skip
    return result.stdout.strip()
