"""Rich renderings of library objects: tables of datasets, projects and tasks; workflow trees."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime

from rich import box
from rich.console import Group, RenderableType
from rich.table import Column, Table
from rich.text import Text
from rich.tree import Tree

from annotask.client import Dataset, Project
from annotask.labels import LabelVersion
from annotask.workflow import Role, TaskStatus, Workflow, WorkflowStage, WorkflowTask

__all__ = [
    "datasets_table",
    "describe_counts",
    "label_history_table",
    "one_line",
    "project_view",
    "projects_table",
    "tasks_table",
    "workflow_tree",
]

ERROR_WIDTH = 60
_STAGE_STYLE = {"agent": "magenta", "annotation": "cyan", "review": "yellow", "complete": "green"}


def one_line(text: str | None, width: int = ERROR_WIDTH) -> str:
    """The first line of ``text``, cut to ``width`` characters with an ellipsis.

    For a Python traceback (what a runner records when an agent raises) that is the last
    line, the exception, not the ``Traceback (most recent call last):`` header.
    """
    if not text:
        return ""
    lines = text.strip().splitlines()
    if lines and lines[0].startswith("Traceback (most recent call last)"):
        lines = [line for line in lines if line.strip()][-1:]
    first = lines[0] if lines else ""
    if len(first) > width or len(lines) > 1:
        return first[: width - 1] + "…"
    return first


def describe_counts(counts: Mapping[str, int]) -> str:
    """Task counts by status, in status order: ``3 new · 1 assigned``; ``no tasks`` if none."""
    order = [s.value for s in TaskStatus]
    parts = [
        f"{counts[s]} {s}"
        for s in sorted(counts, key=lambda s: order.index(s) if s in order else len(order))
        if counts[s]
    ]
    return " · ".join(parts) or "no tasks"


def datasets_table(rows: Sequence[tuple[Dataset, int]]) -> Table:
    """Datasets with their item counts."""
    table = Table("hash", "title", Column("items", justify="right"), title="Datasets")
    for dataset, count in rows:
        table.add_row(Text(dataset.dataset_hash, no_wrap=True), Text(dataset.title), str(count))
    return table


def projects_table(rows: Sequence[tuple[Project, int]]) -> Table:
    """Projects with their task counts."""
    table = Table("hash", "title", Column("tasks", justify="right"), title="Projects")
    for project, count in rows:
        table.add_row(Text(project.project_hash, no_wrap=True), Text(project.title), str(count))
    return table


def workflow_tree(
    workflow: Workflow, start: WorkflowStage, counts: Mapping[str, Mapping[str, int]]
) -> Tree:
    """Each stage with its type, its task counts by status and its pathways ``name → target``."""
    tree = Tree(Text("Workflow", style="bold"))
    for stage in workflow.stages:
        kind = stage.stage_type.value
        label = Text.assemble(
            (stage.name, "bold"),
            "  ",
            (kind, _STAGE_STYLE.get(kind, "")),
            ("  (start)" if stage.uuid == start.uuid else "", "dim"),
            "  ",
            describe_counts(counts.get(stage.name, {})),
        )
        node = tree.add(label)
        for pathway in stage.pathways:
            node.add(Text.assemble(pathway.name, " → ", (pathway.destination, "bold")))
    return tree


def project_view(
    project: Project,
    counts: Mapping[str, Mapping[str, int]],
    datasets: Sequence[tuple[Dataset, int]],
    members: Mapping[str, Role],
) -> RenderableType:
    """A project's header, workflow tree, datasets and members."""
    total = sum(sum(by_status.values()) for by_status in counts.values())
    header = Table.grid(padding=(0, 2))
    header.add_column(style="bold")
    header.add_column()
    header.add_row("project", Text(project.title, style="bold"))
    header.add_row("hash", project.project_hash)
    if project.description:
        header.add_row("description", Text(project.description))
    ontology = project.ontology_info
    header.add_row("ontology", Text(f"{ontology.title} ({ontology.ontology_hash})"))
    header.add_row("created", project.created_at.strftime("%Y-%m-%d %H:%M:%S %Z").strip())
    header.add_row("tasks", str(total))
    people = Table("member", "role", title="Members")
    for user, role in sorted(members.items()):
        people.add_row(Text(user), role.value)
    return Group(
        header,
        "",
        workflow_tree(project.workflow, project.start_stage, counts),
        "",
        datasets_table(datasets),
        people,
    )


def _lease(task: WorkflowTask, now: float) -> str:
    if task.lease_owner is None:
        return ""
    if task.lease_expires_at is None:
        return task.lease_owner
    if task.lease_expires_at <= now:
        return f"{task.lease_owner} (expired)"
    until = datetime.fromtimestamp(task.lease_expires_at).astimezone()
    return f"{task.lease_owner} until {until:%Y-%m-%d %H:%M:%S}"


def tasks_table(title: str, tasks: Sequence[WorkflowTask]) -> Table:
    """Tasks, one row each; a lease column appears when any task is leased."""
    leased = any(t.lease_owner is not None for t in tasks)
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("task", no_wrap=True, min_width=36)
    table.add_column("data", overflow="fold")
    table.add_column("stage", overflow="fold")
    table.add_column("status")
    table.add_column("assignee")
    table.add_column("priority", justify="right")
    table.add_column("attempts", justify="right")
    table.add_column("last error", style="red")
    if leased:
        table.add_column("lease")
    now = time.time()
    for task in tasks:
        row: list[RenderableType] = [
            str(task.uuid),
            Text(task.data_title),
            Text(task.stage.name),
            task.status.value,
            Text(task.assignee or ""),
            f"{task.priority:.2f}",
            str(task.attempts),
            Text(one_line(task.last_error)),
        ]
        if leased:
            row.append(Text(_lease(task, now)))
        table.add_row(*row)
    return table


def label_history_table(data_title: str, versions: Sequence[LabelVersion]) -> Table:
    """Saved versions of one label row, oldest first: version, who, when (local time), stage."""
    table = Table(title=f"{data_title}: {len(versions)} version(s)", box=box.SIMPLE_HEAD)
    table.add_column("version", justify="right")
    table.add_column("saved by")
    table.add_column("saved at", no_wrap=True)
    table.add_column("stage")
    for version in versions:
        when = version.saved_at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z").strip()
        table.add_row(
            str(version.version), Text(version.saved_by), when, Text(version.workflow_stage or "")
        )
    return table
