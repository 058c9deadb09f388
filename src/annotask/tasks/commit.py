"""Committing a batch of task outcomes in one transaction, fenced by the runner's leases.

For every outcome whose lease still holds: the label row's new version, the priority, the
storage-item changes and the move (with its event) — or the failure record, or the release
of a task the agent left in place. An outcome whose lease was lost is dropped (another
runner owns the task now); one whose label row changed since it was loaded becomes a
conflict and the task stays for a later try. Nothing else in the batch is affected.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import Connection

from annotask.errors import AuthorizationError, StoreError
from annotask.store import catalog
from annotask.store import labels as label_store
from annotask.store import tasks as task_store
from annotask.store.fenced_moves import move_fenced, move_fenced_if_allowed
from annotask.tasks.outcome import CommitStatus, OutcomeKind, TaskOutcome
from annotask.workflow import Pathway, StageType, TaskStatus
from annotask.workflow.context import Action, Context, roles_allowing

__all__ = ["mark_committed", "only_bare_moves", "write_bare_moves", "write_outcomes"]

logger = logging.getLogger(__name__)


def write_outcomes(  # noqa: PLR0917 - the runner's one call site names them in order
    conn: Connection,
    ctx: Context,
    project_uuid: str,
    stage_uuid: str,
    outcomes: Sequence[TaskOutcome],
    leases: Mapping[str, task_store.Lease],
    *,
    stage_names: Mapping[str, str],
    destination_types: Mapping[str, StageType],
    extend: Mapping[str, task_store.Lease] | None = None,
    extend_to: float | None = None,
    release_stays: bool = True,
) -> list[TaskOutcome]:
    """Write ``outcomes`` in the caller's write transaction; return those that will land.

    Outcomes refused here get their ``status`` now; call :func:`mark_committed` with the
    returned ones once the transaction has committed. ``extend`` are leases of tasks still
    being worked on: their expiry moves to ``extend_to`` in the same transaction.
    """
    now = time.time()
    # A bare move (nothing but the transition) is fenced by the move's own statement; the
    # others are fenced first, since their labels, items and priorities are written before.
    mine = {o.task.uuid: leases[o.task.uuid] for o in outcomes if not _bare_move(o)}
    held = task_store.held_by(conn, stage_uuid, mine, now) if mine else set()
    live = []
    for outcome in outcomes:
        if outcome.task.uuid in held or outcome.task.uuid not in mine:
            live.append(outcome)
        else:
            _lost(outcome)
    _refuse_unauthorised_items(conn, ctx, live)
    versions = _refuse_stale_labels(conn, live)
    for saves in _label_saves(ctx, live, stage_names.get(stage_uuid)):
        versions.update(label_store.save_label_rows(conn, saves, current=versions))
    lost = _write(conn, ctx, project_uuid, stage_uuid, live, destination_types, leases, mine)
    if lost:
        for outcome in live:
            if outcome.task_uuid in lost:
                _lost(outcome)
        live = [o for o in live if o.task_uuid not in lost]
    task_store.record_failures(
        conn,
        [
            task_store.Failure(
                o.task_uuid, o.attempts, o.error or "", o.retry_after, TaskStatus.FAILED.value
            )
            for o in live
            if o.kind is OutcomeKind.FAIL
        ],
        leases,
        release_leases=release_stays,
    )
    if release_stays:
        stays = {o.task_uuid: leases[o.task_uuid] for o in live if o.kind is OutcomeKind.STAY}
        task_store.release(conn, stays)
    if extend and extend_to is not None:
        task_store.extend_leases(conn, extend, extend_to)
    return live


def _target(pathway: Pathway, destination_types: Mapping[str, StageType]) -> tuple[str, str, str]:
    """Where a pathway leads: the stage, the status a task gets there, the pathway's uuid."""
    to_stage = str(pathway.destination_uuid)
    complete = destination_types[to_stage] is StageType.COMPLETE
    status = TaskStatus.COMPLETED if complete else TaskStatus.NEW
    return to_stage, status.value, str(pathway.uuid)


