"""Fixtures for runner tests: projects of many small text items on both store backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import annotask
from tests.definitions import ONTOLOGY, WORKFLOW

MakeProject = Callable[..., annotask.Project]
MakeSqliteProject = Callable[..., tuple[annotask.Project, annotask.Client]]


@pytest.fixture
def make_project(client: annotask.Client, tmp_path: Path) -> MakeProject:
    """Build a project of ``n`` text items (named item-0000.txt …) with the test workflow."""
    counter = iter(range(1000))

    def make(n: int, workflow: object = WORKFLOW, title: str | None = None) -> annotask.Project:
        index = next(counter)
        folder = tmp_path / f"items-{index}"
        folder.mkdir()
        paths = []
        for i in range(n):
            path = folder / f"item-{i:04d}.txt"
            path.write_text(f"item {i}\n")
            paths.append(path)
        dataset = client.create_dataset(f"items {index}")
        dataset.add_items(paths)
        return client.create_project(
            title or f"project {index}", datasets=[dataset], ontology=ONTOLOGY, workflow=workflow
        )

    return make


@pytest.fixture
def make_sqlite_project(tmp_path: Path) -> Iterator[MakeSqliteProject]:
    """Like ``make_project`` on an SQLite store only (for tests about timing, not backends)."""
    client = annotask.Client(f"sqlite:///{tmp_path / 'timing.db'}", user="alice")
    counter = iter(range(1000))

    def make(n: int, workflow: object = WORKFLOW) -> tuple[annotask.Project, annotask.Client]:
        index = next(counter)
        folder = tmp_path / f"timing-items-{index}"
        folder.mkdir()
        paths = []
        for i in range(n):
            path = folder / f"item-{i:04d}.txt"
            path.write_text(f"item {i}\n")
            paths.append(path)
        dataset = client.create_dataset(f"timing {index}")
        dataset.add_items(paths)
        project = client.create_project(
            f"timing {index}", datasets=[dataset], ontology=ONTOLOGY, workflow=workflow
        )
        return project, client

    with client:
        yield make
