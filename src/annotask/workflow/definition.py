"""Workflow definitions users write (YAML file or dict), parsed and validated up front.

Every problem is reported, one line each, in a single :class:`ValidationError`; nothing is
created from a definition that has any.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from annotask.definition_files import load_definition
from annotask.errors import ValidationError

__all__ = ["StageSpec", "StageType", "WorkflowSpec", "parse_workflow"]


class StageType(StrEnum):
    """What happens to a task in a stage."""

    ANNOTATION = "annotation"
    REVIEW = "review"
    AGENT = "agent"
    COMPLETE = "complete"


@dataclass(frozen=True, slots=True)
class StageSpec:
    """One stage of a definition: its pathways map pathway name → target stage name."""

    name: str
    type: StageType
    pathways: dict[str, str]


@dataclass(frozen=True, slots=True)
class WorkflowSpec:
    """A validated workflow: stages in order and the start stage's name."""

    stages: tuple[StageSpec, ...]
    start: str


def parse_workflow(source: Mapping[str, Any] | str | Path) -> WorkflowSpec:
    """Parse and validate a workflow definition, raising one error listing every problem."""
    data = load_definition(source, "workflow")
    problems: list[str] = []
    stages = _parse_stages(data.get("stages"), problems)
    unknown_keys = set(data) - {"stages", "start"}
    if unknown_keys:
        problems.append(
            f"unknown top-level key(s) {sorted(unknown_keys)}; use 'stages' and 'start'"
        )
    start = data.get("start", stages[0].name if stages else None)
    names = [s.name for s in stages]
    if stages and start not in names:
        problems.append(f"start stage {start!r} is not a stage; stages are {names}")
    if stages and not problems:
        _check_graph(stages, str(start), problems)
    if problems:
        raise ValidationError("invalid workflow:\n  - " + "\n  - ".join(problems))
    return WorkflowSpec(tuple(stages), str(start))


def _parse_stages(raw: Any, problems: list[str]) -> list[StageSpec]:
    if not isinstance(raw, list) or not raw:
        problems.append("'stages' must be a non-empty list of stages")
        return []
    stages: list[StageSpec] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        stage = _parse_stage(index, entry, problems)
        if stage is None:
            continue
        if stage.name in seen:
            problems.append(f"duplicate stage name {stage.name!r}")
        seen.add(stage.name)
        stages.append(stage)
    return stages


def _parse_stage(index: int, entry: Any, problems: list[str]) -> StageSpec | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        problems.append(f"stage #{index + 1} needs a 'name' (a non-empty string)")
        return None
    name = entry["name"]
    kind = entry.get("type")
    try:
        stage_type = StageType(str(kind))
    except ValueError:
        valid = ", ".join(t.value for t in StageType)
        problems.append(f"stage {name!r} has unknown type {kind!r}; use one of {valid}")
        return None
    pathways = _parse_pathways(name, entry.get("pathways") or {}, problems)
    _check_stage_shape(name, stage_type, pathways, problems)
    return StageSpec(name, stage_type, pathways)


def _parse_pathways(stage: str, raw: Any, problems: list[str]) -> dict[str, str]:
    if isinstance(raw, list):
        # A list of single-entry mappings keeps duplicate names visible (a dict would drop them).
        pathways: dict[str, str] = {}
        for entry in raw:
            for name, target in entry.items() if isinstance(entry, dict) else []:
                if name in pathways:
                    problems.append(f"stage {stage!r} has duplicate pathway name {name!r}")
                pathways[str(name)] = str(target)
        return pathways
    if not isinstance(raw, dict):
        problems.append(f"stage {stage!r}: 'pathways' must map pathway name to target stage")
        return {}
    return {str(k): str(v) for k, v in raw.items()}


def _check_stage_shape(
    name: str, stage_type: StageType, pathways: dict[str, str], problems: list[str]
) -> None:
    if stage_type is StageType.AGENT and not pathways:
        problems.append(f"agent stage {name!r} has no pathways; give it at least one")
    elif stage_type is StageType.ANNOTATION and len(pathways) != 1:
        problems.append(
            f"annotation stage {name!r} must have exactly one pathway (e.g. submit: Review), "
            f"has {len(pathways)}"
        )
    elif stage_type is StageType.REVIEW and set(pathways) != {"approve", "reject"}:
        problems.append(
            f"review stage {name!r} must have exactly the pathways 'approve' and 'reject', "
            f"has {sorted(pathways)}"
        )
    elif stage_type is StageType.COMPLETE and pathways:
        problems.append(f"complete stage {name!r} must not have pathways")


def _check_graph(stages: list[StageSpec], start: str, problems: list[str]) -> None:
    by_name = {s.name: s for s in stages}
    for stage in stages:
        for pathway, target in stage.pathways.items():
            if target not in by_name:
                problems.append(
                    f"stage {stage.name!r}: pathway {pathway!r} leads to unknown stage "
                    f"{target!r}; stages are {list(by_name)}"
                )
    if problems:
        return
    reachable = {start}
    frontier = [start]
    while frontier:
        for target in by_name[frontier.pop()].pathways.values():
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    if not any(by_name[n].type is StageType.COMPLETE for n in reachable):
        problems.append(f"no complete stage is reachable from the start stage {start!r}")
