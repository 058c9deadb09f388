"""Conflicts over HTTP: two clients saving one label row at once, and a task moved by a runner
while a reviewer approves it. The loser is told, and nothing is overwritten or moved twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

import annotask
from annotask.labels import BoundingBoxCoordinates, ObjectInstance
from annotask.tasks import Runner
from tests.server.conftest import Server


def test_concurrent_saves_of_one_label_row_keep_exactly_one(server: Server) -> None:
    project = server.project
    row = project.list_label_rows()[0]
    path = f"/api/projects/{project.project_hash}/label-rows/{row.data_hash}"
    documents = []
    for i in range(6):
        mine = project.get_label_row(row.data_hash)
        mine.initialise_labels()
        box = ObjectInstance(mine.ontology.get_object("car"))
        box.set_for_frames(BoundingBoxCoordinates(i / 10, 0.1, 0.05, 0.05), frames=0)
        mine.add_object_instance(box)
        documents.append(mine.to_dict())
    users = ["alice", "adam", "bob", "carol", "bob", "alice"]  # people: workers are agents

    def save(i: int) -> httpx.Response:
        with httpx.Client(base_url=str(server.http.base_url), timeout=60) as http:
            return http.put(
                path,
                json={"labels": documents[i]},
                headers={**server.as_(users[i]), "If-Match": '"0"'},
            )

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(save, range(6)))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) == 1 and set(codes) <= {200, 409, 412}, [a.text for a in answers]
    winner = next(i for i, a in enumerate(answers) if a.status_code == 200)
    saved = project.get_label_row(row.data_hash)
    saved.initialise_labels()
    assert saved.version == 1 and saved.to_dict() == answers[winner].json()["labels"]
    assert [v.saved_by for v in saved.history()] == [users[winner]]


def test_a_task_moved_by_a_runner_while_a_reviewer_approves_it_is_409(server: Server) -> None:
    project = server.project
    base = f"/api/projects/{project.project_hash}/tasks"
    review = project.workflow.get_stage(name="Review")
    task = project.list_tasks()[0]
    task.move(review)
    seen = server.http.get(f"{base}/{task.uuid}", headers=server.as_("carol")).json()
    assert seen["stage"] == "Review"
    # meanwhile an owner sends it back to pre-labeling, and a runner routes it to Annotate
    project.get_task(task.uuid).move("Pre-label")
    with annotask.Client(server.url, user="dave") as worker:
        runner = Runner(project.project_hash, client=worker)

        @runner.stage("Pre-label")
        def route(agent_task: annotask.AgentTask) -> str:
            return "empty"

        report = runner(task_batch_size=10)
    assert report.moved == 5
    answer = server.http.post(
        f"{base}/{task.uuid}/approve", json={"stage": seen["stage"]}, headers=server.as_("carol")
    )
    assert answer.status_code == 409
    assert answer.json()["current_stage"] == "Annotate"
    assert "no longer in stage 'Review'" in answer.json()["detail"]
    now = project.get_task(task.uuid)
    assert now.stage.name == "Annotate"
    assert [e.action for e in project.events(task.uuid)] == ["move", "move", "proceed"]
