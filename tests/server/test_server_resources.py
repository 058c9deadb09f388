"""Projects, tasks and label rows over HTTP, as members with different roles see them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import annotask
from annotask.labels import BoundingBoxCoordinates, ObjectInstance
from tests.server.conftest import Server


def _project_path(server: Server) -> str:
    return f"/api/projects/{server.project.project_hash}"


def test_members_list_their_projects_with_counts_and_workflow(server: Server) -> None:
    listed = server.http.get("/api/projects", headers=server.as_("bob")).json()
    assert [(p["title"], p["role"]) for p in listed] == [("demo", "annotator")]
    assert server.http.get("/api/projects", headers=server.as_("eve")).json() == []
    detail = server.http.get(_project_path(server), headers=server.as_("bob")).json()
    assert detail["counts"]["Pre-label"] == {"new": 5}
    assert detail["counts"]["Complete"] == {}
    flow = server.http.get(_project_path(server) + "/workflow", headers=server.as_("bob")).json()
    assert flow["start_stage"] == "Pre-label"
    review = next(s for s in flow["stages"] if s["name"] == "Review")
    assert {p["name"]: p["destination"] for p in review["pathways"]} == {
        "approve": "Complete",
        "reject": "Annotate",
    }


def test_a_non_member_gets_404_exactly_like_a_missing_project(server: Server) -> None:
    hidden = server.http.get(_project_path(server), headers=server.as_("eve"))
    missing = server.http.get(
        "/api/projects/00000000-0000-0000-0000-000000000000", headers=server.as_("eve")
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(server.project.project_hash, "X") == missing.json()[
        "detail"
    ].replace("00000000-0000-0000-0000-000000000000", "X")


def _tasks(server: Server, user: str, **params: Any) -> dict[str, Any]:
    answer = server.http.get(
        _project_path(server) + "/tasks", headers=server.as_(user), params=params
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_task_list_pages_with_cursors_and_filters(server: Server) -> None:
    first = _tasks(server, "bob", stage="Pre-label", limit=2)
    assert len(first["tasks"]) == 2 and first["next_cursor"]
    seen = [t["uuid"] for t in first["tasks"]]
    cursor = first["next_cursor"]
    while cursor:
        page = _tasks(server, "bob", stage="Pre-label", limit=2, cursor=cursor)
        seen += [t["uuid"] for t in page["tasks"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 5
    assert _tasks(server, "bob", q="img3")["tasks"][0]["data_title"] == "img3.png"
    assert _tasks(server, "bob", stage="Review")["tasks"] == []
    assert len(_tasks(server, "bob", priority_min=0.5, priority_max=0.5)["tasks"]) == 5
    assert _tasks(server, "bob", priority_min=0.6)["tasks"] == []


def test_paging_is_stable_while_tasks_move(server: Server) -> None:
    first = _tasks(server, "alice", stage="Pre-label", limit=2)
    # a runner moves a task of the first page and one not yet listed meanwhile
    stage = server.project.workflow.get_stage(name="Pre-label")
    tasks = {str(t.uuid): t for t in stage.get_tasks()}
    listed = [t["uuid"] for t in first["tasks"]]
    later = [u for u in tasks if u not in listed]
    for uuid in (listed[0], later[0]):
        task = tasks[uuid]
        assert isinstance(task, annotask.AgentTask)
        task.proceed("empty")
    rest = _tasks(server, "alice", stage="Pre-label", limit=50, cursor=first["next_cursor"])
    assert [t["uuid"] for t in rest["tasks"]] == later[1:]
    assert rest["next_cursor"] is None


def test_task_actions_name_the_stage_seen_and_a_moved_task_is_409(server: Server) -> None:
    base = _project_path(server) + "/tasks"
    task = _tasks(server, "alice", stage="Pre-label")["tasks"][0]
    moved = server.http.post(
        f"{base}/{task['uuid']}/proceed",
        json={"stage": "Pre-label", "pathway": "has objects"},
        headers=server.as_("dave"),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["stage"] == "Review"
    # a second worker who still saw it in Pre-label
    again = server.http.post(
        f"{base}/{task['uuid']}/proceed",
        json={"stage": "Pre-label", "pathway": "empty"},
        headers=server.as_("dave"),
    )
    assert again.status_code == 409
    assert again.json()["current_stage"] == "Review"
    assert "now in 'Review'" in again.json()["detail"]
    # an annotator cannot approve; a reviewer can
    denied = server.http.post(
        f"{base}/{task['uuid']}/approve", json={"stage": "Review"}, headers=server.as_("bob")
    )
    assert denied.status_code == 403
    approved = server.http.post(
        f"{base}/{task['uuid']}/approve", json={"stage": "Review"}, headers=server.as_("carol")
    )
    assert approved.status_code == 200 and approved.json()["stage"] == "Complete"
    detail = server.http.get(f"{base}/{task['uuid']}", headers=server.as_("bob")).json()
    assert [(e["action"], e["to_stage"], e["actor"]) for e in detail["events"]] == [
        ("proceed", "Review", "dave"),
        ("approve", "Complete", "carol"),
    ]


def test_label_rows_carry_their_version_as_etag_and_stale_saves_are_refused(
    server: Server,
) -> None:
    task = _tasks(server, "bob")["tasks"][0]
    path = f"{_project_path(server)}/label-rows/{task['data_hash']}"
    got = server.http.get(path, headers=server.as_("bob"))
    assert got.status_code == 200 and got.headers["etag"] == '"0"'
    labels = got.json()["labels"]
    row = server.project.get_label_row(task["data_hash"])
    row.initialise_labels()
    instance = ObjectInstance(row.ontology.get_object("car"))
    instance.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.2, 0.2), frames=0)
    row.add_object_instance(instance)
    document = row.to_dict()
    assert document != labels
    no_match = server.http.put(path, json={"labels": document}, headers=server.as_("bob"))
    assert no_match.status_code == 428
    saved = server.http.put(
        path, json={"labels": document}, headers={**server.as_("bob"), "If-Match": '"0"'}
    )
    assert saved.status_code == 200, saved.text
    assert saved.headers["etag"] == '"1"' and len(saved.json()["labels"]["objects"]) == 1
    # a second client that also loaded version 0 cannot overwrite it
    stale = server.http.put(
        path, json={"labels": labels}, headers={**server.as_("carol"), "If-Match": '"0"'}
    )
    assert stale.status_code == 412 and stale.json()["current_version"] == 1
    assert server.project.get_label_row(task["data_hash"]).version == 1
    # history and revert
    history = server.http.get(path + "/history", headers=server.as_("bob")).json()
    assert [(v["version"], v["saved_by"]) for v in history["versions"]] == [(1, "bob")]
    reverted = server.http.post(
        path + "/revert", json={"version": 1}, headers={**server.as_("alice"), "If-Match": '"1"'}
    )
    assert reverted.status_code == 200 and reverted.headers["etag"] == '"2"'


def test_bad_input_is_422_naming_the_field(server: Server) -> None:
    task = _tasks(server, "bob")["tasks"][0]
    base = f"{_project_path(server)}/tasks/{task['uuid']}"
    unknown = server.http.post(
        base + "/submit", json={"stage": "Annotate", "extra": 1}, headers=server.as_("bob")
    )
    assert unknown.status_code == 422 and "extra" in unknown.json()["detail"]
    missing = server.http.post(base + "/submit", json={}, headers=server.as_("bob"))
    assert missing.status_code == 422 and "stage" in missing.json()["detail"]
    malformed = server.http.post(
        base + "/submit",
        content=b"{not json",
        headers={**server.as_("bob"), "Content-Type": "application/json"},
    )
    assert malformed.status_code == 422
    out_of_range = server.http.get(
        _project_path(server) + "/tasks", params={"limit": 0}, headers=server.as_("bob")
    )
    assert out_of_range.status_code == 422 and "limit" in out_of_range.json()["detail"]


def test_bodies_over_the_limit_are_refused_before_reading(server: Server) -> None:
    answer = server.http.put(
        f"{_project_path(server)}/label-rows/x",
        content=b"{" + b" " * 300_000 + b"}",
        headers={**server.as_("bob"), "Content-Type": "application/json", "If-Match": '"0"'},
    )
    assert answer.status_code == 413


def test_a_chunked_body_is_refused_once_it_passes_the_limit(server: Server) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b" " * 10_000

    answer = server.http.put(
        f"{_project_path(server)}/label-rows/x",
        content=chunks(),
        headers={**server.as_("bob"), "Content-Type": "application/json", "If-Match": '"0"'},
    )
    assert answer.status_code == 413 and "limit of 200000 bytes" in answer.json()["detail"]


def test_tasks_filter_by_last_pathway_assignee_and_failure(server: Server) -> None:
    stage = server.project.workflow.get_stage(name="Pre-label")
    tasks = list(stage.get_tasks())
    for task, pathway in zip(tasks[:3], ["empty", "empty", "has objects"], strict=True):
        assert isinstance(task, annotask.AgentTask)
        task.proceed(pathway)
    empty = _tasks(server, "bob", last_pathway="empty")["tasks"]
    assert sorted(t["uuid"] for t in empty) == sorted(str(t.uuid) for t in tasks[:2])
    assert {t["stage"] for t in empty} == {"Annotate"}
    base = f"{_project_path(server)}/tasks/{empty[0]['uuid']}"
    assigned = server.http.post(
        base + "/assign", json={"stage": "Annotate", "user": "bob"}, headers=server.as_("bob")
    )
    assert assigned.status_code == 200 and assigned.json()["status"] == "assigned"
    mine = _tasks(server, "bob", assignee="bob")["tasks"]
    assert [t["uuid"] for t in mine] == [empty[0]["uuid"]]
    assert _tasks(server, "bob", failed=True)["tasks"] == []
    assert len(_tasks(server, "bob", failed=False)["tasks"]) == 5
