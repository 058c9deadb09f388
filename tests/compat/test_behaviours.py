"""The eight behaviours where annotask used to differ from the seed's system, each as the
seed's users rely on it, and the command-line project override (``--project-hash`` wins)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Annotated

import pytest

from annotask import AgentTask, AuthorizationError, LabelRow, ValidationError
from annotask.tasks import Depends, QueueRunner, Runner, TaskCompletionResult
from annotask.tasks.models import LabelRowInitialiseLabelsArgs, LabelRowMetadataIncludeArgs
from annotask.testing import trial_project
from tests.compat.conftest import (
    AGENT_STAGE_NAME,
    AGENT_TO_COMPLETE_PATHWAY_NAME,
    ONTOLOGY,
    WORKFLOW,
    Ephemeral,
)

REPO = Path(__file__).resolve().parents[2]


# 1. a list of specs gives one TaskCompletionResult of lists: see test_queue_runner_ported.py


# 2 ------------------------------------------------------------------------------------------
def test_get_agent_stages_of_a_runner_without_agents_yields_nothing(
    ephemeral_project: Ephemeral,
) -> None:
    runner = QueueRunner(ephemeral_project.project_hash, client=ephemeral_project.trial.client)
    assert list(runner.get_agent_stages()) == []


# 3 ------------------------------------------------------------------------------------------
def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTASK_")}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env.update(extra, TERM="dumb")
    return env


def _agent_file(folder: Path, project: str) -> Path:
    path = folder / "agent.py"
    path.write_text(
        textwrap.dedent(
            f"""\
            from annotask import AgentTask
            from annotask.tasks import Runner

            runner = Runner(project_hash={project!r})


            @runner.stage({AGENT_STAGE_NAME!r})
            def finish(task: AgentTask) -> str:
                return {AGENT_TO_COMPLETE_PATHWAY_NAME!r}


            if __name__ == "__main__":
                runner.run()
                print("AFTER RUN")
            """
        ),
        encoding="utf-8",
    )
    return path


def _python(script: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=script.parent,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_run_ends_the_program_like_a_typer_app(
    ephemeral_image_project: Ephemeral, tmp_path: Path
) -> None:
    trial = ephemeral_image_project.trial
    script = _agent_file(tmp_path, trial.project_hash)
    helped = _python(script, "--help")
    assert helped.returncode == 0, helped.stderr
    assert "--project-hash" in helped.stdout and "AFTER RUN" not in helped.stdout
    trial.assert_all_in(AGENT_STAGE_NAME)

    db = f"sqlite:///{trial.folder / 'trial.db'}"
    ran = _python(script, "--db", db, "--max-tasks-per-stage", "2", ANNOTASK_USER="tester")
    assert ran.returncode == 0, ran.stderr
    assert "AFTER RUN" not in ran.stdout
    assert len(trial.titles_in("Complete")) == 2

    failed = _python(script, "--db", db, "--num-retries", "-1", ANNOTASK_USER="tester")
    assert failed.returncode == 1 and "num_retries must be at least 0" in failed.stderr
    assert "AFTER RUN" not in failed.stdout


def test_the_command_line_project_wins_over_the_one_in_the_file(
    ephemeral_image_project: Ephemeral, tmp_path: Path
) -> None:
    """The file names a project this store does not have (as one written for production
    would): --project-hash chooses the one to run on, with python agent.py and annotask run
    alike, and the file's project is never looked up first."""
    trial = ephemeral_image_project.trial
    db = f"sqlite:///{trial.folder / 'trial.db'}"
    script = _agent_file(tmp_path, "production project")
    env = {"ANNOTASK_DATABASE_URL": db, "ANNOTASK_USER": "tester"}

    ran = _python(script, "--project-hash", trial.project_hash, "--max-tasks-per-stage", "1", **env)
    assert ran.returncode == 0, ran.stderr
    assert len(trial.titles_in("Complete")) == 1

    cli = subprocess.run(
        [sys.executable, "-m", "annotask", "run", str(script), "--project-hash", "images"],
        cwd=tmp_path,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    trial.assert_all_in("Complete")

    missing = _python(script, **env)
    assert missing.returncode == 1 and "production project" in missing.stderr


def test_runner_project_is_the_one_the_run_used(ephemeral_image_project: Ephemeral) -> None:
    trial = ephemeral_image_project.trial
    other = trial.client.create_project(
        "other", datasets=[trial.dataset], ontology=ONTOLOGY, workflow=WORKFLOW
    )
    runner = Runner(project_hash=trial.project_hash, client=trial.client)
    assert runner.project is not None and runner.project.project_hash == trial.project_hash

    @runner.stage(AGENT_STAGE_NAME)
    def finish(task: AgentTask) -> str:
        return AGENT_TO_COMPLETE_PATHWAY_NAME

    runner(project_hash=other.project_hash)
    assert runner.project.project_hash == other.project_hash
    assert {s: len(other.list_tasks(stage=s)) for s in ("Agent 1", "Complete")} == {
        "Agent 1": 0,
        "Complete": 7,
    }
    trial.assert_all_in(AGENT_STAGE_NAME)  # the runner's own project was not touched
    assert Runner().project is None


# 4 ------------------------------------------------------------------------------------------
def test_every_label_row_option_of_the_sdk_is_accepted(ephemeral_image_project: Ephemeral) -> None:
    trial = ephemeral_image_project.trial
    runner = Runner(project_hash=trial.project_hash, client=trial.client)
    seen: list[bool] = []

    @runner.stage(
        AGENT_STAGE_NAME,
        label_row_metadata_include_args=LabelRowMetadataIncludeArgs(
            include_workflow_graph_node=True,
            include_client_metadata=True,
            include_images_data=True,
            include_all_label_branches=True,
            branch_name="main",
            include_children=True,
            include_signed_url=True,
        ),
        label_row_initialise_labels_args=LabelRowInitialiseLabelsArgs(
            include_object_feature_hashes={ephemeral_image_project.bbox_hash},
            include_classification_feature_hashes=set(),
            include_reviews=True,
            overwrite=True,
            include_signed_url=True,
        ),
    )
    def finish(label_row: LabelRow) -> str:
        seen.append(label_row.is_labelling_initialised)
        return AGENT_TO_COMPLETE_PATHWAY_NAME

    assert runner().moved == 7 and seen == [True] * 7
    with pytest.raises(ValueError, match="not_an_option"):
        LabelRowMetadataIncludeArgs(not_an_option=True)  # type: ignore[call-arg]


# 5 ------------------------------------------------------------------------------------------
def test_depends_both_annotated_and_as_default_is_refused_at_decoration(
    ephemeral_image_project: Ephemeral,
) -> None:
    trial = ephemeral_image_project.trial
    runner = Runner(project_hash=trial.project_hash, client=trial.client)

    def threshold() -> float:
        return 0.5

    with pytest.raises(ValidationError) as info:

        @runner.stage(AGENT_STAGE_NAME)
        def agent(
            value: Annotated[float, Depends(threshold)] = Depends(threshold),
        ) -> str:
            return AGENT_TO_COMPLETE_PATHWAY_NAME

    message = str(info.value)
    assert "parameter 'value'" in message and "both in Annotated[...] and as its default" in message
    assert "keep one" in message
    assert runner.agents == []


# 6, 7: dep_asset and dep_video_iterator: see test_dependencies_ported.py


# 8 ------------------------------------------------------------------------------------------
def test_a_client_whose_user_is_not_a_member_fails_at_construction(
    ephemeral_image_project: Ephemeral,
) -> None:
    trial = ephemeral_image_project.trial
    stranger = trial.client.as_user("mallory")
    with pytest.raises(AuthorizationError):
        Runner(project_hash=trial.project_hash, client=stranger)
    with pytest.raises(AuthorizationError):
        QueueRunner(project_hash=trial.project_hash, user_client=stranger)
    trial.project.add_member("ann", "annotator")
    with pytest.raises(AuthorizationError, match="does not allow agent"):
        Runner(project_hash=trial.project_hash, client=trial.client.as_user("ann"))


def test_a_queue_runner_result_for_one_spec_is_plain(ephemeral_image_project: Ephemeral) -> None:
    trial = ephemeral_image_project.trial
    runner = QueueRunner(trial.project_hash, client=trial.client)

    @runner.stage(AGENT_STAGE_NAME)
    def finish(task: AgentTask) -> str:
        return AGENT_TO_COMPLETE_PATHWAY_NAME

    spec = next(iter(next(iter(runner.get_agent_stages())).get_tasks())).model_dump_json()
    result = TaskCompletionResult.model_validate_json(finish(spec))
    assert result.success is True and result.results is None
    assert result.per_task() == [result]


def test_trial_projects_for_other_users_stay_apart(tmp_path: Path) -> None:
    """A sanity check of the fixtures the behaviours above rely on: a project made by one
    user is not readable by another unless added."""
    trial = trial_project(tmp_path, images=1, workflow=WORKFLOW, user="owner")
    with pytest.raises(AuthorizationError):
        trial.client.as_user("someone").get_project(trial.project_hash)
