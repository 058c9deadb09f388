"""Workflow definitions: what users write, and one clear message per problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotask import ValidationError
from annotask.workflow import StageType, parse_workflow
from tests.definitions import WORKFLOW


def _problems(definition: Any) -> str:
    with pytest.raises(ValidationError) as info:
        parse_workflow(definition)
    return str(info.value)


def test_the_design_workflow_parses_with_its_start_and_stage_types() -> None:
    spec = parse_workflow(WORKFLOW)
    assert spec.start == "Pre-label"
    assert [s.type for s in spec.stages] == [
        StageType.AGENT,
        StageType.ANNOTATION,
        StageType.REVIEW,
        StageType.COMPLETE,
    ]
    assert spec.stages[0].pathways == {"has objects": "Review", "empty": "Annotate"}


def test_start_defaults_to_the_first_stage() -> None:
    definition = {"stages": [*WORKFLOW["stages"]]}
    assert parse_workflow(definition).start == "Pre-label"


def test_a_yaml_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text(
        "stages:\n"
        "  - {name: Check, type: agent, pathways: {ok: Done}}\n"
        "  - {name: Done, type: complete}\n"
    )
    assert parse_workflow(path).start == "Check"


@pytest.mark.parametrize(
    ("stages", "expected"),
    [
        (
            [
                {"name": "A", "type": "agent", "pathways": {"go": "Nowhere"}},
                {"name": "B", "type": "complete"},
            ],
            "leads to unknown stage 'Nowhere'",
        ),
        (
            [
                {"name": "A", "type": "agent", "pathways": {"go": "B"}},
                {"name": "A", "type": "complete"},
                {"name": "B", "type": "complete"},
            ],
            "duplicate stage name 'A'",
        ),
        (
            [
                {"name": "A", "type": "agent", "pathways": [{"go": "B"}, {"go": "B"}]},
                {"name": "B", "type": "complete"},
            ],
            "duplicate pathway name 'go'",
        ),
        (
            [{"name": "A", "type": "agent"}, {"name": "B", "type": "complete"}],
            "agent stage 'A' has no pathways",
        ),
        (
            [
                {"name": "A", "type": "annotation", "pathways": {"x": "B", "y": "B"}},
                {"name": "B", "type": "complete"},
            ],
            "annotation stage 'A' must have exactly one pathway",
        ),
        (
            [
                {"name": "A", "type": "review", "pathways": {"approve": "B"}},
                {"name": "B", "type": "complete"},
            ],
            "review stage 'A' must have exactly the pathways 'approve' and 'reject'",
        ),
        (
            [
                {"name": "A", "type": "agent", "pathways": {"go": "B"}},
                {"name": "B", "type": "complete", "pathways": {"x": "A"}},
            ],
            "complete stage 'B' must not have pathways",
        ),
        (
            [
                {"name": "A", "type": "agent", "pathways": {"loop": "A"}},
                {"name": "B", "type": "complete"},
            ],
            "no complete stage is reachable from the start stage 'A'",
        ),
        (
            [
                {"name": "A", "type": "robot", "pathways": {"go": "B"}},
                {"name": "B", "type": "complete"},
            ],
            "stage 'A' has unknown type 'robot'",
        ),
    ],
)
def test_each_problem_gets_a_clear_message(stages: list[dict[str, Any]], expected: str) -> None:
    assert expected in _problems({"stages": stages})


def test_every_problem_is_listed_at_once() -> None:
    message = _problems(
        {
            "stages": [
                {"name": "A", "type": "robot"},
                {"name": "B", "type": "review", "pathways": {}},
            ]
        }
    )
    assert "unknown type 'robot'" in message
    assert "review stage 'B'" in message


def test_duplicate_pathway_keys_in_yaml_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text(
        "stages:\n"
        "  - name: A\n    type: agent\n    pathways:\n      go: B\n      go: B\n"
        "  - {name: B, type: complete}\n"
    )
    assert "duplicate key 'go'" in _problems(path)


def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    assert "does not exist" in _problems(tmp_path / "nope.yaml")


def test_an_unknown_start_stage_is_refused() -> None:
    assert "start stage 'X' is not a stage" in _problems({**WORKFLOW, "start": "X"})
