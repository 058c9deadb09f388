"""Registering many items streams in chunks inside one transaction: all or nothing, and the
result is a compact list-like view."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

import annotask
from annotask.client import StorageItems
from annotask.client.item_pages import PAGE_SIZE
from annotask.client.registration import CHUNK
from annotask.errors import MediaError, ValidationError
from tests.definitions import ONTOLOGY, WORKFLOW

MANY = 2 * CHUNK + 5  # three chunks, the last one short


@pytest.fixture
def client(tmp_path: Path) -> Iterator[annotask.Client]:
    with annotask.Client(f"sqlite:///{tmp_path / 'annotask.db'}", user="alice") as c:
        yield c


def _pngs(folder: Path, count: int) -> list[Path]:
    """``count`` real 8x8 PNG files (one encoding under each name)."""
    folder.mkdir()
    encoded = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 30)).save(encoded, format="PNG")
    paths = [folder / f"img{i:05d}.png" for i in range(count)]
    for path in paths:
        path.write_bytes(encoded.getvalue())
    return paths


def _task_total(project: annotask.Project) -> int:
    return sum(sum(counts.values()) for counts in project.task_counts().values())


def test_a_late_unreadable_item_refuses_the_whole_lot_and_registers_nothing(
    client: annotask.Client, tmp_path: Path
) -> None:
    dataset = client.create_dataset("d")
    project = client.create_project("p", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)
    paths = _pngs(tmp_path / "imgs", MANY)
    paths[-1].write_bytes(b"\x89PNG not really")  # in the last chunk, after two were inserted
    with pytest.raises(MediaError, match=r"1 item\(s\) cannot be read") as caught:
        dataset.add_items(paths)
    assert paths[-1].name in str(caught.value)
    assert dataset.item_count() == 0
    assert _task_total(project) == 0
    assert project.list_label_rows() == []


def test_a_late_item_of_an_unknown_kind_refuses_the_whole_lot_unprobed(
    client: annotask.Client, tmp_path: Path
) -> None:
    dataset = client.create_dataset("d")
    paths = _pngs(tmp_path / "imgs", MANY)
    odd = tmp_path / "imgs" / "notes.xyz-unknown"
    odd.write_bytes(b"\x00\x01")
    with pytest.raises(ValidationError, match=r"1 item\(s\) are not a kind of media"):
        dataset.add_items([*paths, odd], probe=False)
    assert dataset.item_count() == 0


def test_failures_everywhere_are_all_counted_and_the_first_twenty_named(
    client: annotask.Client, tmp_path: Path
) -> None:
    dataset = client.create_dataset("d")
    paths = _pngs(tmp_path / "imgs", MANY)
    broken = paths[::100]  # in every chunk
    for path in broken:
        path.write_bytes(b"")
    with pytest.raises(MediaError) as caught:
        dataset.add_items(paths)
    message = str(caught.value)
    assert message.startswith(f"{len(broken)} item(s) cannot be read")
    assert f"… and {len(broken) - 20} more" in message
    assert broken[0].name in message
    assert broken[-1].name not in message
    assert dataset.item_count() == 0


def test_many_missing_paths_are_counted_before_anything_is_read(
    client: annotask.Client, tmp_path: Path
) -> None:
    dataset = client.create_dataset("d")
    missing = [tmp_path / f"gone{i}.png" for i in range(30)]
    with pytest.raises(ValidationError, match=r"^30 path\(s\) do not exist") as caught:
        dataset.add_items(missing)
    assert "… and 10 more" in str(caught.value)


def test_many_items_come_back_as_a_list_like_view_in_the_order_given(
    client: annotask.Client, tmp_path: Path
) -> None:
    dataset = client.create_dataset("d")
    project = client.create_project("p", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)
    paths = _pngs(tmp_path / "imgs", MANY)
    items = dataset.add_items(iter(paths), client_metadata={"batch": 7})  # a one-shot iterator
    assert isinstance(items, StorageItems)
    assert len(items) == MANY
    names = [item.name for item in items]
    assert names == [path.name for path in paths]
    assert items[-1].name == paths[-1].name
    assert items[PAGE_SIZE].name == paths[PAGE_SIZE].name
    assert (items[3].width, items[3].height, items[3].client_metadata) == (8, 8, {"batch": 7})
    assert [item.name for item in items[10:13]] == [p.name for p in paths[10:13]]
    assert [item.name for item in items[::2000]] == [p.name for p in paths[::2000]]
    assert list(items.data_hashes()) == [item.data_hash for item in items]
    with pytest.raises(IndexError):
        items[MANY]
    assert dataset.item_count() == MANY
    assert _task_total(project) == MANY