def _bare_move(outcome: TaskOutcome) -> bool:
    return (
        outcome.kind is OutcomeKind.MOVE
        and outcome.label_json is None
        and not outcome.item_updates
        and outcome.priority is None
    )


def _lost(outcome: TaskOutcome) -> None:
    outcome.status = CommitStatus.LOST
    outcome.message = (
        f"task {outcome.task_uuid} was not committed: this runner's lease on it "
        "was lost (it expired, or the task was moved meanwhile)"
    )
    logger.warning("%s", outcome.message)


def mark_committed(live: Sequence[TaskOutcome]) -> None:
    """Set the status of outcomes whose transaction committed."""
    messages: dict[str, str] = {}  # one per pathway (by name: one stage's), not per task
    for outcome in live:
        if outcome.status is None:
            outcome.status = _STATUS_OF[outcome.kind]
        pathway = outcome.pathway
        if outcome.status is CommitStatus.MOVED and pathway is not None:
            message = messages.get(pathway.name)
            if message is None:
                message = f"moved along {pathway.name!r} to {pathway.destination!r}"
                messages[pathway.name] = message
            outcome.message = message


_STATUS_OF = {
    OutcomeKind.MOVE: CommitStatus.MOVED,
    OutcomeKind.STAY: CommitStatus.STAYED,
    OutcomeKind.FAIL: CommitStatus.FAILED,
}


def _refuse_unauthorised_items(conn: Connection, ctx: Context, live: list[TaskOutcome]) -> None:
    checked: dict[str, str | None] = {}
    for outcome in live:
        for item_uuid in outcome.item_updates:
            dataset = outcome.item_datasets.get(item_uuid)
            if dataset is None:
                continue
            if dataset not in checked:
                try:
                    ctx.require(conn, dataset, Action.EDIT_ITEMS, f"dataset {dataset}")
                    checked[dataset] = None
                except AuthorizationError as exc:
                    checked[dataset] = str(exc)
            problem = checked[dataset]
            if problem is not None:
                # the same agent would be refused again at once: wait like any failure
                outcome.fail(f"AuthorizationError: {problem}", retry_after=time.time() + 60.0)
                break


def _refuse_stale_labels(conn: Connection, live: list[TaskOutcome]) -> dict[str, int]:
    """Turn outcomes whose label row moved on into conflicts; return the rows' versions
    (read and, on PostgreSQL, locked here; the save reuses them)."""
    saving = [o for o in live if o.label_json is not None]
    if not saving:
        return {}
    current = label_store.current_versions(conn, [o.row_hash for o in saving])
    for outcome in saving:
        if current.get(outcome.row_hash) != outcome.base_version:
            outcome.drop_changes()
            outcome.status = CommitStatus.CONFLICT
            outcome.message = (
                f"ConflictError: the label row of {outcome.task.data_title!r} was saved by "
                "someone else while the agent ran; nothing was committed for this task and "
                "it stays in its stage to be tried again"
            )
            logger.warning("%s", outcome.message)
    return current


def _label_saves(
    ctx: Context, live: list[TaskOutcome], stage_name: str | None
) -> list[list[label_store.LabelSave]]:
    """The label saves, in rounds of one save per row: an agent that saved its row n times
    gets a version in each of n rounds, its last document in the last."""
    rounds: list[list[label_store.LabelSave]] = [[]]
    for o in live:
        if o.label_json is None:
            continue
        for depth, text in enumerate((*o.label_earlier, o.label_json)):
            if depth == len(rounds):
                rounds.append([])
            version = o.base_version + depth
            rounds[depth].append(
                label_store.LabelSave(o.row_hash, text, version, ctx.user, stage_name)
            )
    return rounds


