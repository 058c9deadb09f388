"""The seed system's own dependency tests, ported by changing imports and the account setup.

They call the dependencies directly on storage items of each data type, as the seed's do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
import pytest

from annotask import Client, PrintableError, StorageItem, StorageItemType
from annotask.labels import LabelRow
from annotask.media import Frame
from annotask.tasks.dependencies import (
    Twin,
    dep_asset,
    dep_client,
    dep_single_frame,
    dep_storage_item,
    dep_twin_label_row,
    dep_video_iterator,
    dep_video_sampler,
)
from annotask.testing import trial_project
from tests.compat.conftest import ONTOLOGY, WORKFLOW, Ephemeral


def _items(ephemeral: Ephemeral) -> dict[StorageItemType, StorageItem]:
    client = ephemeral.trial.client
    rows = ephemeral.trial.project.list_label_rows_v2()
    items = client.get_storage_items([str(lr.backing_item_uuid) for lr in rows])
    return {item.item_type: item for item in items}


def _rows(ephemeral: Ephemeral) -> dict[StorageItemType, LabelRow]:
    return {lr.data_type: lr for lr in ephemeral.trial.project.list_label_rows_v2()}


@pytest.fixture
def default_store(ephemeral_project: Ephemeral, monkeypatch: pytest.MonkeyPatch) -> None:
    """The account setup of the seed's tests (its key in the environment): here the store
    and the user in the environment, so that ``Client()`` opens the trial project's."""
    monkeypatch.setenv(
        "ANNOTASK_DATABASE_URL", f"sqlite:///{ephemeral_project.trial.folder / 'trial.db'}"
    )
    monkeypatch.setenv("ANNOTASK_USER", ephemeral_project.trial.client.user)


@pytest.mark.usefixtures("default_store")
def test_dep_client() -> None:
    client = dep_client()
    assert isinstance(client, Client)
    client.close()


def test_dep_single_frame(ephemeral_project: Ephemeral) -> None:
    items = _items(ephemeral_project)
    for kind in (StorageItemType.VIDEO, StorageItemType.IMAGE, StorageItemType.IMAGE_GROUP):
        storage_item = items[kind]
        frame = dep_single_frame(storage_item)
        assert isinstance(frame, np.ndarray)
        assert frame.ndim == 3 and frame.dtype == np.uint8
        assert frame.shape == (storage_item.height, storage_item.width, 3)


def test_dep_video_iterator(ephemeral_project: Ephemeral) -> None:
    items = _items(ephemeral_project)
    assert items[StorageItemType.IMAGE].item_type != StorageItemType.VIDEO
    with pytest.raises(NotImplementedError) as e:
        next(dep_video_iterator(items[StorageItemType.IMAGE]))
    assert str(e.value).startswith("`dep_video_iterator` only supported for video label rows")
    assert "image" in str(e.value) and "dep_single_frame" in str(e.value)

    video_iter = next(dep_video_iterator(items[StorageItemType.VIDEO]))
    assert isinstance(video_iter, Iterator)
    first_frame: Frame | None = None
    counter = 0
    for i, frame in enumerate(video_iter):
        first_frame = first_frame or frame
        assert isinstance(frame, Frame)
        assert frame.content.ndim == 3
        assert frame.frame == i
        counter += 1
    assert counter == _rows(ephemeral_project)[StorageItemType.VIDEO].number_of_frames
    assert first_frame is not None
    assert np.array_equal(first_frame.content, dep_single_frame(items[StorageItemType.VIDEO]))

    sequence_iter = next(dep_video_iterator(items[StorageItemType.IMAGE_SEQUENCE]))
    assert sum(1 for _ in sequence_iter) == 3


