"""The role x endpoint matrix: every endpoint answers each role exactly as the client's
permissions say, and a non-member gets 404 everywhere (the project's existence is not leaked)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotask.client.access import Accounts
from tests.server.conftest import ROLES, Server

EVERYONE = frozenset({"owner", "admin", "annotator", "reviewer", "worker"})
MANAGERS = frozenset({"owner", "admin"})


@dataclass(frozen=True)
class Case:
    """One endpoint: how to call it, the stage its task must be in, and who may."""

    method: str
    path: str
    allowed: frozenset[str]
    stage: str = "Pre-label"
    body: dict[str, Any] | None = None
    ok: int = 200


def _cases() -> list[Case]:
    label = "label-rows/{data}"
    return [
        Case("GET", "", EVERYONE),
        Case("GET", "/workflow", EVERYONE),
        Case("GET", "/members", MANAGERS),
        Case("PUT", "/members/zoe", MANAGERS, body={"role": "annotator"}),
        Case("GET", "/tasks", EVERYONE),
        Case("GET", "/tasks/{task}", EVERYONE),
        Case("GET", "/tasks/{task}/events", EVERYONE),
        Case("GET", "/events", EVERYONE),
        Case("GET", f"/{label}", EVERYONE),
        Case("GET", f"/{label}/history", EVERYONE),
        Case("GET", "/items/{data}", EVERYONE),
        Case("GET", "/items/{data}/media", EVERYONE),
        Case("GET", "/items/{data}/thumbnail", EVERYONE),
        Case("GET", "/items/{data}/frames/0", EVERYONE),
        Case("GET", "/export", EVERYONE),
        # editing labels by hand: people's roles, not the agents' (worker)
        Case("PUT", f"/{label}", EVERYONE - {"worker"}, body={"labels": None}),
        Case(
            "POST",
            "/tasks/{task}/proceed",
            frozenset({*MANAGERS, "worker"}),
            body={"pathway": "empty"},
        ),
        Case("POST", "/tasks/{task}/retry", frozenset({*MANAGERS, "worker"})),
        Case(
            "POST",
            "/tasks/{task}/assign",
            frozenset({*MANAGERS, "annotator"}),
            "Annotate",
            {"user": "bob"},
        ),
        Case("POST", "/tasks/{task}/submit", frozenset({*MANAGERS, "annotator"}), "Annotate"),
        Case(
            "POST",
            "/tasks/{task}/assign",
            frozenset({*MANAGERS, "reviewer"}),
            "Review",
            {"user": "carol"},
        ),
        Case("POST", "/tasks/{task}/approve", frozenset({*MANAGERS, "reviewer"}), "Review"),
        Case("POST", "/tasks/{task}/reject", frozenset({*MANAGERS, "reviewer"}), "Review"),
        Case("POST", "/tasks/{task}/move", MANAGERS, body={"to": "Complete"}),
    ]


def test_each_endpoint_answers_each_role_as_the_client_decides(server: Server) -> None:
    Accounts(server.project._ctx.store).create_user("zoe")  # roles go to accounts only
    server.project.add_member("zoe", "annotator")
    wrong: list[str] = []
    for user in sorted(ROLES):
        wrong += _check_role(server, user)
    assert wrong == []


def _check_role(server: Server, user: str) -> list[str]:
    role = ROLES[user]
    project = server.project
    base = f"/api/projects/{project.project_hash}"
    wrong: list[str] = []
    for case in _cases():
        task = project.list_tasks()[0]
        if task.stage.name != case.stage:
            task.move(case.stage)
        row = project.get_label_row(task.data_hash)
        path = base + case.path.format(task=task.uuid, data=task.data_hash)
        body = case.body
        if body == {"labels": None}:
            row.initialise_labels()
            body = {"labels": row.to_dict()}
        if case.method == "POST":
            body = {"stage": case.stage, **(case.body or {})}
        headers = {**server.as_(user), "If-Match": f'"{row.version}"'}
        answer = server.http.request(case.method, path, json=body, headers=headers)
        expected = case.ok if role in case.allowed else 404 if role is None else 403
        if answer.status_code != expected:
            wrong.append(f"{case.method} {case.path} as {role}: {answer.status_code} {answer.text}")
    return wrong
