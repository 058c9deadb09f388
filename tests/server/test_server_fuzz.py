"""Property-based fuzzing of the OpenAPI schema with Schemathesis: no request the schema
admits (or nearly admits) makes the server answer 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

import annotask
from annotask.client.access import Accounts
from annotask.server.app import create_app
from annotask.server.settings import ServerSettings
from tests.definitions import ONTOLOGY, WORKFLOW
from tests.server.conftest import serving

_LIVE: dict[str, Any] = {}


@pytest.fixture(scope="module")
def live_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The schema of an app on a real SQLite store, served on a free port."""
    from PIL import Image  # noqa: PLC0415 - test media

    folder = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{folder / 'annotask.db'}"
    paths = []
    for i in range(3):
        path = folder / f"img{i}.png"
        Image.new("RGB", (16, 12), (80 * i, 90, 100)).save(path)
        paths.append(path)
    with annotask.Client(url, user="alice") as alice:
        dataset = alice.create_dataset("images")
        dataset.add_items(paths)
        project = alice.create_project(
            "fuzz", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
        )
        token = Accounts(alice.store).issue_token("alice", "fuzz").secret
        task = project.list_tasks()[0]
    app = create_app(ServerSettings(url=url, cache_dir=folder / "cache"))
    with serving(app) as base:
        _LIVE.update(
            base=base,
            token=token,
            project=project.project_hash,
            task=str(task.uuid),
            data=str(task.data_hash),
        )
        yield schemathesis.openapi.from_dict(app.openapi())


_REAL = {"project_hash": "project", "task_uuid": "task", "data_hash": "data", "data": "data"}


def _check(case: Any) -> None:
    # point most requests at things that exist, so they reach past the lookups
    for name, key in _REAL.items():
        if name in (case.path_parameters or {}):
            case.path_parameters[name] = _LIVE[key]
    response = case.call(
        base_url=_LIVE["base"],
        headers={"Authorization": f"Bearer {_LIVE['token']}"},
        timeout=30,
    )
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
    if response.status_code >= 400:
        content_type = response.headers.get("content-type") or [""]
        assert content_type[0].startswith("application/problem+json"), response.text


def test_no_generated_request_gets_a_5xx(live_schema: Any) -> None:
    operations = [result.ok() for result in live_schema.get_all_operations()]
    checked = 0
    for operation in operations:
        if operation.path.endswith("/stream"):
            continue  # the event stream does not end; it is tested on its own
        run = settings(
            max_examples=5,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )(given(case=operation.as_strategy())(_check))
        run()
        checked += 1
    assert checked >= 20
