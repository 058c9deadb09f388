"""One bad outcome never costs another task its outcome; a demoted user's runner stops."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import pytest

import annotask
from annotask import AuthorizationError, StorageItem, ValidationError
from annotask.tasks import QueueRunner, Runner
from tests.tasks.conftest import MakeProject


def _record_unchecked(item: StorageItem, changes: dict[str, Any]) -> None:
    """Hand the runner's committer a change no validation has seen (what a future bug, or a
    value the database refuses for a reason nobody foresaw, would do)."""
    sink = item._sink
    assert sink is not None
    sink.record_item_update(item.data_hash, changes)


def _bad_changes(store_url: str) -> list[dict[str, Any]]:
    """Changes the store refuses: on both backends, a value the JSON encoder cannot write;
    on PostgreSQL also NaN in JSON and a name longer than its column."""
    bad: list[dict[str, Any]] = [{"client_metadata": {"tags": {"a", "b"}}}]
    if store_url.startswith("postgresql"):
        bad += [{"client_metadata": {"score": float("nan")}}, {"name": "n" * 5000}]
    return bad


@pytest.mark.parametrize("batch_size", [4, 300])
def test_outcomes_the_store_refuses_fail_alone_and_the_rest_land(
    client: annotask.Client, make_project: MakeProject, store_url: str, batch_size: int
) -> None:
    bad = _bad_changes(store_url)
    project = make_project(len(bad) * 3 + 5)
    names = sorted(i.name for d in project.datasets for i in d.list_items())
    poisoned = {names[1 + 3 * i]: change for i, change in enumerate(bad)}
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def agent(item: StorageItem) -> str:
        if item.name in poisoned:
            _record_unchecked(item, poisoned[item.name])
        else:
            item.update(client_metadata={"seen": True})
        return "empty"

    runner(task_batch_size=batch_size)
    tasks = {t.data_title: t for t in project.list_tasks()}
    for name, task in tasks.items():
        assert task.lease_owner is None, name
        if name in poisoned:
            assert task.stage.name == "Pre-label"
            assert task.last_error is not None
            assert "the store refused this task's outcome" in task.last_error
        else:
            assert task.stage.name == "Annotate", (name, task.last_error)
    items = {i.name: i for d in project.datasets for i in d.list_items()}
    assert all(items[n].client_metadata == {"seen": True} for n in tasks if n not in poisoned)
    assert all(items[n].client_metadata == {} for n in poisoned)


def _nested(levels: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"score": float("nan")}, "is not a JSON number"),
        ({"score": float("inf")}, "is not a JSON number"),
        ({"when": object()}, "is not a JSON value"),
        ({"tags": {1, 2}}, "is not a JSON value"),
        ({"deep": _nested(70)}, "nested more than"),
    ],
)
def test_metadata_an_agent_cannot_store_fails_that_task_alone(
    client: annotask.Client,
    make_project: MakeProject,
    metadata: dict[str, Any],
    expected: str,
) -> None:
    project = make_project(4)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def agent(item: StorageItem) -> str:
        item.update(client_metadata=metadata if item.name.endswith("2.txt") else {"ok": 1})
        return "empty"

    runner(num_retries=0)
    by_name = {t.data_title: t for t in project.list_tasks()}
    assert by_name["item-0002.txt"].stage.name == "Pre-label"
    assert expected in (by_name["item-0002.txt"].last_error or "")
    assert {n for n, t in by_name.items() if t.stage.name == "Annotate"} == {
        "item-0000.txt",
        "item-0001.txt",
        "item-0003.txt",
    }
    assert all(t.lease_owner is None for t in by_name.values())


def test_a_runner_whose_user_is_demoted_stops_and_releases(
    client: annotask.Client, make_project: MakeProject, caplog: pytest.LogCaptureFixture
) -> None:
    project = make_project(6)
    project.add_member("bot", "worker")
    bot = client.as_user("bot")
    runner = Runner(project.project_hash, client=bot)
    seen: list[str] = []

    @runner.stage("Pre-label")
    def agent(item: StorageItem) -> str:
        seen.append(item.name)
        if len(seen) == 2:
            project.add_member("bot", "annotator")  # demoted while the runner works
        return "empty"

    with caplog.at_level(logging.ERROR), pytest.raises(AuthorizationError, match="'bot'"):
        runner(task_batch_size=2)
    assert "may no longer run agents" in caplog.text
    tasks = project.list_tasks()
    assert all(t.stage.name == "Pre-label" for t in tasks)
    assert all(t.lease_owner is None for t in tasks)


def test_a_queue_runner_whose_user_is_demoted_moves_nothing(
    client: annotask.Client, make_project: MakeProject
) -> None:
    project = make_project(3)
    project.add_member("bot", "worker")
    runner = QueueRunner(project.project_hash, client=client.as_user("bot"))

    @runner.stage("Pre-label")
    def agent(item: StorageItem) -> str:
        return "empty"

    specs = [t.model_dump_json() for t in project.list_tasks()]
    agent(specs[0])  # allowed: moves one, and the permission answer is now cached
    project.add_member("bot", "annotator")
    with pytest.raises(AuthorizationError):
        agent(specs[1:])
    tasks = {t.data_title: t for t in project.list_tasks()}
    assert sorted(t.stage.name for t in tasks.values()) == ["Annotate", "Pre-label", "Pre-label"]
    assert all(t.lease_owner is None for t in tasks.values())


def test_add_items_refuses_metadata_that_is_not_json(
    client: annotask.Client, tmp_path: Any
) -> None:
    path = tmp_path / "a.txt"
    path.write_text("a\n")
    dataset = client.create_dataset("d")
    circular: dict[str, Any] = {}
    circular["self"] = circular
    for metadata in (
        {"when": datetime.date(2024, 1, 1)},
        {"tags": {"a"}},
        {"raw": b"bytes"},
        {"x": float("nan")},
        circular,
        ["not", "a", "mapping"],
        {1: "key is not a string"},
        {"big": "x" * 1_100_000},
    ):
        with pytest.raises(ValidationError, match="client_metadata"):
            dataset.add_items([path], client_metadata=metadata)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="client_metadata"):
            dataset.add_items({path: metadata})  # type: ignore[dict-item]
    assert dataset.list_items() == []
