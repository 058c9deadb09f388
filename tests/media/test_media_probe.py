"""probe: types by content, sizes and rates from headers, clear errors for bad files."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from PIL.PngImagePlugin import PngImageFile

from annotask.datatypes import DataType
from annotask.errors import MediaError
from annotask.media import (
    MediaInfo,
    probe,
    write_test_audio,
    write_test_dicom,
    write_test_image,
    write_test_image_sequence,
    write_test_video,
)


def test_video_reports_size_rate_frame_count_and_duration(bframe_video: Path) -> None:
    info = probe(bframe_video)
    assert info == MediaInfo(
        DataType.VIDEO,
        "video/mp4",
        bframe_video.stat().st_size,
        width=64,
        height=48,
        fps=30.0,
        frame_count=90,
        duration=3.0,
    )


def test_video_without_a_frame_count_in_its_header_counts_packets(long_gop_video: Path) -> None:
    info = probe(long_gop_video)
    assert (info.data_type, info.mime_type, info.frame_count) == (
        DataType.VIDEO,
        "video/x-matroska",
        90,
    )
    assert info.duration == pytest.approx(3.0, abs=0.05)


def test_video_with_an_audio_track_is_a_video(tmp_path: Path) -> None:
    path = write_test_video(tmp_path / "av.mp4", frames=10, audio=True)
    assert probe(path).data_type is DataType.VIDEO


@pytest.mark.parametrize(("suffix", "mime"), [(".m4a", "audio/mp4"), (".wav", "audio/wav")])
def test_audio_only_file_is_audio_with_a_duration(tmp_path: Path, suffix: str, mime: str) -> None:
    info = probe(write_test_audio(tmp_path / f"tone{suffix}", seconds=1.0))
    assert (info.data_type, info.mime_type, info.width, info.fps) == (
        DataType.AUDIO,
        mime,
        None,
        None,
    )
    assert info.duration == pytest.approx(1.0, abs=0.15)


@pytest.mark.parametrize(
    ("name", "mime"),
    [("a.png", "image/png"), ("a.jpg", "image/jpeg"), ("a.gif", "image/gif"),
     ("a.bmp", "image/bmp"), ("a.tiff", "image/tiff"), ("a.webp", "image/webp")],
)  # fmt: skip
def test_images_report_their_format_and_size(tmp_path: Path, name: str, mime: str) -> None:
    info = probe(write_test_image(tmp_path / name, width=64, height=48))
    assert (info.data_type, info.mime_type, info.width, info.height, info.frame_count) == (
        DataType.IMAGE,
        mime,
        64,
        48,
        1,
    )


def test_image_size_is_reported_as_shown_after_exif_rotation(tmp_path: Path) -> None:
    info = probe(
        write_test_image(tmp_path / "rotated.jpg", width=64, height=48, exif_orientation=6)
    )
    assert (info.width, info.height) == (48, 64)


def test_png_is_probed_without_decoding_its_pixels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = write_test_image(tmp_path / "plain.png", width=64, height=48)
    rotated = write_test_image(tmp_path / "rot.png", width=64, height=48, exif_orientation=6)

    def no_decoding(self: PngImageFile) -> None:
        raise AssertionError("probe decoded the pixels")

    monkeypatch.setattr(PngImageFile, "load", no_decoding)
    assert (probe(plain).width, probe(plain).height) == (64, 48)
    assert (probe(rotated).width, probe(rotated).height) == (48, 64)


def test_file_whose_extension_lies_is_probed_by_content(tmp_path: Path, bframe_video: Path) -> None:
    png_named_mp4 = write_test_image(tmp_path / "photo.mp4", image_format="PNG")
    assert probe(png_named_mp4).mime_type == "image/png"
    video_named_jpg = tmp_path / "clip.jpg"
    shutil.copy(bframe_video, video_named_jpg)
    assert probe(video_named_jpg).data_type is DataType.VIDEO


def test_binary_junk_with_a_media_extension_is_rejected_as_not_media(tmp_path: Path) -> None:
    junk = tmp_path / "clip.mp4"
    junk.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(MediaError, match=r"clip\.mp4: not a readable media file"):
        probe(junk)


def test_zero_byte_file_is_a_media_error_naming_it(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(MediaError, match=r"empty\.mp4: the file is empty \(zero bytes\)"):
        probe(empty)


def test_missing_file_is_a_media_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="cannot read"):
        probe(tmp_path / "absent.png")


def test_truncated_image_header_is_a_corrupt_media_error(tmp_path: Path) -> None:
    path = write_test_image(tmp_path / "a.png")
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(MediaError, match=r"a\.png"):
        probe(path)


def test_dicom_reports_its_tags(tmp_path: Path) -> None:
    info = probe(write_test_dicom(tmp_path / "scan", width=40, height=30, frames=3, modality="MR"))
    assert (info.data_type, info.mime_type, info.width, info.height, info.frame_count) == (
        DataType.DICOM,
        "application/dicom",
        40,
        30,
        3,
    )
    assert info.dicom["modality"] == "MR"
    assert (info.dicom["rows"], info.dicom["columns"], info.dicom["number_of_frames"]) == (
        30,
        40,
        3,
    )
    assert info.dicom["study_instance_uid"].startswith("1.2.")
    assert info.dicom["series_instance_uid"] != info.dicom["study_instance_uid"]


def test_corrupt_dicom_is_a_media_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.dcm"
    path.write_bytes(b"\0" * 128 + b"DICM" + b"\xff" * 50)
    with pytest.raises(MediaError, match=r"bad\.dcm: corrupt DICOM"):
        probe(path)


def test_pdf_and_text_are_recognised_by_content(tmp_path: Path) -> None:
    pdf = tmp_path / "doc.bin"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    text = tmp_path / "notes.dat"
    text.write_text("hello\nw\u00f6rld \u2013 \u00fcn\u00efcode\n", encoding="utf-8")
    assert probe(pdf).data_type is DataType.PDF
    assert (probe(text).data_type, probe(text).mime_type) == (DataType.TEXT, "text/plain")
    utf16 = tmp_path / "notes16.txt"
    utf16.write_text("hello", encoding="utf-16")
    assert probe(utf16).data_type is DataType.TEXT


def test_folder_of_images_is_an_image_sequence_in_name_order(tmp_path: Path) -> None:
    files = write_test_image_sequence(tmp_path / "seq", frames=4)
    (tmp_path / "seq" / ".DS_Store").write_bytes(b"\0\1")
    info = probe(tmp_path / "seq")
    assert (info.data_type, info.frame_count, info.width, info.height) == (
        DataType.IMAGE_SEQUENCE,
        4,
        64,
        48,
    )
    assert info.file_size == sum(f.stat().st_size for f in files)


def test_list_of_image_paths_is_an_image_sequence(tmp_path: Path) -> None:
    files = write_test_image_sequence(tmp_path, frames=3)
    assert probe(files[::-1]).frame_count == 3


def test_image_sequence_with_a_non_image_names_the_file(tmp_path: Path) -> None:
    write_test_image_sequence(tmp_path, frames=2)
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(MediaError, match=r"notes\.txt: not an image"):
        probe(tmp_path)


def test_empty_folder_is_a_media_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="at least one image"):
        probe(tmp_path)


def test_properties_are_json_able(tmp_path: Path, bframe_video: Path) -> None:
    for info in (probe(bframe_video), probe(write_test_dicom(tmp_path / "d.dcm"))):
        properties = info.to_properties()
        assert json.loads(json.dumps(properties)) == properties
    assert probe(bframe_video).to_properties()["data_type"] == "video"


def test_probing_reads_headers_only_and_is_fast(tmp_path: Path) -> None:
    long_video = write_test_video(tmp_path / "long.mp4", frames=600, width=64, height=48)
    probe(long_video)  # warm the imports
    started = time.perf_counter()
    for _ in range(10):
        assert probe(long_video).frame_count == 600
    assert (time.perf_counter() - started) / 10 < 0.05


def test_string_path_is_probed_as_a_file_not_as_a_list(bframe_video: Path) -> None:
    assert probe(str(bframe_video)).data_type is DataType.VIDEO  # type: ignore[arg-type]


def test_bytes_that_only_look_like_a_utf16_mark_are_not_text(tmp_path: Path) -> None:
    junk = tmp_path / "x.bin"
    junk.write_bytes(b"\xff\xfe" + bytes([1, 0, 2, 0, 3, 0]) * 20)
    with pytest.raises(MediaError, match="not a readable media file"):
        probe(junk)
