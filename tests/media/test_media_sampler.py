"""VideoSampler / sample_frames: exact frames by rate or index, decoding as little as needed."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from annotask.datatypes import DataType
from annotask.errors import MediaError
from annotask.media import VideoSampler, _cursor, iter_frames, sample_frames, write_test_video
from annotask.media import sampler as sampler_module
from annotask.media._index import FrameTable
from annotask.media.synthetic import read_frame_number

VIDEO_FRAMES = 90  # the session videos in conftest.py

Decoded = dict[Path, list[NDArray[np.uint8]]]


@pytest.fixture
def sampler(bframe_video: Path) -> Iterator[VideoSampler]:
    with VideoSampler(bframe_video) as opened:
        yield opened


def _check(
    frames: list[object], expected_indices: list[int], reference: list[NDArray[np.uint8]]
) -> None:
    indices = [f.frame for f in frames]  # type: ignore[attr-defined]
    assert indices == expected_indices
    for frame in frames:
        assert np.array_equal(frame.content, reference[frame.frame])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("rate", "step"), [(1 / 5, 5), (1 / 30, 30), (1.0, 1), (1 / 7, 7), (1 / 3, 3), (1 / 60, 60)]
)
def test_rate_yields_every_nth_frame_exactly(
    sampler: VideoSampler, bframe_video: Path, decoded: Decoded, rate: float, step: int
) -> None:
    _check(list(sampler(rate)), list(range(0, VIDEO_FRAMES, step)), decoded[bframe_video])


def test_fractional_rate_yields_int_of_k_over_r(sampler: VideoSampler) -> None:
    indices = [f.frame for f in sampler(0.4)]
    assert indices == [int(k / 0.4) for k in range(36)]


@pytest.mark.parametrize("denominator", range(1, 61))
def test_rate_one_over_n_never_loses_a_multiple_to_rounding(denominator: int) -> None:
    indices = sampler_module.resolve_spec(1 / denominator, 1000)
    assert indices == list(range(0, 1000, denominator))


def test_indices_come_in_the_requested_order_with_duplicates(
    sampler: VideoSampler, bframe_video: Path, decoded: Decoded
) -> None:
    wanted = [61, 3, 89, 3, 0, 30, 29, 31, 61]
    _check(list(sampler(wanted)), wanted, decoded[bframe_video])


def test_reversed_indices_are_exact_even_without_a_buffer(
    bframe_video: Path, decoded: Decoded
) -> None:
    wanted = list(range(VIDEO_FRAMES - 1, -1, -1))
    with VideoSampler(bframe_video, buffer_bytes=0) as unbuffered:
        _check(list(unbuffered(wanted)), wanted, decoded[bframe_video])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_index_list_matches_sequential_decoding(
    bframe_video: Path, long_gop_video: Path, decoded: Decoded, data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from([bframe_video, long_gop_video]))
    wanted = data.draw(st.lists(st.integers(0, VIDEO_FRAMES - 1), max_size=12))
    with VideoSampler(path) as video:
        _check(list(video(wanted)), wanted, decoded[path])


def test_long_gop_mkv_samples_exactly(long_gop_video: Path, decoded: Decoded) -> None:
    with VideoSampler(long_gop_video) as video:
        assert video.frame_count == VIDEO_FRAMES
        _check(list(video(1 / 5)), list(range(0, VIDEO_FRAMES, 5)), decoded[long_gop_video])


def test_frames_carry_their_own_number(sampler: VideoSampler) -> None:
    assert [read_frame_number(f.content) for f in sampler([44, 7, 88])] == [44, 7, 88]


@pytest.mark.parametrize("wanted", [[0, VIDEO_FRAMES], [-1], [5, 1000]])
def test_out_of_range_index_is_a_value_error_naming_the_range_before_decoding(
    sampler: VideoSampler, wanted: list[int]
) -> None:
    with pytest.raises(ValueError, match=f"frames 0 to {VIDEO_FRAMES - 1}"):
        sampler(wanted)  # raised by the call itself, not on iteration


@pytest.mark.parametrize("rate", [0.0, -0.2, 1.5, math.nan, math.inf])
def test_rate_outside_zero_to_one_is_a_value_error(sampler: VideoSampler, rate: float) -> None:
    with pytest.raises(ValueError, match=r"outside \(0, 1\]"):
        sampler(rate)


@pytest.mark.parametrize("spec", ["abc", [1.5], [True], True])
def test_spec_of_the_wrong_type_is_a_type_error(sampler: VideoSampler, spec: object) -> None:
    with pytest.raises(TypeError):
        sampler(spec)  # type: ignore[arg-type]


def test_numpy_integers_are_accepted(sampler: VideoSampler) -> None:
    assert [f.frame for f in sampler(np.array([4, 2]))] == [4, 2]  # type: ignore[arg-type]


def test_empty_index_list_yields_nothing(sampler: VideoSampler) -> None:
    assert list(sampler([])) == []


def _count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Patch the seeking cursor to count packets sent to the decoder."""
    sent: list[int] = []
    original = _cursor.SeekingCursor._decode

    def counting(self: _cursor.SeekingCursor, packet: object) -> object:
        if packet is not None:
            sent.append(1)
        return original(self, packet)  # type: ignore[arg-type]

    monkeypatch.setattr(_cursor.SeekingCursor, "_decode", counting)
    return sent


