"""Hostile definition files: alias bombs, deep nesting, junk names — one bounded error each."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from annotask import ValidationError
from annotask.errors import MESSAGE_MAX_CHARS
from annotask.labels import Ontology
from annotask.limits import MAX_DEPTH, NAME_MAX_CHARS
from annotask.workflow import parse_workflow
from tests.definitions import WORKFLOW


def _alias_bomb(levels: int = 9) -> tuple[str, str]:
    """A YAML text of about 1 KB whose last anchor expands to 9**levels strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghijklmnop"[: levels - 1]:
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n", previous


def _refused(call: Any) -> str:
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ValidationError) as info:
            call()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.monotonic() - started < 5
    assert peak < 50_000_000
    message = str(info.value)
    assert len(message) <= MESSAGE_MAX_CHARS + 100
    return message


@pytest.mark.parametrize(
    "where",
    [
        "stages:\n  - {{name: A, type: *{last}}}\n",
        "stages:\n  - {{name: A, type: agent, pathways: {{go: *{last}}}}}\n"
        "  - {{name: B, type: complete}}\n",
        "stages: *{last}\n",
    ],
)
def test_a_yaml_alias_bomb_in_a_workflow_is_refused_fast_and_small(
    tmp_path: Path, where: str
) -> None:
    bomb, last = _alias_bomb()
    path = tmp_path / "workflow.yaml"
    # the anchors sit under top-level keys the workflow does not know: the bomb is refused
    # before any key is looked at
    path.write_text(bomb + where.format(last=last))
    message = _refused(lambda: parse_workflow(path))
    assert "aliases expanded" in message


def test_a_yaml_alias_bomb_in_an_ontology_shape_is_refused(tmp_path: Path) -> None:
    bomb, last = _alias_bomb()
    path = tmp_path / "ontology.yaml"
    path.write_text(f"{bomb}objects:\n  - {{name: car, shape: *{last}}}\n")
    message = _refused(lambda: Ontology.from_file(path))
    assert "aliases expanded" in message


def test_small_aliases_still_work(tmp_path: Path) -> None:
    path = tmp_path / "workflow.yaml"
    path.write_text(
        "stages:\n"
        "  - {name: A, type: agent, pathways: &both {ok: Done, also: Done}}\n"
        "  - {name: B, type: agent, pathways: *both}\n"
        "  - {name: Done, type: complete}\n"
        "start: A\n"
    )
    with pytest.raises(ValidationError, match="stage 'B' cannot be reached"):
        parse_workflow(path)


def test_an_alias_that_contains_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "workflow.yaml"
    path.write_text("stages: &s [*s]\n")
    assert "contains it" in _refused(lambda: parse_workflow(path))


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".yaml", "stages: " + "[" * 20_000 + "]" * 20_000 + "\n"),
        (".yaml", "stages:\n" + "".join("  " * i + "- \n" for i in range(200))),
        (".json", '{"stages": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        (".json", '{"stages": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}"),
    ],
)
def test_deep_nesting_in_a_definition_file_is_one_line(
    tmp_path: Path, suffix: str, text: str
) -> None:
    path = tmp_path / f"definition{suffix}"
    path.write_text(text)
    for load in (parse_workflow, Ontology.from_file):
        message = _refused(lambda load=load: load(path))  # type: ignore[misc]
        assert f"nested more than {MAX_DEPTH} levels deep" in message


def test_deep_nesting_in_a_definition_dict_is_refused() -> None:
    deep: list[Any] = []
    for _ in range(5_000):
        deep = [deep]
    assert "nested more than" in _refused(lambda: parse_workflow({"stages": deep}))
    assert "nested more than" in _refused(lambda: Ontology.from_dict({"objects": deep}))


def _stages(*stages: dict[str, Any]) -> dict[str, Any]:
    return {"stages": list(stages)}


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (
            _stages(
                {"name": "A", "type": "agent", "pathways": {"go": "Done"}},
                {"name": "Orphan", "type": "agent", "pathways": {"go": "Done"}},
                {"name": "Done", "type": "complete"},
            ),
            "stage 'Orphan' cannot be reached from the start stage 'A'",
        ),
        (_stages({"name": "   ", "type": "complete"}), "must not be empty or blank"),
        (_stages({"name": "", "type": "complete"}), "must not be empty or blank"),
        (
            _stages({"name": "A", "type": "agent", "pathways": {"": "B"}}),
            "a pathway name must not be empty or blank",
        ),
        (
            _stages({"name": "A", "type": "agent", "pathways": {" \t": "B"}}),
            "a pathway name must not be empty or blank",
        ),
        (
            _stages(
                {"name": "A", "type": "agent", "pathways": [{"go": "B"}, "junk", 3]},
                {"name": "B", "type": "complete"},
            ),
            "pathway #2 must be one 'name: target stage' mapping, got 'junk'",
        ),
        (
            _stages(
                {"name": "A", "type": "agent", "pathways": [{"go": "B", "and": "B"}]},
                {"name": "B", "type": "complete"},
            ),
            "pathway #1 must be one 'name: target stage' mapping",
        ),
        (
            _stages({"name": "A", "type": "agent", "pathways": {"go": ["B"]}}),
            "pathway 'go''s target must be a string, got a list of 1 item(s)",
        ),
        (
            _stages({"name": "x" * 5_000, "type": "complete"}),
            f"at most {NAME_MAX_CHARS} characters, has 5000",
        ),
        (_stages({"name": "A\x00B", "type": "complete"}), "control character"),
        (_stages({"name": "A", "type": ["agent"] * 1000}), "unknown type a list of 1000"),
        ({"start": "", "stages": WORKFLOW["stages"]}, "'start' must not be empty"),
        ({"stages": WORKFLOW["stages"], 7: 1, "x": 2}, "unknown top-level key(s) 7, 'x'"),
    ],
)
def test_junk_in_a_workflow_is_refused_naming_it(definition: Any, expected: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_workflow(definition)
    assert expected in str(info.value)


def test_names_are_trimmed() -> None:
    spec = parse_workflow(
        _stages(
            {"name": " A ", "type": "agent", "pathways": {" go ": " Done"}},
            {"name": "Done ", "type": "complete"},
        )
    )
    assert [s.name for s in spec.stages] == ["A", "Done"]
    assert spec.stages[0].pathways == {"go": "Done"}
    assert spec.start == "A"


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        ({"objects": [{"name": "car", "shape": ["box"] * 10_000}]}, "unknown shape a list of"),
        ({"objects": [{"name": " ", "shape": "point"}]}, "needs a non-empty string name"),
        ({"objects": [{"name": "c" * 300, "shape": "point"}]}, "at most 200 characters"),
        (
            {"classifications": [{"name": "w", "type": {"radio": 1}, "options": ["a"]}]},
            "unknown type a dict of 1 item(s)",
        ),
        (
            {
                "objects": [
                    {"name": "p", "shape": "skeleton", "keypoints": ["a"], "edges": [[["a"], "a"]]}
                ]
            },
            "names unknown keypoint(s) a list of 1 item(s)",
        ),
    ],
)
def test_junk_in_an_ontology_is_refused_without_expanding_it(
    definition: Any, expected: str
) -> None:
    with pytest.raises(ValidationError) as info:
        Ontology.from_dict(definition)
    assert expected in str(info.value)
    assert len(str(info.value)) < 1000


def test_every_annotask_error_message_is_capped() -> None:
    error = ValidationError("x" * (MESSAGE_MAX_CHARS * 3))
    assert len(str(error)) < MESSAGE_MAX_CHARS + 100
    assert str(error).endswith("more characters cut)")