def _write(  # noqa: PLR0917 - one call site inside write_outcomes
    conn: Connection,
    ctx: Context,
    project_uuid: str,
    stage_uuid: str,
    live: list[TaskOutcome],
    destination_types: Mapping[str, StageType],
    leases: Mapping[str, task_store.Lease],
    fenced_before: Collection[str],
) -> set[str]:
    """Priorities, storage-item changes, moves (with events) and cleared failure records;
    return the bare moves whose lease was lost (nothing of theirs was written).
    ``fenced_before``: the tasks fenced (and locked) before anything of theirs was written."""
    task_store.set_priorities(
        conn, {o.task_uuid: o.priority for o in live if o.priority is not None}
    )
    items: dict[str, dict[str, object]] = {}
    for outcome in live:
        for item_uuid, changes in outcome.item_updates.items():
            items.setdefault(item_uuid, {}).update(changes)
    catalog.update_storage_items(conn, items)
    moves = _moves_of(live, ctx, project_uuid, stage_uuid, destination_types)
    agent_stages = [u for u, kind in destination_types.items() if kind is StageType.AGENT]
    moved = move_fenced(conn, moves, leases, notify=agent_stages, checked=fenced_before)
    lost = {m.task_uuid for m in moves if m.task_uuid not in moved}
    unmoved = lost.intersection(fenced_before)
    if unmoved:  # cannot happen: their rows were fenced (and locked) above
        raise StoreError(
            f"{len(unmoved)} of {len(moves)} fenced task(s) did not move; the "
            "batch was rolled back and its tasks come back when their leases expire"
        )
    recovered = [o.task_uuid for o in live if o.kind is OutcomeKind.STAY and o.task.last_error]
    if recovered:  # the latest attempt succeeded: the task is no longer a failed one
        task_store.clear_failures(conn, project_uuid, recovered)
    return lost


def _moves_of(
    outcomes: Sequence[TaskOutcome],
    ctx: Context,
    project_uuid: str,
    stage_uuid: str,
    destination_types: Mapping[str, StageType],
) -> list[task_store.Move]:
    """The moves the outcomes make (those that stay or fail make none)."""
    # one look-up per pathway, not per task; by name, as the pathways are one stage's
    targets: dict[str, tuple[str, str, str]] = {}
    moves = []
    for o in outcomes:
        pathway = o.pathway
        if o.kind is not OutcomeKind.MOVE or pathway is None:
            continue
        target = targets.get(pathway.name)
        if target is None:
            target = targets[pathway.name] = _target(pathway, destination_types)
        to_stage, status, pathway_uuid = target
        moves.append(
            task_store.Move(
                task_uuid=o.task.uuid,
                project_uuid=project_uuid,
                from_stage=stage_uuid,
                to_stage=to_stage,
                status=status,
                actor=ctx.user,
                action=o.action,
                pathway_uuid=pathway_uuid,
                pathway_name=pathway.name,
                detail=o.error if o.action == "on_failure" else None,
                agent_name=o.agent,
                agent_version=o.agent_version,
            )
        )
    return moves


def only_bare_moves(outcomes: Sequence[TaskOutcome]) -> bool:
    """Whether every outcome only moves its task (no labels, priority or item changes), so
    that :func:`write_bare_moves` can commit them."""
    return bool(outcomes) and all(_bare_move(o) for o in outcomes)


def write_bare_moves(  # noqa: PLR0917 - write_outcomes' arguments, in its order
    conn: Connection,
    ctx: Context,
    project_uuid: str,
    stage_uuid: str,
    outcomes: Sequence[TaskOutcome],
    leases: Mapping[str, task_store.Lease],
    *,
    destination_types: Mapping[str, StageType],
    what: str,
) -> list[TaskOutcome]:
    """:func:`write_outcomes` for outcomes that are all bare moves (:func:`only_bare_moves`):
    the check that the user may still run agents on the project (``what`` names it), the
    fenced moves, their events and the notices to the agent stages entered, in one statement
    on PostgreSQL. Raises :class:`AuthorizationError` (nothing moved) when the user may not.
    """
    moves = _moves_of(outcomes, ctx, project_uuid, stage_uuid, destination_types)
    role, moved = move_fenced_if_allowed(
        conn,
        moves,
        leases,
        member_of=project_uuid,
        user=ctx.user,
        roles=roles_allowing(Action.AGENT),
        notify=[u for u, kind in destination_types.items() if kind is StageType.AGENT],
    )
    ctx.check_role(role, Action.AGENT, what)
    live = []
    for outcome in outcomes:
        if outcome.task_uuid in moved:
            live.append(outcome)
        else:
            _lost(outcome)
    return live