def test_keyframe_only_requests_decode_one_packet_each(
    sampler: VideoSampler, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = _count_decodes(monkeypatch)
    assert [f.frame for f in sampler(1 / 30)] == [0, 30, 60]
    assert len(sent) == 3


def test_late_frame_is_reached_by_seeking_not_by_decoding_from_the_start(
    sampler: VideoSampler, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = _count_decodes(monkeypatch)
    assert [f.frame for f in sampler([VIDEO_FRAMES - 2])] == [VIDEO_FRAMES - 2]
    assert len(sent) <= 31  # one GOP, not three


def test_only_returned_frames_are_converted_to_rgb(
    sampler: VideoSampler, monkeypatch: pytest.MonkeyPatch
) -> None:
    converted: list[int] = []
    original = sampler_module.rgb24

    def counting(frame: object, reformatter: object) -> NDArray[np.uint8]:
        converted.append(1)
        return original(frame, reformatter)  # type: ignore[arg-type]

    monkeypatch.setattr(sampler_module, "rgb24", counting)
    assert len(list(sampler(1 / 5))) == 18
    assert len(converted) == 18


def test_two_interleaved_calls_on_one_sampler_are_both_exact(
    sampler: VideoSampler, bframe_video: Path, decoded: Decoded
) -> None:
    first, second = sampler([10, 50, 80]), sampler([80, 10, 50])
    pairs = list(zip(first, second, strict=True))
    _check([a for a, _ in pairs], [10, 50, 80], decoded[bframe_video])
    _check([b for _, b in pairs], [80, 10, 50], decoded[bframe_video])


def test_closed_sampler_refuses_calls(bframe_video: Path) -> None:
    video = VideoSampler(bframe_video)
    video.close()
    with pytest.raises(ValueError, match="closed"):
        video([0])


def test_sample_frames_validates_eagerly_and_yields(bframe_video: Path, decoded: Decoded) -> None:
    with pytest.raises(ValueError, match="out of range"):
        sample_frames(bframe_video, [VIDEO_FRAMES])
    _check(list(sample_frames(bframe_video, [5, 1])), [5, 1], decoded[bframe_video])


def test_raw_h264_without_timestamps_falls_back_to_counting(tmp_path: Path) -> None:
    path = write_test_video(tmp_path / "raw.h264", frames=40, gop=10, bframes=2)
    reference = [f.content for f in iter_frames(path, DataType.VIDEO)]
    with VideoSampler(path) as video:
        assert video.frame_count == 40
        wanted = [39, 3, 17, 17, 0]
        _check(list(video(wanted)), wanted, reference)


def test_wrong_timestamp_table_is_detected_and_counting_takes_over(
    bframe_video: Path, decoded: Decoded
) -> None:
    with VideoSampler(bframe_video) as video:
        table = video._table
        assert table is not None
        shifted = tuple(p + 1 for p in table.pts)
        video._table = FrameTable(shifted, {p: i for i, p in enumerate(shifted)}, table.keyframes)
        _check(list(video([40, 2])), [40, 2], decoded[bframe_video])


def test_video_with_no_video_stream_cannot_be_sampled(tmp_path: Path) -> None:
    from annotask.media import write_test_audio  # noqa: PLC0415

    with pytest.raises(MediaError, match="no video stream"):
        VideoSampler(write_test_audio(tmp_path / "a.m4a"))


def test_truncated_video_sampling_past_the_damage_is_a_media_error(tmp_path: Path) -> None:
    path = write_test_video(tmp_path / "cut.mp4", frames=60, faststart=True)
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * 0.6)])
    with VideoSampler(path) as video:
        assert read_frame_number(next(iter(video([0]))).content) == 0
        with pytest.raises(MediaError, match=r"cut\.mp4"):
            list(video([video.frame_count - 1]))
