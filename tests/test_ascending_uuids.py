"""Rows made in bulk — registered items, a project's tasks and label rows — get random UUIDs
that ascend in the order they are inserted (so each index keyed by them is swept once instead
of written at random places), spread over the whole range (so their leading digits tell them
apart)."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path

import annotask
from annotask.client.registration import CHUNK

WORKFLOW = {"stages": [{"name": "Done", "type": "complete"}]}


def _ascending_random_uuids(values: list[str]) -> None:
    parsed = [uuid.UUID(v) for v in values]
    assert [str(u) for u in parsed] == values  # lowercase, 8-4-4-4-12
    assert all(u.version == 4 and u.variant == uuid.RFC_4122 for u in parsed)
    assert all(a < b for a, b in itertools.pairwise(parsed))  # so also unique
    assert len({v[:8] for v in values}) == len(values)  # short ids stay unique
    assert values[0] < "1" and values[-1] >= "f"  # spread from one end of the range to the other


def _rows_in_item_order(project: annotask.Project, data_hashes: list[str]) -> list[list[str]]:
    """The task UUIDs and the label-row UUIDs of a project, in the order of ``data_hashes``."""
    tasks = {str(t.data_hash): str(t.uuid) for t in project.list_tasks()}
    rows = {str(r.data_hash): str(r.label_hash) for r in project.list_label_rows()}
    assert len(tasks) == len(rows) == len(data_hashes)
    return [[tasks[h] for h in data_hashes], [rows[h] for h in data_hashes]]


def test_a_projects_tasks_and_label_rows_get_random_uuids_ascending_in_item_order(
    client: annotask.Client, images: list[Path]
) -> None:
    dataset = client.create_dataset("many")
    items = dataset.add_items([str(images[i % len(images)]) for i in range(300)], probe=False)
    hashes = sorted(str(h) for h in items.data_hashes())  # the order rows are inserted in
    made: set[str] = set()
    for title in ("first", "second"):
        project = client.create_project(title, datasets=[dataset], ontology={}, workflow=WORKFLOW)
        task_uuids, row_uuids = _rows_in_item_order(project, hashes)
        _ascending_random_uuids(task_uuids)
        _ascending_random_uuids(row_uuids)
        assert made.isdisjoint(task_uuids + row_uuids)
        made.update(task_uuids + row_uuids)
        assert str(project.get_task(task_uuids[7][:8]).uuid) == task_uuids[7]


def test_a_project_over_one_item_gets_one_task_and_label_row(
    client: annotask.Client, images: list[Path]
) -> None:
    dataset = client.create_dataset("one")
    (item,) = dataset.add_items([str(images[0])], probe=False)
    project = client.create_project("p", datasets=[dataset], ontology={}, workflow=WORKFLOW)
    task_uuids, row_uuids = _rows_in_item_order(project, [str(item.data_hash)])
    assert [uuid.UUID(u).version for u in task_uuids + row_uuids] == [4, 4]
    assert task_uuids[0] < "8" and row_uuids[0] < "8"  # the first half of the one slice


def test_registered_items_get_random_uuids_ascending_in_the_order_given(
    client: annotask.Client, images: list[Path]
) -> None:
    dataset = client.create_dataset("many")
    paths = [str(images[i % len(images)]) for i in range(CHUNK + 7)]  # two chunks
    items = dataset.add_items(paths, probe=False)
    hashes = [str(h) for h in items.data_hashes()]
    _ascending_random_uuids(hashes)
    assert [item.name for item in items[CHUNK - 1 : CHUNK + 1]] == ["img4.png", "img0.png"]
    again = [str(h) for h in dataset.add_items(paths[:50], probe=False).data_hashes()]
    _ascending_random_uuids(again)
    assert set(again).isdisjoint(hashes)


def test_rows_beyond_the_count_given_still_get_valid_distinct_uuids(
    client: annotask.Client, images: list[Path]
) -> None:
    """A project counts its items, then inserts; on PostgreSQL another transaction may add
    items in between, and those rows must still get well-formed keys."""
    from sqlalchemy import select  # noqa: PLC0415

    from annotask.store.schema import storage_items  # noqa: PLC0415
    from annotask.store.spread_uuids import ascending_uuid_column  # noqa: PLC0415

    client.create_dataset("d").add_items([str(p) for p in images], probe=False)
    with client.store.read() as conn:
        made = conn.execute(
            select(ascending_uuid_column(conn, 2, storage_items.c.uuid)).order_by(
                storage_items.c.uuid
            )
        ).scalars()
        values = [str(v) for v in made]
    assert [str(uuid.UUID(v)) for v in values] == values and len(set(values)) == len(images)
    assert values[0] < values[1] < "ffffffff" and all(v >= "ffffffff" for v in values[2:])
