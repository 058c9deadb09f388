"""Task-agent examples of the seed system's documentation pages and notebooks, with only
imports changed (and placeholders such as ``"<your_project_hash>"`` filled in), run on trial
projects, asserting what the pages say happens."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from PIL import Image

from annotask import AgentTask, Client
from annotask.labels import BoundingBoxCoordinates, ClassificationInstance, LabelRow, Option
from annotask.tasks import Depends, Runner
from annotask.tasks.dependencies import Twin, dep_twin_label_row
from annotask.tasks.models import TaskAgentReturnStruct
from annotask.testing import TrialProject, trial_project
from tests.compat.conftest import AGENT_STAGE_NAME, ONTOLOGY, WORKFLOW


def _numbered_images(folder: Path, numbers: list[int]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in numbers:
        path = folder / f"{n}.png"
        Image.new("RGB", (32, 24), (n, 100, 200)).save(path)
        paths.append(path)
    return paths


# docs/task_agents/sequential_runner.md ------------------------------------------------------
def test_sequential_runner_page_example(tmp_path: Path) -> None:
    workflow = {
        "stages": [
            {"name": "my_stage_name", "type": "agent", "pathways": {"next_stage": "Done"}},
            {"name": "Done", "type": "complete"},
        ]
    }
    trial = trial_project(tmp_path, images=3, workflow=workflow)
    runner = Runner(project_hash=trial.project_hash, client=trial.client)

    @runner.stage(stage="my_stage_name")  # or stage="<stage_uuid>"
    def process_task(lr: LabelRow) -> str | None:
        # Modify the label row as needed
        lr.set_priority(0.5)
        # Return the pathway name or UUID where the task should go next
        return "next_stage"

    runner(project_hash=trial.project_hash, num_retries=1, task_batch_size=10)
    trial.assert_all_in("Done")
    assert {row.priority for row in trial.project.list_label_rows_v2()} == {0.5}


# docs/notebooks/task_agent_set_priority.ipynb -----------------------------------------------
def test_set_priority_notebook(tmp_path: Path) -> None:
    workflow = {
        "stages": [
            {"name": "Prioritise", "type": "agent", "pathways": {"to_annotation": "Annotate"}},
            {"name": "Annotate", "type": "annotation", "pathways": {"submit": "Done"}},
            {"name": "Done", "type": "complete"},
        ]
    }
    files = _numbered_images(tmp_path / "media", [7, 42, 99])
    trial = trial_project(tmp_path / "store", files=files, workflow=workflow)
    runner = Runner(project_hash=trial.project_hash, client=trial.client)

    @runner.stage(str(trial.project.workflow.get_stage(name="Prioritise").uuid))
    def by_file_name(lr: LabelRow) -> str | TaskAgentReturnStruct | None:
        # Assuming the data_title is of the format "%d.jpg"
        # and in the range [0; 100]
        priority = int(lr.data_title.split(".")[0]) / 100
        return TaskAgentReturnStruct(
            pathway="to_annotation", label_row=lr, label_row_priority=priority
        )

    runner(task_batch_size=50, max_tasks_per_stage=None)
    trial.assert_all_in("Annotate")
    tasks = trial.project.list_tasks(stage="Annotate")  # highest priority first
    assert [(t.data_title, t.priority) for t in tasks] == [
        ("99.png", 0.99),
        ("42.png", 0.42),
        ("7.png", 0.07),
    ]


# docs/notebooks/task_agent_route_on_annotator_name.ipynb ------------------------------------
def test_route_on_annotator_name_notebook(tmp_path: Path) -> None:
    workflow = {
        "start": "Annotate",
        "stages": [
            {"name": "Annotate", "type": "annotation", "pathways": {"submit": "Router"}},
            {
                "name": "Router",
                "type": "agent",
                "pathways": {"Expert": "Light review", "Novice": "Full review"},
            },
            {
                "name": "Light review",
                "type": "review",
                "pathways": {"approve": "Done", "reject": "Annotate"},
            },
            {
                "name": "Full review",
                "type": "review",
                "pathways": {"approve": "Done", "reject": "Annotate"},
            },
            {"name": "Done", "type": "complete"},
        ],
    }
    trial = trial_project(tmp_path, images=2, workflow=workflow)
    for user in ("expert-ann", "novice-bob"):
        trial.project.add_member(user, "annotator")
    annotate = trial.project.list_tasks(stage="Annotate")
    for task, user in zip(annotate, ["expert-ann", "novice-bob"], strict=True):
        task.assign(user)
        annotator = trial.client.as_user(user).get_project(trial.project_hash)
        annotator.get_task(task.uuid).submit()  # type: ignore[attr-defined]
    submitted_by = {e.task_uuid: e.actor for e in trial.project.events() if e.action == "submit"}
    expected = {
        t.data_title: "Light review" if submitted_by[t.uuid] == "expert-ann" else "Full review"
        for t in trial.project.list_tasks(stage="Router")
    }

    runner = Runner(project_hash=trial.project_hash, client=trial.client)

    @runner.stage("Router")
    def by_file_name(task: AgentTask) -> str | TaskAgentReturnStruct:
        last_annotated_by = task.last_annotated_by
        assert last_annotated_by is not None
        if "expert" in last_annotated_by:
            # TaskAgentReturnStruct batches calls to the server
            return TaskAgentReturnStruct(pathway="Expert")
        else:
            # TaskAgentReturnStruct batches calls to the server
            return TaskAgentReturnStruct(pathway="Novice")

    runner(task_batch_size=50, max_tasks_per_stage=None)
    trial.assert_stages(expected)
    assert sorted(expected.values()) == ["Full review", "Light review"]


# docs/notebooks/AgentRouterBasedOnAttributes.ipynb ------------------------------------------
def _label_birds(trial: TrialProject, types: dict[str, str]) -> None:
    ontology = trial.project.ontology_structure
    bird = ontology.get_child_by_title("Bird")
    with trial.project.create_bundle() as bundle:
        rows = trial.project.list_label_rows_v2()
        for row in rows:
            row.initialise_labels()
            instance = bird.create_instance()
            instance.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.5, 0.5))
            instance.set_answer(types[row.data_title], attribute="Type")
            row.add_object_instance(instance)
            row.save(bundle=bundle)
        assert all(row.version == 0 for row in rows)  # saved when the bundle's block ends
    assert all(row.version == 1 for row in rows)


def test_router_based_on_attributes_notebook(tmp_path: Path) -> None:
    workflow = {
        "stages": [
            {
                "name": "Custom Router",
                "type": "agent",
                "pathways": {"Pass": "Done", "Second Review": "Review"},
            },
            {"name": "Review", "type": "review", "pathways": {"approve": "Done", "reject": "Done"}},
            {"name": "Done", "type": "complete"},
        ]
    }
    trial = trial_project(tmp_path, images=2, workflow=workflow, ontology=ONTOLOGY)
    _label_birds(trial, {"image-0.png": "Bluejay", "image-1.png": "Robin"})

    PROJECT_HASH = trial.project_hash
    STAGE_NAME = "Custom Router"
    ONTOLOGY_OBJECT_NAME = "Bird"
    ONTOLOGY_OBJECT_SUBFIELD_NAME = "Type"
    ATTRIBUTE_TO_FILTER_ON = "Bluejay"
    project = trial.client.get_project(PROJECT_HASH)
    # define ontology (& attributes you'd like)
    ontology = project.ontology_structure
    ontology_object = ontology.get_child_by_title(ONTOLOGY_OBJECT_NAME)
    question = ontology_object.get_child_by_title(ONTOLOGY_OBJECT_SUBFIELD_NAME)
    field_filter = ontology_object.get_child_by_title(ATTRIBUTE_TO_FILTER_ON)
    runner = Runner(project_hash=PROJECT_HASH, client=trial.client)
    matched: list[str] = []

    # main agent
    @runner.stage(STAGE_NAME, overwrite=True)
    def move_to_next_stage(lr: LabelRow) -> TaskAgentReturnStruct:
        for object in lr.get_object_instances(ontology_object):
            try:
                if object.get_answer(question).feature_node_hash == field_filter.feature_node_hash:
                    matched.append(lr.data_title)  # the notebook builds (and drops) a struct here
                    TaskAgentReturnStruct(pathway="Pass", label_row=lr)
            except Exception:
                continue
        # Batch calls using TaskAgentReturnStruct
        return TaskAgentReturnStruct(pathway="Second Review", label_row=lr)

    runner(task_batch_size=50, max_tasks_per_stage=None)
    assert matched == ["image-0.png"]
    trial.assert_all_in("Review")  # as written, the notebook sends every task on to review


# docs/notebooks/twin_project_label_transfer.ipynb -------------------------------------------
def test_twin_project_label_transfer_notebook(tmp_path: Path) -> None:
    trial = trial_project(tmp_path, images=2, workflow=WORKFLOW, ontology=ONTOLOGY)
    twin_ontology: dict[str, Any] = {
        "objects": [],
        "classifications": [
            {"name": name, "type": "radio", "options": ["yes", "no"]} for name in ("sharp", "sunny")
        ],
    }
    twin_project = trial.client.create_project(
        "sink", datasets=[trial.dataset], ontology=twin_ontology, workflow=WORKFLOW
    )
    checks = trial.project.ontology.get_classification("Checks")
    for row in trial.project.list_label_rows_v2():
        row.initialise_labels()
        instance = ClassificationInstance(checks)
        instance.set_for_frames(frames=0)
        instance.set_answer(["sharp"] if row.data_title == "image-0.png" else ["sunny"])
        row.add_classification_instance(instance)
        row.save()
    twin_pathway = twin_project.workflow.get_stage(name=AGENT_STAGE_NAME).pathways[0].uuid

    # 1. Setup the runner
    runner = Runner(project_hash=trial.project_hash, client=trial.client)
    # 2. Get the classification attribute used to query answers
    assert runner.project is not None
    checklist_classification = runner.project.ontology_structure.classifications[0]
    checklist_attribute = checklist_classification.attributes[0]

    # 3. Define the agent
    @runner.stage(stage=AGENT_STAGE_NAME)
    def copy_labels(
        manually_annotated_lr: LabelRow,
        twin: Annotated[Twin, Depends(dep_twin_label_row(twin_project_hash=twin_project.title))],
    ) -> str | TaskAgentReturnStruct | None:
        # 4. Reading the checkboxes that have been set
        instance = manually_annotated_lr.get_classification_instances()[0]
        answers = instance.get_answer(attribute=checklist_attribute)
        if answers is None or isinstance(answers, (str, Option)):
            return None
        set_options = {o.title for o in answers}  # type: ignore[union-attr]
        # 5. Set answer on the sink labels
        for radio_clf in twin.label_row.ontology_structure.classifications:
            ins = radio_clf.create_instance()
            attr = radio_clf.attributes[0]
            if radio_clf.title in set_options:
                ins.set_answer(attr.options[0])
            else:
                ins.set_answer(attr.options[1])
            ins.set_for_frames(frames=0)
            twin.label_row.add_classification_instance(ins)
        # 6. Save labels and proceed tasks
        twin.label_row.save()
        if twin.task and isinstance(twin.task, AgentTask):
            twin.task.proceed(pathway_uuid=twin_pathway)
        return TaskAgentReturnStruct(pathway="complete", label_row=manually_annotated_lr)

    runner(task_batch_size=50, max_tasks_per_stage=None)
    trial.assert_all_in("Complete")
    answers = {}
    for row in twin_project.list_label_rows_v2():
        row.initialise_labels()
        answers[row.data_title] = {
            i.classification_name: i.get_answer().name  # type: ignore[union-attr]
            for i in row.get_classification_instances()
        }
    assert answers == {
        "image-0.png": {"sharp": "yes", "sunny": "no"},
        "image-1.png": {"sharp": "no", "sunny": "yes"},
    }
    # without include_task=True the twin carries no task, so the sink's tasks stay put
    assert len(twin_project.list_tasks(stage=AGENT_STAGE_NAME)) == 2


def test_clients_stay_the_runners_own(tmp_path: Path) -> None:
    """``dep_client`` docs: the client is authenticated and ready to use — here, the runner's
    own client, acting as its user."""
    trial = trial_project(tmp_path, images=1, workflow=WORKFLOW, user="agent-bot")
    runner = Runner(project_hash=trial.project_hash, client=trial.client)
    from annotask.tasks.dependencies import dep_client  # noqa: PLC0415 - as the page imports it

    users: list[str] = []

    @runner.stage(AGENT_STAGE_NAME)
    def my_agent(client: Annotated[Client, Depends(dep_client)]) -> str:
        users.append(client.user)
        return "complete"

    runner()
    assert users == ["agent-bot"]
