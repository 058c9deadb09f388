"""Dependency injection: by type, by Depends, nested, shared, generators; errors at decoration."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import pytest

import annotask
from annotask import AgentStage, AgentTask, Client, Project, StorageItem, ValidationError
from annotask.labels import LabelRow
from annotask.tasks import Depends, Runner
from tests.tasks.conftest import MakeProject

log: list[str] = []


def base_number() -> int:
    log.append("base")
    return 20


def doubled(n: Annotated[int, Depends(base_number)]) -> int:
    return n * 2


def plus_one(n: Annotated[int, Depends(base_number)]) -> int:
    return n + 1


def title_of(task: AgentTask, item: StorageItem) -> str:
    assert task.data_hash == item.uuid
    return task.data_title


class Settings:
    """A class used as its own dependency: ``Depends()`` calls it."""

    def __init__(self, project: Project) -> None:
        self.project_title = project.title


def opened(task: AgentTask) -> Iterator[str]:
    log.append(f"open {task.data_title}")
    try:
        yield "resource"
    finally:
        log.append(f"close {task.data_title}")


@pytest.fixture(autouse=True)
def _clear_log() -> None:
    log.clear()


def test_parameters_are_injected_by_type_and_by_depends(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(1)
    runner = Runner(project.project_hash, client=client)
    seen: dict[str, object] = {}

    @runner.stage("Pre-label")
    def agent(
        proj: Project,
        lr: LabelRow,
        task: AgentTask,
        stage: AgentStage,
        item: StorageItem,
        me: Client,
        title: Annotated[str, Depends(title_of)],
        settings: Settings = Depends(),  # noqa: B008 - the reference API's style
        number: int = Depends(doubled),
    ) -> str:
        seen.update(
            proj=proj.project_hash,
            lr=lr.data_title,
            task=task.data_title,
            stage=stage.name,
            item=item.name,
            me=me,
            title=title,
            settings=settings.project_title,
            number=number,
        )
        return "empty"

    runner()
    assert seen == {
        "proj": project.project_hash,
        "lr": "item-0000.txt",
        "task": "item-0000.txt",
        "stage": "Pre-label",
        "item": "item-0000.txt",
        "me": client,
        "title": "item-0000.txt",
        "settings": project.title,
        "number": 40,
    }


def test_a_dependency_used_twice_in_one_task_is_called_once(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(2)
    runner = Runner(project.project_hash, client=client)
    got = []

    @runner.stage("Pre-label")
    def agent(
        a: Annotated[int, Depends(doubled)],
        b: Annotated[int, Depends(plus_one)],
        c: Annotated[int, Depends(base_number)],
    ) -> str:
        got.append((a, b, c))
        return "empty"

    runner()
    assert got == [(40, 21, 20)] * 2
    assert log == ["base", "base"]  # once per task


def test_generator_cleanup_runs_after_the_outcome_also_when_the_agent_raises(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(2)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def agent(task: AgentTask, res: Annotated[str, Depends(opened)]) -> str:
        log.append(f"agent {task.data_title} {res}")
        if task.data_title == "item-0001.txt":
            raise RuntimeError("boom")
        return "empty"

    runner(num_retries=1)
    one_attempt = ["open {}", "agent {} resource", "close {}"]
    first = [e for e in log if e.endswith(("item-0000.txt", "item-0000.txt resource"))]
    second = [e for e in log if e.endswith(("item-0001.txt", "item-0001.txt resource"))]
    assert first == [e.format("item-0000.txt") for e in one_attempt]
    assert second == [e.format("item-0001.txt") for e in one_attempt] * 2


def test_a_raising_dependency_fails_the_task_not_the_run(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(2)
    runner = Runner(project.project_hash, client=client)

    def picky(task: AgentTask) -> str:
        if task.data_title == "item-0000.txt":
            raise ValueError("no")
        return "ok"

    @runner.stage("Pre-label")
    def agent(value: Annotated[str, Depends(picky)]) -> str:
        return "empty"

    report = runner(num_retries=0)
    assert report.failed == 1 and report.moved == 1
    (failed,) = project.list_tasks(failed=True)
    assert "ValueError: no" in (failed.last_error or "")


def test_an_uninjectable_parameter_is_an_error_at_decoration(client: annotask.Client) -> None:
    runner = Runner(client=client)
    with pytest.raises(ValidationError) as info:

        @runner.stage("Pre-label")
        def agent(threshold: float) -> str:
            return "empty"

    message = str(info.value)
    assert "parameter 'threshold'" in message and "type float" in message
    assert "Annotated[float, Depends(a_function)]" in message
    assert runner.agents == []


def test_a_nested_uninjectable_parameter_names_the_dependency(client: annotask.Client) -> None:
    runner = Runner(client=client)

    def needs_text(text: str) -> str:
        return text

    with pytest.raises(ValidationError, match=r"parameter 'text' of .*needs_text"):

        @runner.stage("Pre-label")
        def agent(value: Annotated[str, Depends(needs_text)]) -> str:
            return "empty"


def test_star_args_and_loops_are_refused(client: annotask.Client) -> None:
    runner = Runner(client=client)
    with pytest.raises(ValidationError, match=r"\*\*extra"):

        @runner.stage("Pre-label")
        def agent(**extra: object) -> str:
            return "empty"

    def ping(value: Annotated[int, Depends(lambda: 0)]) -> int:
        return value

    def loop_a(v: Annotated[int, Depends(ping)]) -> int:
        return v

    ping.__annotations__["value"] = Annotated[int, Depends(loop_a)]
    with pytest.raises(ValidationError, match="loop"):

        @runner.stage("Pre-label")
        def looping(v: Annotated[int, Depends(loop_a)]) -> str:
            return "empty"


def test_defaults_are_left_alone(client: annotask.Client, make_project: MakeProject) -> None:
    project = make_project(1)
    runner = Runner(project.project_hash, client=client)
    got = []

    @runner.stage("Pre-label")
    def agent(task: AgentTask, threshold: float = 0.5) -> str:
        got.append(threshold)
        return "empty"

    runner()
    assert got == [0.5]
