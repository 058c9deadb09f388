"""Probing on registration: dataset.add_items reads each asset's type and properties."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

import annotask
from annotask.datatypes import DataType
from annotask.errors import MediaError
from annotask.media import (
    write_test_audio,
    write_test_dicom,
    write_test_image,
    write_test_image_sequence,
)
from tests.definitions import ONTOLOGY, WORKFLOW
from tests.media.conftest import VIDEO_FRAMES


@pytest.fixture
def client(tmp_path: Path) -> Iterator[annotask.Client]:
    with annotask.Client(f"sqlite:///{tmp_path / 'annotask.db'}", user="alice") as c:
        yield c


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder remote assets are fetched into, to check nothing stays there."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_a_video_is_registered_with_its_probed_properties(
    client: annotask.Client, bframe_video: Path
) -> None:
    (item,) = client.create_dataset("d").add_items([bframe_video])
    assert (item.item_type, item.mime_type, item.file_size) == (
        DataType.VIDEO,
        "video/mp4",
        bframe_video.stat().st_size,
    )
    assert (item.width, item.height, item.fps, item.frame_count, item.duration) == (
        64,
        48,
        30.0,
        VIDEO_FRAMES,
        3.0,
    )
    assert item.dicom == {}


def test_a_video_label_row_has_the_probed_frame_count_size_and_rate(
    client: annotask.Client, long_gop_video: Path
) -> None:
    dataset = client.create_dataset("d")
    dataset.add_items([long_gop_video])  # Matroska: the frame count is counted, not read
    project = client.create_project("p", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)
    (row,) = project.list_label_rows()
    assert (row.number_of_frames, row.width, row.height, row.fps) == (VIDEO_FRAMES, 64, 48, 30.0)
    assert row.data_type is DataType.VIDEO


def test_items_added_to_a_dataset_with_a_project_get_label_rows_with_their_frames(
    client: annotask.Client, bframe_video: Path, tmp_path: Path
) -> None:
    dataset = client.create_dataset("d")
    project = client.create_project("p", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)
    frames = write_test_image_sequence(tmp_path / "seq", frames=4, width=32, height=24)
    dataset.add_items([bframe_video, tmp_path / "seq"])
    rows = {row.data_title: row for row in project.list_label_rows()}
    assert rows["bframes.mp4"].number_of_frames == VIDEO_FRAMES
    assert (rows["seq"].number_of_frames, rows["seq"].width, rows["seq"].height) == (4, 32, 24)
    assert len(frames) == 4


def test_type_comes_from_the_content_not_the_name(
    client: annotask.Client, bframe_video: Path, tmp_path: Path
) -> None:
    png_named_mp4 = write_test_image(tmp_path / "photo.mp4", image_format="PNG")
    video_named_jpg = tmp_path / "clip.jpg"
    shutil.copy(bframe_video, video_named_jpg)
    image, video = client.create_dataset("d").add_items([png_named_mp4, video_named_jpg])
    assert (image.item_type, image.mime_type, image.frame_count) == (
        DataType.IMAGE,
        "image/png",
        1,
    )
    assert (video.item_type, video.frame_count) == (DataType.VIDEO, VIDEO_FRAMES)


def test_image_size_is_as_shown_after_exif_rotation(
    client: annotask.Client, tmp_path: Path
) -> None:
    rotated = write_test_image(tmp_path / "r.jpg", width=64, height=48, exif_orientation=6)
    (item,) = client.create_dataset("d").add_items([rotated])
    assert (item.width, item.height, item.mime_type) == (48, 64, "image/jpeg")


def test_dicom_tags_land_in_the_properties(client: annotask.Client, tmp_path: Path) -> None:
    scan = write_test_dicom(tmp_path / "scan.dcm", width=40, height=30, frames=3, modality="MR")
    (item,) = client.create_dataset("d").add_items([scan])
    assert (item.item_type, item.mime_type, item.width, item.height, item.frame_count) == (
        DataType.DICOM,
        "application/dicom",
        40,
        30,
        3,
    )
    tags = item.dicom
    assert (tags["modality"], tags["rows"], tags["columns"], tags["number_of_frames"]) == (
        "MR",
        30,
        40,
        3,
    )
    assert tags["study_instance_uid"] and tags["series_instance_uid"]


def test_audio_pdf_and_text_are_typed_by_content(client: annotask.Client, tmp_path: Path) -> None:
    tone = write_test_audio(tmp_path / "tone.wav", seconds=0.5)
    pdf = tmp_path / "doc.bin"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
    note = tmp_path / "note"
    note.write_text("a plain note\n")
    audio, document, text = client.create_dataset("d").add_items([tone, pdf, note])
    assert (audio.item_type, audio.mime_type) == (DataType.AUDIO, "audio/wav")
    assert audio.duration == pytest.approx(0.5, abs=0.05)
    assert (document.item_type, document.mime_type) == (DataType.PDF, "application/pdf")
    assert (text.item_type, text.mime_type, text.properties) == (DataType.TEXT, "text/plain", {})


def test_a_list_of_images_is_one_image_sequence(client: annotask.Client, tmp_path: Path) -> None:
    frames = write_test_image_sequence(tmp_path / "seq", frames=3, width=32, height=24)
    ordered = [frames[2], frames[0], frames[1]]
    dataset = client.create_dataset("d")
    (item,) = dataset.add_items({tuple(ordered): {"camera": "left"}})
    assert (item.item_type, item.frame_count, item.width, item.height) == (
        DataType.IMAGE_SEQUENCE,
        3,
        32,
        24,
    )
    assert item.properties["files"] == [str(p) for p in ordered]
    assert item.client_metadata == {"camera": "left"}
    (again,) = dataset.add_items([ordered])
    assert again.frame_count == 3


def _bad_files(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    truncated = write_test_image(folder / "cut.png")
    truncated.write_bytes(truncated.read_bytes()[:20])
    empty = folder / "empty.jpg"
    empty.touch()
    junk = folder / "junk.mp4"
    junk.write_bytes(bytes(range(256)) * 40)
    page = folder / "page.jpg"
    page.write_text("<html><body>404 Not Found</body></html>\n")
    voice = write_test_audio(folder / "voice.mp4", seconds=0.2)
    return {"cut.png": truncated, "empty.jpg": empty, "junk.mp4": junk, "page.jpg": page,
            "voice.mp4": voice}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("cut.png", "corrupt image"),
        ("empty.jpg", r"the file is empty \(zero bytes\)"),
        ("junk.mp4", "not a readable media file"),
        ("page.jpg", "its name says image but it holds text"),
        ("voice.mp4", "its name says video but it has no video stream"),
    ],
)
def test_an_unreadable_file_refuses_the_whole_bulk_naming_it_and_why(
    client: annotask.Client, bframe_video: Path, tmp_path: Path, name: str, reason: str
) -> None:
    bad = _bad_files(tmp_path / "bad")[name]
    dataset = client.create_dataset("d")
    project = client.create_project("p", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)
    with pytest.raises(MediaError, match=rf"nothing was added.*\n.*{name}: .*{reason}"):
        dataset.add_items([bframe_video, bad])
    assert dataset.list_items() == []
    assert project.list_label_rows() == []


def test_every_unreadable_file_is_named_in_one_error(
    client: annotask.Client, tmp_path: Path
) -> None:
    bad = _bad_files(tmp_path / "bad")
    unreadable = [bad["cut.png"], bad["empty.jpg"], bad["junk.mp4"]]
    with pytest.raises(MediaError, match=r"^3 item") as error:
        client.create_dataset("d").add_items(unreadable)
    assert all(str(path) in str(error.value) for path in unreadable)


def test_probe_false_registers_by_name_without_reading(
    client: annotask.Client, tmp_path: Path
) -> None:
    empty = tmp_path / "later.mp4"
    empty.touch()
    (item,) = client.create_dataset("d").add_items([empty], probe=False)
    assert (item.item_type, item.mime_type, item.properties, item.frame_count) == (
        DataType.VIDEO,
        "video/mp4",
        {},
        None,
    )


def test_remote_video_is_fetched_to_a_temporary_file_probed_and_removed(
    client: annotask.Client, http_root: tuple[str, Path], bframe_video: Path, private_tmp: Path
) -> None:
    base, root = http_root
    shutil.copy(bframe_video, root / "remote.mp4")
    uri = f"{base}/remote.mp4"
    (item,) = client.create_dataset("d").add_items([uri])
    assert (item.uri, item.name, item.item_type, item.frame_count, item.width) == (
        uri,
        "remote.mp4",
        DataType.VIDEO,
        VIDEO_FRAMES,
        64,
    )
    assert list(private_tmp.iterdir()) == []


def test_remote_files_that_cannot_be_read_refuse_the_bulk_and_leave_nothing(
    client: annotask.Client, http_root: tuple[str, Path], private_tmp: Path
) -> None:
    base, root = http_root
    (root / "junk.mp4").write_bytes(bytes(range(256)) * 40)
    dataset = client.create_dataset("d")
    with pytest.raises(MediaError) as error:
        dataset.add_items([f"{base}/absent.png", f"{base}/junk.mp4"])
    message = str(error.value)
    assert f"{base}/absent.png: " in message
    assert f"{base}/junk.mp4: not a readable media file" in message
    assert str(private_tmp) not in message  # named by its URI, not by the temporary copy
    assert dataset.list_items() == []
    assert list(private_tmp.iterdir()) == []


def test_probe_remote_false_registers_remote_uris_by_name_without_fetching(
    client: annotask.Client, http_root: tuple[str, Path], tmp_path: Path
) -> None:
    local = write_test_image(tmp_path / "a.png")
    absent = f"{http_root[0]}/not-there-yet.mp4"
    image, video = client.create_dataset("d").add_items([local, absent], probe_remote=False)
    assert (image.item_type, image.width) == (DataType.IMAGE, 64)
    assert (video.item_type, video.mime_type, video.properties) == (
        DataType.VIDEO,
        "video/mp4",
        {},
    )


def test_s3_image_is_probed_with_storage_options(
    client: annotask.Client, s3_endpoint: str, aws_env: None, tmp_path: Path, private_tmp: Path
) -> None:
    bucket = f"bucket-{time.monotonic_ns()}"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    image = write_test_image(tmp_path / "a.jpg", width=40, height=30)
    s3.put_object(Bucket=bucket, Key="imgs/a.jpg", Body=image.read_bytes())
    options = {"endpoint_url": s3_endpoint, "skip_instance_cache": True}
    (item,) = client.create_dataset("d").add_items(
        [f"s3://{bucket}/imgs/a.jpg"], storage_options=options
    )
    assert (item.item_type, item.mime_type, item.width, item.height) == (
        DataType.IMAGE,
        "image/jpeg",
        40,
        30,
    )
    assert list(private_tmp.iterdir()) == []


def test_a_user_who_may_not_add_items_is_refused_before_anything_is_fetched(
    client: annotask.Client, http_root: tuple[str, Path], private_tmp: Path
) -> None:
    dataset = client.create_dataset("d")
    dataset.add_member("rita", "reviewer")
    rita = client.as_user("rita").get_dataset(dataset.dataset_hash)
    with pytest.raises(annotask.AuthorizationError, match="does not allow edit items"):
        rita.add_items([f"{http_root[0]}/absent.png"])
    assert list(private_tmp.iterdir()) == []
