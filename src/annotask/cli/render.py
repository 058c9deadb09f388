"""Rich renderings of library objects: tables of datasets, projects and tasks; workflow trees."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich import box
from rich.console import Group, RenderableType
from rich.table import Column, Table
from rich.text import Text
from rich.tree import Tree

from annotask.workflow.vocabulary import Role, TaskStatus

if TYPE_CHECKING:
    from annotask.client import Dataset, Project, StorageItem, TaskEvent
    from annotask.labels import LabelRow, LabelVersion
    from annotask.workflow import Workflow, WorkflowStage, WorkflowTask

__all__ = [
    "datasets_table",
    "describe_counts",
    "events_table",
    "items_table",
    "label_history_table",
    "labels_view",
    "one_line",
    "plain_table",
    "project_view",
    "projects_table",
    "task_view",
    "tasks_table",
    "workflow_tree",
]

ERROR_WIDTH = 60
SHORT_ID = 8
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


def items_table(title: str, items: Sequence[StorageItem], *, short: bool = False) -> Table:
    """Storage items: hash, name, type, pixel size, frames, URI, client metadata."""
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("data", no_wrap=True)
    table.add_column("name", overflow="fold")
    table.add_column("type", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("frames", justify="right", no_wrap=True)
    table.add_column("uri", overflow="fold")
    table.add_column("metadata", overflow="fold")
    for item in items:
        size = f"{item.width}x{item.height}" if item.width and item.height else ""
        frames = item.frame_count
        table.add_row(
            item.data_hash[:SHORT_ID] if short else item.data_hash,
            Text(item.name),
            item.item_type.value,
            size,
            "" if frames is None else str(frames),
            Text(item.uri),
            Text(json.dumps(item.client_metadata) if item.client_metadata else ""),
        )
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


def tasks_text(title: str, tasks: Sequence[WorkflowTask]) -> str:
    """Tasks as plain text for a pipe or a file: :func:`tasks_table`'s columns, whole."""
    headers, rows = _task_rows(tasks, short=False)
    return plain_table(title, headers, rows, right={"priority", "attempts"})


def plain_table(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: set[str]
) -> str:
    """A table as text, laid out as the Rich tables in a terminal but without styles or
    wrapping: each row on one line, trailing blanks dropped. Cells must be one line each.

    Rich spends about a millisecond a row on layout this never needs (every column is as
    wide as its widest cell), which is most of a piped ``tasks list`` of a big project.
    """
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        parts = (
            c.rjust(w) if h in right else c.ljust(w)
            for h, c, w in zip(headers, cells, widths, strict=True)
        )
        return (" " + "   ".join(parts)).rstrip()

    rule = " " + "─" * (sum(widths) + 3 * (len(widths) - 1))
    return "\n".join([title.center(len(rule)).rstrip(), "", line(headers), rule, *map(line, rows)])


def _task_rows(tasks: Sequence[WorkflowTask], *, short: bool) -> tuple[list[str], list[list[str]]]:
    """Headers and cells of a tasks table; a lease column appears when any task is leased."""
    leased = any(t.lease_owner is not None for t in tasks)
    now = time.time()
    rows = [_task_cells(task, now, leased, short=short) for task in tasks]
    headers = ["task", "data", "stage", "status", "assignee", "priority", "attempts"]
    headers += ["last error", "lease"] if leased else ["last error"]
    return headers, rows


def tasks_table(title: str, tasks: Sequence[WorkflowTask], *, width: int | None = None) -> Table:
    """Tasks, one row each; a lease column appears when any task is leased.

    With a ``width`` (a terminal's) task ids are their first 8 characters (accepted as input
    everywhere) and every row stays on one line: titles, stages and errors share what the
    fixed columns leave and are cut with an ellipsis. Without one (a pipe or a file)
    everything is written whole.
    """
    headers, rows = _task_rows(tasks, short=width is not None)
    limits = _flexible_widths(headers, rows, width) if width is not None else {}
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    for header in headers:
        limit = limits.get(header)
        table.add_column(
            header,
            justify="right" if header in ("priority", "attempts") else "left",
            style="red" if header == "last error" else "",
            no_wrap=width is not None,
            overflow="ellipsis" if width is not None else "fold",
            max_width=limit,
        )
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


_FLEXIBLE = {"data": 4, "stage": 2, "assignee": 1, "last error": 4, "lease": 2}


def _flexible_widths(
    headers: Sequence[str], rows: Sequence[Sequence[str]], width: int
) -> dict[str, int]:
    """Widths for the flexible columns so that a row fits ``width``: each gets what it needs
    if all fit, else a share of the room by weight (at least its header)."""
    need = {h: max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)}
    # each column is padded by one space a side and followed by the box's divider
    fixed = sum(need[h] for h in headers if h not in _FLEXIBLE) + 3 * len(headers)
    flexible = [h for h in headers if h in _FLEXIBLE]
    room = max(width - fixed, sum(len(h) for h in flexible))
    if sum(need[h] for h in flexible) <= room:
        return {}
    limits: dict[str, int] = {}
    # give small columns what they need, share the rest among the big ones by weight
    pending = sorted(flexible, key=lambda h: need[h] / _FLEXIBLE[h])
    while pending:
        weights = sum(_FLEXIBLE[h] for h in pending)
        header = pending.pop(0)
        share = room * _FLEXIBLE[header] // weights
        limits[header] = max(len(header), min(need[header], share))
        room -= limits[header]
    return limits


