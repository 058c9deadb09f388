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
from annotask.limits import check_name, shown

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
    unknown_keys = [k for k in data if k not in {"stages", "start"}]
    if unknown_keys:
        shown_keys = ", ".join(shown(k) for k in unknown_keys[:10])
        problems.append(f"unknown top-level key(s) {shown_keys}; use 'stages' and 'start'")
    start = _start(data, stages, problems)
    if stages and start is not None and not problems:
        _check_graph(stages, start, problems)
    if problems:
        raise ValidationError("invalid workflow:\n  - " + "\n  - ".join(problems))
    if start is None:  # pragma: no cover - a problem was reported
        raise ValidationError("invalid workflow: no start stage")
    return WorkflowSpec(tuple(stages), start)


def _start(data: Mapping[str, Any], stages: list[StageSpec], problems: list[str]) -> str | None:
    if "start" not in data:
        return stages[0].name if stages else None
    try:
        start = check_name(data["start"], "'start'")
    except ValidationError as exc:
        problems.append(f"{exc} (name the stage tasks start in)")
        return None
    names = [s.name for s in stages]
    if stages and start not in names:
        problems.append(f"start stage {shown(start)} is not a stage; stages are {_listed(names)}")
    return start


def _listed(names: list[str]) -> str:
    shown_names = ", ".join(shown(n) for n in names[:20])
    return shown_names + (f", … ({len(names)} in all)" if len(names) > 20 else "")


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
            problems.append(f"duplicate stage name {shown(stage.name)}")
        seen.add(stage.name)
        stages.append(stage)
    return stages


def _parse_stage(index: int, entry: Any, problems: list[str]) -> StageSpec | None:
    if not isinstance(entry, dict):
        problems.append(f"stage #{index + 1} must be a mapping with 'name' and 'type'")
        return None
    try:
        name = check_name(entry.get("name"), f"stage #{index + 1}'s 'name'")
    except ValidationError as exc:
        problems.append(str(exc))
        return None
    kind = entry.get("type")
    valid = ", ".join(t.value for t in StageType)
    if not isinstance(kind, str) or kind not in {t.value for t in StageType}:
        problems.append(f"stage {shown(name)} has unknown type {shown(kind)}; use one of {valid}")
        return None
    stage_type = StageType(kind)
    pathways = _parse_pathways(name, entry.get("pathways") or {}, problems)
    _check_stage_shape(name, stage_type, pathways, problems)
    return StageSpec(name, stage_type, pathways)


def _parse_pathways(stage: str, raw: Any, problems: list[str]) -> dict[str, str]:
    pairs: list[tuple[Any, Any]] = []
    if isinstance(raw, list):
        # A list of single-entry mappings keeps duplicate names visible (a dict would drop them).
        for position, entry in enumerate(raw, start=1):
            if not isinstance(entry, dict) or len(entry) != 1:
                problems.append(
                    f"stage {shown(stage)}: pathway #{position} must be one 'name: target stage' "
                    f"mapping, got {shown(entry)}"
                )
                continue
            pairs.extend(entry.items())
    elif isinstance(raw, dict):
        pairs = list(raw.items())
    else:
        problems.append(f"stage {shown(stage)}: 'pathways' must map pathway name to target stage")
        return {}
    pathways: dict[str, str] = {}
    for raw_name, raw_target in pairs:
        try:
            name = check_name(raw_name, f"stage {shown(stage)}: a pathway name")
            target = check_name(raw_target, f"stage {shown(stage)}: pathway {shown(name)}'s target")
        except ValidationError as exc:
            problems.append(str(exc))
            continue
        if name in pathways:
            problems.append(f"stage {shown(stage)} has duplicate pathway name {shown(name)}")
        pathways[name] = target
    return pathways


def _check_stage_shape(
    name: str, stage_type: StageType, pathways: dict[str, str], problems: list[str]
) -> None:
    if stage_type is StageType.AGENT and not pathways:
        problems.append(f"agent stage {shown(name)} has no pathways; give it at least one")
    elif stage_type is StageType.ANNOTATION and len(pathways) != 1:
        problems.append(
            f"annotation stage {shown(name)} must have exactly one pathway (e.g. submit: Review), "
            f"has {len(pathways)}"
        )
    elif stage_type is StageType.REVIEW and set(pathways) != {"approve", "reject"}:
        problems.append(
            f"review stage {shown(name)} must have exactly the pathways 'approve' and 'reject', "
            f"has {_listed(sorted(pathways))}"
        )
    elif stage_type is StageType.COMPLETE and pathways:
        problems.append(f"complete stage {shown(name)} must not have pathways")


def _check_graph(stages: list[StageSpec], start: str, problems: list[str]) -> None:
    by_name = {s.name: s for s in stages}
    for stage in stages:
        for pathway, target in stage.pathways.items():
            if target not in by_name:
                problems.append(
                    f"stage {shown(stage.name)}: pathway {shown(pathway)} leads to unknown stage "
                    f"{shown(target)}; stages are {_listed(list(by_name))}"
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
        problems.append(f"no complete stage is reachable from the start stage {shown(start)}")
    problems.extend(
        f"stage {shown(stage.name)} cannot be reached from the start stage {shown(start)}: "
        "lead a pathway to it or remove it"
        for stage in stages
        if stage.name not in reachable
    )
