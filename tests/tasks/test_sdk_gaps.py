"""SDK habits agents bring: a callable instance as a dependency, ``DataLookup.get_data_row``.

No ``from __future__ import annotations`` here: agents below are closures whose annotations
the runner evaluates.
"""

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pytest

import annotask
from annotask import AgentTask, Client, DataType
from annotask.errors import ValidationError
from annotask.media import write_test_image
from annotask.tasks import Depends, Runner
from annotask.tasks.dependencies import DataLookup, DataRow, dep_data_lookup
from tests.definitions import ONTOLOGY, WORKFLOW


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Client]:
    """A client as 'alice' on a fresh SQLite file."""
    with Client(f"sqlite:///{tmp_path / 'gaps.db'}", user="alice") as c:
        yield c


@pytest.fixture
def project(local: Client, tmp_path: Path) -> annotask.Project:
    image = write_test_image(tmp_path / "photo.png", width=64, height=48, index=3)
    dataset = local.create_dataset("gaps data")
    dataset.add_items([image])
    return local.create_project("gaps", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)


class Threshold:
    """A dependency object: its ``__call__`` asks for the task, FastAPI-style."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self, task: AgentTask) -> tuple[str, float]:
        return task.data_title, self.value


def test_a_callable_instance_is_a_dependency(project: annotask.Project, local: Client) -> None:
    runner = Runner(project.project_hash, client=local)
    seen: list[tuple[str, float]] = []

    @runner.stage("Pre-label")
    def agent(found: Annotated[tuple[str, float], Depends(Threshold(0.25))]) -> str:
        seen.append(found)
        return "empty"

    assert runner().moved == 1
    assert seen == [("photo.png", 0.25)]


def test_a_callable_instance_with_a_bad_parameter_is_named(project: annotask.Project) -> None:
    class Broken:
        def __call__(self, mystery: int) -> int:
            return mystery

    runner = Runner(project.project_hash)
    with pytest.raises(ValidationError, match="mystery"):

        @runner.stage("Pre-label")
        def agent(value: Annotated[int, Depends(Broken())]) -> None:
            del value


def test_data_lookup_gives_a_data_row_and_warns(project: annotask.Project, local: Client) -> None:
    runner = Runner(project.project_hash, client=local)
    rows: list[DataRow] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)

        @runner.stage("Pre-label")
        def agent(task: AgentTask, lookup: Annotated[DataLookup, Depends(dep_data_lookup)]) -> str:
            with pytest.warns(DeprecationWarning, match="dep_storage_item"):
                rows.append(lookup.get_data_row(task.data_hash))
            return "empty"

    assert runner().moved == 1
    (row,) = rows
    item = local.get_storage_item(row.uid)
    assert (row.title, row.data_type, row.width, row.height) == (
        "photo.png",
        DataType.IMAGE,
        64,
        48,
    )
    assert (row.file_link, row.file_type, row.created_at) == (
        item.uri,
        item.mime_type,
        item.created_at,
    )
    assert row.data_hash == item.data_hash and row.backing_item_uuid == item.uuid