def _task_cells(task: WorkflowTask, now: float, leased: bool, *, short: bool) -> list[str]:
    cells = [
        str(task.uuid)[:SHORT_ID] if short else str(task.uuid),
        task.data_title,
        task.stage.name,
        task.status.value,
        task.assignee or "",
        f"{task.priority:.2f}",
        str(task.attempts),
        one_line(task.last_error, width=10_000 if not short else ERROR_WIDTH),
    ]
    if leased:
        cells.append(_lease(task, now))
    return cells


def task_view(task: WorkflowTask, events: Sequence[TaskEvent]) -> RenderableType:
    """One task in full: where it is, its lease and failure record, then its events."""
    header = Table.grid(padding=(0, 2))
    header.add_column(style="bold", no_wrap=True)
    header.add_column()
    header.add_row("task", str(task.uuid))
    header.add_row("data", Text(f"{task.data_title} ({task.data_hash})"))
    header.add_row("project", str(task.project_hash))
    kind = task.stage.stage_type.value
    header.add_row(
        "stage", Text.assemble(task.stage.name, "  ", (kind, _STAGE_STYLE.get(kind, "")))
    )
    header.add_row("status", task.status.value)
    header.add_row("assignee", Text(task.assignee or "-"))
    header.add_row("priority", f"{task.priority:.3f}")
    header.add_row("attempts", str(task.attempts))
    header.add_row("lease", Text(_lease(task, time.time()) or "-"))
    header.add_row("updated", _local(task.updated_at))
    parts: list[RenderableType] = [header]
    if task.last_error:
        parts += ["", Text("last error", style="bold red"), Text(task.last_error.rstrip())]
    parts += ["", events_table(f"{len(events)} event(s)", events, with_task=False)]
    return Group(*parts)


def events_table(
    title: str, events: Sequence[TaskEvent], *, with_task: bool = True, short: bool = False
) -> Table:
    """Task events, oldest first: when, task, action, from → to stage, pathway, who, detail."""
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("at", no_wrap=True)
    if with_task:
        table.add_column("task", no_wrap=True)
    table.add_column("action", no_wrap=True)
    table.add_column("move")
    table.add_column("pathway")
    table.add_column("by")
    table.add_column("detail", style="red")
    for event in events:
        task = str(event.task_uuid)
        row: list[RenderableType] = [_local(event.at)]
        if with_task:
            row.append(task[:SHORT_ID] if short else task)
        move = f"{event.from_stage or '-'} → {event.to_stage or '-'}"
        row += [
            event.action,
            Text(move if event.from_stage or event.to_stage else ""),
            Text(event.pathway or ""),
            Text(event.actor),
            Text(one_line(event.detail)),
        ]
        table.add_row(*row)
    return table


def _local(when: datetime) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def labels_view(row: LabelRow) -> RenderableType:
    """A label row's header, then one line per instance per frame, by frame: kind, class,
    instance, confidence, manual or automatic, who made it."""
    header = Table.grid(padding=(0, 2))
    header.add_column(style="bold", no_wrap=True)
    header.add_column()
    header.add_row("data", Text(f"{row.data_title} ({row.data_hash})"))
    header.add_row("version", str(row.version))
    header.add_row("stage", Text(row.workflow_stage or "-"))
    header.add_row("priority", "-" if row.priority is None else f"{row.priority:.3f}")
    rows: list[tuple[int, str, str, str, float, bool, str]] = []
    for obj in row.get_object_instances():
        for a in obj.get_annotations():
            rows.append(
                (
                    a.frame,
                    "object",
                    obj.object_name,
                    obj.object_hash,
                    a.confidence,
                    a.manual_annotation,
                    a.created_by or "",
                )
            )
    for cls in row.get_classification_instances():
        answer = cls.get_answer()
        name = cls.classification_name + (f": {_answer_text(answer)}" if answer else "")
        for c in cls.get_annotations():
            rows.append(
                (
                    c.frame,
                    "classification",
                    name,
                    cls.classification_hash,
                    c.confidence,
                    c.manual_annotation,
                    c.created_by or "",
                )
            )
    classes = Counter(name.split(":")[0] for _, _, name, *_ in rows)
    header.add_row(
        "classes", Text(", ".join(f"{n} x{k}" for n, k in sorted(classes.items())) or "none")
    )
    table = Table(title=f"{len(rows)} label(s)", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("frame", "kind", "class", "instance", "confidence", "made", "by"):
        table.add_column(column, justify="right" if column in ("frame", "confidence") else "left")
    for frame, kind, name, ident, confidence, manual, by in sorted(rows, key=lambda r: r[0]):
        table.add_row(
            str(frame),
            kind,
            Text(name),
            ident[:SHORT_ID],
            f"{confidence:.2f}",
            "manual" if manual else "auto",
            Text(by or "-"),
        )
    return Group(header, "", table)


def _answer_text(answer: object) -> str:
    if isinstance(answer, list | tuple | set | frozenset):
        return ", ".join(_answer_text(a) for a in answer)
    return str(getattr(answer, "name", answer))


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