def test_dep_video_sampler(ephemeral_project: Ephemeral) -> None:
    video = _items(ephemeral_project)[StorageItemType.VIDEO]
    frames_total = _rows(ephemeral_project)[StorageItemType.VIDEO].number_of_frames
    video_sampler = next(dep_video_sampler(video))
    assert abs(len(list(video_sampler(1))) - frames_total) <= 1
    assert abs(len(list(video_sampler(0.5))) - frames_total // 2) <= 1
    with pytest.raises(ValueError):
        video_sampler(0)
    with pytest.raises(ValueError):
        video_sampler(1.5)
    frames_list = list(video_sampler([1, 2, 3]))
    assert [frame.frame for frame in frames_list] == [1, 2, 3]
    video_frames = next(dep_video_iterator(video))
    for sampler_frame, video_frame in zip(video_sampler([0, 1, 2]), video_frames, strict=False):
        assert sampler_frame.frame == video_frame.frame
        assert np.equal(sampler_frame.content, video_frame.content).all()


def test_dep_asset(ephemeral_project: Ephemeral, one_of_each: dict[str, Path]) -> None:
    """As the seed's (the asset exists for the block, is gone after it), with a PDF, text,
    audio, video and image each a file with its suffix; beyond the seed, an image group is
    a folder holding every image, and every asset is a copy, never the original."""
    items = _items(ephemeral_project)
    with ExitStack() as stack:

        def _test_dep_asset(storage_item: StorageItem, suffix: str) -> Path:
            cm = contextmanager(dep_asset)(storage_item)
            asset_path = stack.enter_context(cm)
            assert isinstance(asset_path, Path)
            assert asset_path.suffix == suffix, f"{asset_path.suffix=} != {suffix=}"
            assert asset_path.exists()
            return asset_path

        paths = [
            _test_dep_asset(items[StorageItemType.PDF], ".pdf"),
            _test_dep_asset(items[StorageItemType.PLAIN_TEXT], ".txt"),
            _test_dep_asset(items[StorageItemType.AUDIO], ".wav"),
            _test_dep_asset(items[StorageItemType.VIDEO], ".mp4"),
            _test_dep_asset(items[StorageItemType.IMAGE], ".png"),
        ]
        group = stack.enter_context(contextmanager(dep_asset)(items[StorageItemType.IMAGE_GROUP]))
        assert group.is_dir()
        assert sorted(p.name for p in group.iterdir()) == sorted(
            p.name for p in one_of_each["sequence"].iterdir()
        )
        assert not set(paths) & {Path(p) for p in one_of_each.values()}
    for path in [*paths, group]:
        assert not path.exists()
    assert all(p.exists() for p in one_of_each.values())


@pytest.mark.usefixtures("default_store")
def test_dep_twin_label_row(ephemeral_project: Ephemeral, tmp_path: Path) -> None:
    trial = ephemeral_project.trial
    twin_project = trial.client.create_project(
        "twin", datasets=[trial.dataset], ontology=ONTOLOGY, workflow=WORKFLOW
    )
    video_label_row = _rows(ephemeral_project)[StorageItemType.VIDEO]
    twin_fn = dep_twin_label_row(twin_project.project_hash)
    twin = twin_fn(video_label_row)
    assert isinstance(twin, Twin)
    assert isinstance(twin.label_row, LabelRow)
    assert twin.label_row.backing_item_uuid == video_label_row.backing_item_uuid

    with pytest.raises(PrintableError):
        dep_twin_label_row("invalid_project_hash")(video_label_row)

    elsewhere = trial_project(tmp_path / "elsewhere", images=1, workflow=WORKFLOW, user="eve")
    with pytest.raises(PrintableError):  # not a member: AuthorizationError, a PrintableError
        dep_twin_label_row(elsewhere.project_hash)(video_label_row, trial.client)


def test_dep_storage_item(ephemeral_project: Ephemeral) -> None:
    storage_item = dep_storage_item(_items(ephemeral_project)[StorageItemType.VIDEO])
    assert isinstance(storage_item, StorageItem)
    assert storage_item.item_type == StorageItemType.VIDEO
