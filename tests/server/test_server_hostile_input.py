"""Hostile input over HTTP: numbers past what the store holds, numerals past what Python
parses, malformed JSON and Range headers, names with control characters, and an import by a
role that may not edit labels by hand. Every refusal is problem details; nothing is a 500 and
nothing changes."""

from __future__ import annotations

import json
from typing import Any

import httpx

import annotask
from annotask.client.access import Accounts
from tests.server.conftest import Server

TOO_BIG = 2**63  # one past SQLite's largest integer
HUGE = "9" * 5000  # past Python's 4300-digit limit on int()


def _base(server: Server) -> str:
    return f"/api/projects/{server.project.project_hash}"


def _problem(answer: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
    body: dict[str, Any] = answer.json()
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


def _versions(project: annotask.Project) -> list[int]:
    return sorted(row.version for row in project.list_label_rows())


def _coco(server: Server) -> bytes:
    coco = server.http.get(
        _base(server) + "/export", params={"format": "coco"}, headers=server.as_("bob")
    ).json()
    car = coco["categories"][0]
    return json.dumps(
        {
            "images": [{"id": 1, "file_name": "img0.png", "width": 40, "height": 30}],
            "annotations": [
                {"id": 1, "image_id": 1, "category_id": car["id"], "bbox": [4, 3, 8, 6]}
            ],
            "categories": [car],
        }
    ).encode()


# -- an import is editing labels by hand ---------------------------------------------------


def test_a_worker_may_not_import_labels_as_it_may_not_edit_them(server: Server) -> None:
    coco = _coco(server)
    refused = server.http.post(
        _base(server) + "/import",
        files={"file": ("good.json", coco, "application/json")},
        headers=server.as_("dave"),  # worker
    )
    _problem(refused, 403, "edit labels by hand")
    assert _versions(server.project) == [0, 0, 0, 0, 0]
    imported = server.http.post(
        _base(server) + "/import",
        files={"file": ("good.json", coco, "application/json")},
        headers=server.as_("bob"),  # annotator
    )
    assert imported.status_code == 200, imported.text
    assert _versions(server.project) == [0, 0, 0, 0, 1]


# -- roles only for accounts that exist ----------------------------------------------------


def test_a_role_for_a_user_without_an_account_is_404_and_adds_nobody(server: Server) -> None:
    before = server.project.members()
    answer = server.http.put(
        _base(server) + "/members/nosuchuser",
        json={"role": "annotator"},
        headers=server.as_("alice"),
    )
    _problem(answer, 404, "'nosuchuser'", "annotask users create")
    assert server.project.members() == before
    # a non-manager learns nothing about which accounts exist
    hidden = server.http.put(
        _base(server) + "/members/nosuchuser",
        json={"role": "annotator"},
        headers=server.as_("carol"),
    )
    _problem(hidden, 403, "owners and admins")
    Accounts(server.project._ctx.store).create_user("nosuchuser")
    made = server.http.put(
        _base(server) + "/members/nosuchuser",
        json={"role": "annotator"},
        headers=server.as_("alice"),
    )
    assert made.status_code == 200, made.text
    assert server.project.members()["nosuchuser"].value == "annotator"


# -- names with control characters ---------------------------------------------------------


def test_user_names_with_control_characters_are_refused(server: Server) -> None:
    Accounts(server.project._ctx.store).create_user("root-admin", admin=True)
    token = Accounts(server.project._ctx.store).issue_token("root-admin").secret
    for name in ("nul\x00", "bell\x07", "zero\u200bwidth"):
        answer = server.http.post(
            "/api/users", json={"name": name}, headers={"Authorization": f"Bearer {token}"}
        )
        _problem(answer, 422, "control characters")
    names = {u.name for u in Accounts(server.project._ctx.store).list_users()}
    assert not any(not n.isprintable() for n in names)
