"""first_frame and iter_frames: RGB uint8 frames, streaming, closing, damaged input."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from annotask.datatypes import DataType
from annotask.errors import MediaError
from annotask.media import (
    first_frame,
    iter_frames,
    write_test_audio,
    write_test_dicom,
    write_test_image,
    write_test_image_sequence,
    write_test_video,
)
from annotask.media.synthetic import frame_pattern, read_frame_number


def _assert_rgb(picture: NDArray[np.uint8], width: int = 64, height: int = 48) -> None:
    assert picture.dtype == np.uint8
    assert picture.shape == (height, width, 3)


@pytest.mark.parametrize(
    ("name", "mode"),
    [("rgb.png", "RGB"), ("gray.png", "L"), ("rgba.png", "RGBA"), ("palette.png", "P"),
     ("deep.png", "I;16"), ("cmyk.jpg", "CMYK"), ("bits.png", "1"), ("photo.jpg", "RGB")],
)  # fmt: skip
def test_first_frame_of_any_image_mode_is_rgb_uint8(tmp_path: Path, name: str, mode: str) -> None:
    picture = first_frame(write_test_image(tmp_path / name, mode=mode, index=5), DataType.IMAGE)
    _assert_rgb(picture)
    if mode in ("RGB", "L", "RGBA", "I;16", "P"):
        assert read_frame_number(picture) == 5


def test_first_frame_of_a_lossless_image_is_exact(tmp_path: Path) -> None:
    path = write_test_image(tmp_path / "a.png", index=9)
    assert np.array_equal(first_frame(path, "image"), frame_pattern(9, 64, 48))


def test_sixteen_bit_image_is_scaled_not_clipped(tmp_path: Path) -> None:
    path = write_test_image(tmp_path / "deep.png", mode="I;16")
    expected = np.asarray(first_frame(write_test_image(tmp_path / "g.png", mode="L"), "image"))
    assert np.abs(first_frame(path, "image").astype(int) - expected).max() <= 1


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    upright = first_frame(write_test_image(tmp_path / "a.png", index=3), "image")
    turned = first_frame(write_test_image(tmp_path / "b.jpg", index=3, exif_orientation=6), "image")
    assert turned.shape == (64, 48, 3)
    # orientation 6 means "rotate 90° clockwise to display": the top row becomes the right column
    assert np.abs(turned[:, -1].astype(int) - upright[0].astype(int)).mean() < 12


def test_first_frame_of_a_video_is_frame_zero(bframe_video: Path) -> None:
    picture = first_frame(bframe_video, DataType.VIDEO)
    _assert_rgb(picture)
    assert read_frame_number(picture) == 0


def test_first_frame_of_an_image_sequence_is_its_first_file_by_name(tmp_path: Path) -> None:
    write_test_image_sequence(tmp_path, frames=3)
    assert read_frame_number(first_frame(tmp_path, DataType.IMAGE_SEQUENCE)) == 0
    reversed_list = sorted(tmp_path.iterdir(), reverse=True)
    assert read_frame_number(first_frame(reversed_list, DataType.IMAGE_SEQUENCE)) == 2


def test_dicom_is_windowed_with_its_window_center_and_width(tmp_path: Path) -> None:
    # stored values are gray * 16 (0..4080); a window of 0..4096 maps them back to gray
    path = write_test_dicom(tmp_path / "ct.dcm", window=(2048.0, 4096.0))
    picture = first_frame(path, DataType.DICOM)
    _assert_rgb(picture)
    assert read_frame_number(picture) == 0
    narrow = first_frame(write_test_dicom(tmp_path / "n.dcm", window=(100.0, 10.0)), "dicom")
    assert narrow.mean() > 200  # almost everything is above a window of 95..105


def test_dicom_without_window_uses_min_max_and_monochrome1_is_inverted(tmp_path: Path) -> None:
    plain = first_frame(write_test_dicom(tmp_path / "a.dcm", window=None), "dicom")
    assert (int(plain.min()), int(plain.max())) == (0, 255)
    inverted = first_frame(
        write_test_dicom(tmp_path / "b.dcm", window=None, photometric="MONOCHROME1"), "dicom"
    )
    assert np.array_equal(inverted, 255 - plain)


def test_multi_frame_dicom_gives_its_first_frame_and_iterates_all(tmp_path: Path) -> None:
    path = write_test_dicom(tmp_path / "multi.dcm", frames=4, window=(2048.0, 4096.0))
    assert read_frame_number(first_frame(path, "dicom")) == 0
    frames = list(iter_frames(path, DataType.DICOM))
    assert [f.frame for f in frames] == [0, 1, 2, 3]
    assert [read_frame_number(f.content) for f in frames] == [0, 1, 2, 3]


@pytest.mark.parametrize("kind", [DataType.AUDIO, DataType.PDF, DataType.TEXT])
def test_first_frame_of_a_type_without_pixels_is_a_value_error(
    tmp_path: Path, kind: DataType
) -> None:
    with pytest.raises(ValueError, match=f"a {kind.value} asset has no frames"):
        first_frame(tmp_path / "x", kind)


def test_iter_frames_yields_every_frame_in_order(bframe_video: Path) -> None:
    frames = list(iter_frames(bframe_video, DataType.VIDEO))
    assert [f.frame for f in frames] == list(range(90))
    assert [read_frame_number(f.content) for f in frames] == list(range(90))
    _assert_rgb(frames[0].content)


def test_iter_frames_over_an_image_sequence(tmp_path: Path) -> None:
    write_test_image_sequence(tmp_path, frames=4)
    frames = list(iter_frames(tmp_path, DataType.IMAGE_SEQUENCE))
    assert [read_frame_number(f.content) for f in frames] == [0, 1, 2, 3]


@pytest.mark.parametrize("kind", [DataType.IMAGE, DataType.AUDIO, DataType.PDF, DataType.TEXT])
def test_iter_frames_of_a_non_video_type_is_not_implemented(kind: DataType, tmp_path: Path) -> None:
    with pytest.raises(NotImplementedError, match=kind.value):
        iter_frames(tmp_path / "x", kind)


def _handles(path: Path) -> int:
    """How many file descriptors of this process are open on ``path``."""
    fds = Path("/proc/self/fd")
    if not fds.exists():
        pytest.skip("needs /proc to count open files")
    count = 0
    for fd in fds.iterdir():
        try:
            count += fd.resolve() == path.resolve()
        except OSError:
            continue
    return count


def test_iterator_closes_the_video_when_closed_early(bframe_video: Path) -> None:
    frames = iter_frames(bframe_video, DataType.VIDEO)
    next(frames)
    assert _handles(bframe_video) == 1
    frames.close()
    assert _handles(bframe_video) == 0
    assert list(frames) == []


def test_iterator_closes_the_video_when_exhausted(bframe_video: Path) -> None:
    frames = iter_frames(bframe_video, DataType.VIDEO)
    assert len(list(frames)) == 90
    assert _handles(bframe_video) == 0


def test_iterator_as_a_context_manager_closes_on_exit(bframe_video: Path) -> None:
    with iter_frames(bframe_video, DataType.VIDEO) as frames:
        assert next(frames).frame == 0
    assert _handles(bframe_video) == 0


def test_unstarted_iterator_closes_the_video_when_closed(bframe_video: Path) -> None:
    frames = iter_frames(bframe_video, DataType.VIDEO)
    assert _handles(bframe_video) == 1
    frames.close()
    frames.close()
    assert _handles(bframe_video) == 0


def test_unstarted_abandoned_iterator_closes_the_video_when_collected(bframe_video: Path) -> None:
    frames = iter_frames(bframe_video, DataType.VIDEO)
    del frames
    gc.collect()
    assert _handles(bframe_video) == 0


def test_abandoned_iterator_closes_the_video_when_collected(bframe_video: Path) -> None:
    frames = iter_frames(bframe_video, DataType.VIDEO)
    next(frames)
    del frames
    gc.collect()
    assert _handles(bframe_video) == 0


def test_truncated_video_yields_frames_up_to_the_damage_then_names_the_frame(
    tmp_path: Path,
) -> None:
    path = write_test_video(tmp_path / "cut.mp4", frames=60, faststart=True)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])
    seen = []
    with pytest.raises(MediaError, match=r"cut\.mp4: .*frame (\d+)") as error:
        for frame in iter_frames(path, DataType.VIDEO):
            seen.append(frame.frame)
    assert 0 < len(seen) < 60
    assert seen == list(range(len(seen)))
    assert f"frame {len(seen)}" in str(error.value)


def test_video_with_no_video_stream_is_a_media_error(tmp_path: Path) -> None:
    audio_only = write_test_audio(tmp_path / "voice.mp4")
    with pytest.raises(MediaError, match=r"voice\.mp4: has no video stream \(streams: audio\)"):
        iter_frames(audio_only, DataType.VIDEO)
    with pytest.raises(MediaError, match="no video stream"):
        first_frame(audio_only, DataType.VIDEO)


def test_image_passed_as_video_is_a_media_error_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        first_frame(tmp_path / "missing.mp4", DataType.VIDEO)


def test_decoding_errors_are_chained_to_the_library_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x13" * 500)
    with pytest.raises(MediaError) as error:
        first_frame(junk, DataType.VIDEO)
    assert error.value.__cause__ is not None


def test_mkv_video_iterates_all_frames(long_gop_video: Path) -> None:
    numbers = [read_frame_number(f.content) for f in iter_frames(long_gop_video, "video")]
    assert numbers == list(range(90))


def test_string_paths_are_accepted(bframe_video: Path, tmp_path: Path) -> None:
    assert read_frame_number(first_frame(str(bframe_video), "video")) == 0  # type: ignore[arg-type]
    with iter_frames(str(bframe_video), "video") as frames:  # type: ignore[arg-type]
        assert next(frames).frame == 0
    write_test_image_sequence(tmp_path, frames=2)
    assert len(list(iter_frames(str(tmp_path), "image_sequence"))) == 2  # type: ignore[arg-type]


def test_list_passed_for_a_single_file_type_is_a_value_error(bframe_video: Path) -> None:
    with pytest.raises(ValueError, match="one file, not a list of 2 paths"):
        first_frame([bframe_video, bframe_video], DataType.VIDEO)


def test_frame_threaded_decoding_gives_the_same_frames(
    bframe_video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotask.media import decode  # noqa: PLC0415

    single = [f.content for f in iter_frames(bframe_video, DataType.VIDEO)]
    monkeypatch.setattr(decode, "streaming_thread_type", lambda: "AUTO")
    threaded = [f.content for f in iter_frames(bframe_video, DataType.VIDEO)]
    assert len(threaded) == len(single)
    assert all(np.array_equal(a, b) for a, b in zip(single, threaded, strict=True))


def test_iterating_a_file_that_is_not_dicom_fails_when_asked(tmp_path: Path) -> None:
    not_dicom = write_test_image(tmp_path / "a.dcm", image_format="PNG")
    with pytest.raises(MediaError, match=r"a\.dcm: corrupt DICOM"):
        iter_frames(not_dicom, DataType.DICOM)
