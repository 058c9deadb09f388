"""Hostile input over HTTP: numbers past what the store holds, numerals past what Python
parses, malformed JSON and Range headers, names with control characters, and an import by a
role that may not edit labels by hand. Every refusal is problem details; nothing is a 500 and
nothing changes."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import httpx
import pytest

import annotask
from annotask.client.access import Accounts
from annotask.labels import BoundingBoxCoordinates, ObjectInstance
from tests.server.conftest import Server

TOO_BIG = 2**63  # one past SQLite's largest integer
PAST_POSTGRES = 2**31  # one past PostgreSQL's INTEGER (ids and versions)
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


# -- integers past what the store holds ----------------------------------------------------


@pytest.mark.parametrize("big", [PAST_POSTGRES, TOO_BIG])
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/events?after={big}", "after"),
        ("/tasks/{task}/events?after={big}", "after"),
        ("/events/stream?after={big}", "after"),
        ("/label-rows/{data}/versions/{big}", "version"),
        ("/items/{data}/frames/{big}", "index"),
    ],
)
def test_integers_past_the_store_are_422_naming_the_field(
    server: Server, path: str, field: str, big: int
) -> None:
    task = server.project.list_tasks()[0]
    url = _base(server) + path.format(big=big, task=task.uuid, data=task.data_hash)
    body = _problem(server.http.get(url, headers=server.as_("bob")), 422, field)
    assert body["errors"][0]["field"].endswith(field)


def _saved_once(server: Server) -> tuple[str, str]:
    """A row saved once (version 1, one box), and its path."""
    row = server.project.list_label_rows()[0]
    row.initialise_labels()
    box = ObjectInstance(row.ontology.get_object("car"))
    box.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.2, 0.2), frames=0)
    row.add_object_instance(box)
    row.save()
    return row.data_hash, f"{_base(server)}/label-rows/{row.data_hash}"


@pytest.mark.parametrize("version", [100000000000000000000, TOO_BIG, True, "1", 1.0], ids=repr)
def test_a_revert_takes_a_plain_integer_version_in_range(server: Server, version: object) -> None:
    data_hash, path = _saved_once(server)
    answer = server.http.post(
        path + "/revert",
        json={"version": version},
        headers={**server.as_("alice"), "If-Match": '"1"'},
    )
    body = _problem(answer, 422, "version")
    assert body["errors"][0]["field"] == "body.version"
    assert server.project.get_label_row(data_hash).version == 1  # nothing reverted


# -- numerals Python will not parse --------------------------------------------------------


@pytest.mark.parametrize(
    "if_match",
    [
        f'"{HUGE}"'.encode(),
        f'"{TOO_BIG}"'.encode(),
        f'"{PAST_POSTGRES}"'.encode(),
        b'"\xb2"',
        b'"-1"',
        b"W/",
        b'""',
    ],
    ids=["5000 digits", "2**63", "2**31", "superscript two", "negative", "bare W/", "empty"],
)
def test_an_if_match_that_is_no_version_is_412(server: Server, if_match: bytes) -> None:
    data_hash, path = _saved_once(server)
    row = server.http.get(path, headers=server.as_("bob")).json()
    answer = server.http.put(
        path, json={"labels": row["labels"]}, headers={**server.as_("bob"), "If-Match": if_match}
    )
    _problem(answer, 412, "not a label row version", '"1"')
    assert server.project.get_label_row(data_hash).version == 1


def _first_streamed(server: Server, last_event_id: bytes) -> dict[str, Any]:
    """The first event the stream sends to a client resuming from ``last_event_id``."""
    received: list[dict[str, Any]] = []
    status: list[int] = []
    done = threading.Event()

    def listen() -> None:
        headers = {**server.as_("bob"), "Last-Event-ID": last_event_id}
        with server.http.stream(
            "GET", _base(server) + "/events/stream", headers=headers, timeout=20
        ) as answer:
            status.append(answer.status_code)
            for line in answer.iter_lines():
                if line.startswith("data: "):
                    received.append(json.loads(line.removeprefix("data: ")))
                    break
        done.set()

    threading.Thread(target=listen, daemon=True).start()
    assert done.wait(15), (status, received)
    assert status == [200] and received, (status, received)
    return received[0]


@pytest.mark.parametrize(
    "last_event_id",
    [b"9999999999999999999999999", HUGE.encode(), b"2147483648", b"\xb2", b"-3", b"abc"],
    ids=["25 digits", "5000 digits", "2**31", "superscript two", "negative", "letters"],
)
def test_a_last_event_id_we_never_sent_is_ignored(server: Server, last_event_id: bytes) -> None:
    for task in server.project.list_tasks()[:2]:
        assert isinstance(task, annotask.AgentTask)
        task.proceed("empty")
    page = server.http.get(_base(server) + "/events", headers=server.as_("bob")).json()
    first = _first_streamed(server, last_event_id)
    assert first["id"] == page["events"][0]["id"]  # from the start, as without the header


# -- an upload nested too deep to parse ----------------------------------------------------


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"[" * 5000 + b"]" * 5000, ("deep.json", "nested")),
        (b"[]", ("deep.json", "not a COCO object")),
        (b'{"images": NaN}', ("deep.json", "not valid JSON")),
        (b'{"a": "\xc3"}', ("deep.json", "not valid JSON")),
    ],
    ids=["5000 deep", "a list", "NaN", "not UTF-8"],
)
def test_an_import_that_cannot_be_read_is_422_and_changes_nothing(
    server: Server, content: bytes, words: tuple[str, ...]
) -> None:
    answer = server.http.post(
        _base(server) + "/import",
        files={"file": ("deep.json", content, "application/json")},
        headers=server.as_("bob"),
    )
    _problem(answer, 422, *words, "nothing was imported")
    assert _versions(server.project) == [0, 0, 0, 0, 0]


# -- request bodies that are not JSON ------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{"name": "\xc3"}', ("body", "not UTF-8")),
        (b"[" * 90_000 + b"]" * 90_000, ("body", "nested")),
        (b'{"name": ', ("body", "not valid JSON")),
        (b'{"name": ' + HUGE.encode() + b"}", ("body", "number too long")),
    ],
    ids=["invalid UTF-8", "90000 deep", "cut short", "5000 digits"],
)
def test_a_body_that_is_not_json_is_a_422_problem(
    server: Server, content: bytes, words: tuple[str, ...]
) -> None:
    answer = server.http.post(
        "/api/tokens",
        content=content,
        headers={**server.as_("bob"), "Content-Type": "application/json"},
    )
    body = _problem(answer, 422, *words)
    assert body["errors"][0]["field"].startswith("body")
    names = {t["name"] for t in server.http.get("/api/tokens", headers=server.as_("bob")).json()}
    assert names == {"tests"}


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


# -- Range headers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["bytes=100-50", "bytes=abc", "bytes=", "bytes=1-2-3", "lines=0-4", f"bytes=0-{HUGE}x"],
)
def test_a_malformed_range_is_ignored_and_the_whole_file_sent(server: Server, header: str) -> None:
    data_hash = server.project.list_tasks()[0].data_hash
    path = f"{_base(server)}/items/{data_hash}/media"
    whole = server.http.get(path, headers=server.as_("bob"))
    answer = server.http.get(path, headers={**server.as_("bob"), "Range": header})
    assert answer.status_code == 200, answer.text
    assert answer.content == whole.content and "content-range" not in answer.headers
    page = server.http.get("/", headers={"Range": header})
    assert page.status_code == 200 and b"<html" in page.content.lower()


def test_an_unsatisfiable_range_is_a_416_problem(server: Server) -> None:
    data_hash = server.project.list_tasks()[0].data_hash
    path = f"{_base(server)}/items/{data_hash}/media"
    size = len(server.http.get(path, headers=server.as_("bob")).content)
    for header in (f"bytes={size}-", f"bytes={HUGE}-", "bytes=-0"):
        answer = server.http.get(path, headers={**server.as_("bob"), "Range": header})
        _problem(answer, 416, "Range")
        assert answer.headers["content-range"] == f"bytes */{size}"
    # one satisfiable range among unsatisfiable ones is served
    part = server.http.get(path, headers={**server.as_("bob"), "Range": f"bytes={size + 5}-,0-3"})
    assert part.status_code == 206 and len(part.content) == 4
    # a suffix longer than the file (however many digits) is the whole file
    whole = server.http.get(path, headers={**server.as_("bob"), "Range": f"bytes=-{HUGE}"})
    assert whole.status_code == 206 and len(whole.content) == size


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


# -- NUL characters in URLs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/tasks?q=%00"),
        ("GET", "/tasks?assignee=a%00b"),
        ("PUT", "/members/%00"),
        ("GET", "/label-rows/%00"),
    ],
)
def test_a_nul_in_the_url_is_422_on_every_store(server: Server, method: str, path: str) -> None:
    before = server.project.members()
    body = {"role": "annotator"} if method == "PUT" else None
    answer = server.http.request(
        method, _base(server) + path, json=body, headers=server.as_("alice")
    )
    _problem(answer, 422, "NUL character")
    assert server.project.members() == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/session", {"user": "bob\x00", "password": "secret"}, "body.user"),
        ("{base}/tasks/{task}/assign", {"stage": "Pre-label", "user": "b\x00b"}, "body.user"),
        ("{base}/tasks/{task}/proceed", {"stage": "Pre\x00label", "pathway": "x"}, "body.stage"),
    ],
)
def test_a_nul_in_a_body_is_422_naming_the_field_on_every_store(
    server: Server, path: str, body: dict[str, str], field: str
) -> None:
    (task,) = [t for t in server.project.list_tasks() if t.stage.name == "Pre-label"][:1]
    before = [(t.uuid, t.stage.name, t.assignee) for t in server.project.list_tasks()]
    url = path.format(base=_base(server), task=task.uuid)
    answer = server.http.post(url, json=body, headers=server.as_("alice"))
    _problem(answer, 422, field, "NUL character")
    assert [(t.uuid, t.stage.name, t.assignee) for t in server.project.list_tasks()] == before


def test_a_value_the_database_refuses_is_a_422_problem_not_a_500() -> None:
    from fastapi import FastAPI  # noqa: PLC0415 - a bare app with only the handlers
    from sqlalchemy.exc import DataError  # noqa: PLC0415

    from annotask.server.problems import install_handlers  # noqa: PLC0415

    app = FastAPI()
    install_handlers(app)

    @app.get("/refused")
    def refused() -> None:
        raise DataError("UPDATE tasks", {}, ValueError("invalid byte sequence: 0x00"))

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.get("/refused")

    _problem(asyncio.run(get()), 422, "the store refused a value", "NUL character")
