"""Decoding pixels: the first frame of any visual asset, and a streaming frame iterator."""

from __future__ import annotations

import logging
import os
from collections.abc import Generator, Sequence
from pathlib import Path

import av
import numpy as np
from av.container import InputContainer
from av.packet import Packet
from av.video.codeccontext import VideoCodecContext
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from annotask.datatypes import DataType
from annotask.errors import MediaError
from annotask.media._dicom import iter_dicom_rgb, read_dicom_header, read_dicom_rgb
from annotask.media._image import read_rgb
from annotask.media._video import describe, open_video, rgb24, streaming_thread_type
from annotask.media.frames import Frame, FrameIterator
from annotask.media.probe import image_sequence_files

__all__ = ["first_frame", "iter_frames", "sequence_files"]

logger = logging.getLogger(__name__)

_FIRST_FRAME_TYPES = (DataType.IMAGE, DataType.VIDEO, DataType.IMAGE_SEQUENCE, DataType.DICOM)
_ITERABLE_TYPES = (DataType.VIDEO, DataType.IMAGE_SEQUENCE, DataType.DICOM)


def first_frame(path: Path | Sequence[Path], data_type: DataType | str) -> NDArray[np.uint8]:
    """The first frame as RGB ``uint8`` ``[h, w, 3]``.

    Images (any mode, EXIF orientation applied), videos, image sequences and DICOM (windowed
    to 8 bits). Raises ValueError for other data types, MediaError for unreadable files.
    """
    kind = DataType(data_type)
    if kind not in _FIRST_FRAME_TYPES:
        names = ", ".join(t.value for t in _FIRST_FRAME_TYPES)
        raise ValueError(f"a {kind.value} asset has no frames to show (supported: {names})")
    if kind is DataType.IMAGE_SEQUENCE:
        return read_rgb(sequence_files(path)[0])
    single = _single_path(path, kind)
    if kind is DataType.IMAGE:
        return read_rgb(single)
    if kind is DataType.DICOM:
        return read_dicom_rgb(single, 0)
    return _first_video_frame(single)


def iter_frames(path: Path | Sequence[Path], data_type: DataType | str) -> FrameIterator:
    """Stream every frame, in order, in constant memory.

    Works for video, image sequences and DICOM (one frame per DICOM frame); other types
    raise NotImplementedError. The file is opened now and closed when the iterator is
    exhausted, closed, used as a context manager, or collected. A video damaged part way
    yields the frames before the damage, then raises MediaError naming the frame.
    """
    kind = DataType(data_type)
    if kind not in _ITERABLE_TYPES:
        names = ", ".join(t.value for t in _ITERABLE_TYPES)
        raise NotImplementedError(f"no frame iterator for a {kind.value} asset (only {names})")
    if kind is DataType.IMAGE_SEQUENCE:
        return FrameIterator(_image_frames(sequence_files(path)))
    single = _single_path(path, kind)
    if kind is DataType.DICOM:
        return FrameIterator(_dicom_frames(single, read_dicom_header(single)))
    container, stream = open_video(single, thread_type=streaming_thread_type())
    return FrameIterator(_video_frames(container, stream, single), on_close=container.close)


def sequence_files(path: Path | Sequence[Path]) -> list[Path]:
    """The images of a sequence: a folder's files sorted by name, or the given list."""
    if isinstance(path, str | os.PathLike):
        path = Path(path)
        files = image_sequence_files(path) if path.is_dir() else [path]
    else:
        files = [Path(p) for p in path]
    if not files:
        raise MediaError(f"{path}: the image sequence is empty")
    return files


def _single_path(path: Path | Sequence[Path], kind: DataType) -> Path:
    if isinstance(path, str | os.PathLike):
        return Path(path)
    raise ValueError(f"a {kind.value} asset is one file, not a list of {len(path)} paths")


def _first_video_frame(path: Path) -> NDArray[np.uint8]:
    container, stream = open_video(path)
    try:
        for frame in container.decode(stream):
            return rgb24(frame, VideoReformatter())
    except av.FFmpegError as exc:
        raise MediaError(f"{path}: cannot decode the first frame: {describe(exc)}") from exc
    finally:
        container.close()
    raise MediaError(f"{path}: the video has no decodable frame")


def _video_frames(
    container: InputContainer, stream: VideoStream, path: Path
) -> Generator[Frame, None, None]:
    """Demux and decode by hand so that packets marked discard can be counted."""
    codec, rgb, packets = stream.codec_context, VideoReformatter(), container.demux(stream)
    index = discarded = 0
    try:
        while True:
            try:
                packet = next(packets, None)
            except av.FFmpegError as exc:
                raise _damaged(path, index, exc) from exc
            if packet is not None and not packet.size:
                continue  # the demuxer's final empty packet: drained below
            discarded += packet is not None and packet.is_discard
            for frame in _decode(codec, packet, path, index):
                yield Frame(index, rgb24(frame, rgb))
                index += 1
            if packet is None:
                break
    finally:
        container.close()
    _check_complete(path, index, stream.frames - discarded)


def _decode(
    codec: VideoCodecContext, packet: Packet[VideoStream] | None, path: Path, index: int
) -> list[VideoFrame]:
    try:
        return codec.decode(packet)
    except av.FFmpegError as exc:
        raise _damaged(path, index, exc) from exc


def _damaged(path: Path, index: int, exc: av.FFmpegError) -> MediaError:
    return MediaError(
        f"{path}: corrupt or truncated video: cannot decode frame {index}: {describe(exc)}"
    )


def _check_complete(path: Path, decoded: int, expected: int) -> None:
    if decoded == 0:
        raise MediaError(f"{path}: the video has no decodable frame")
    if decoded < expected:
        raise MediaError(
            f"{path}: truncated video: frame {decoded} of {expected} is missing "
            f"(frames 0-{decoded - 1} decoded)"
        )


def _image_frames(files: list[Path]) -> Generator[Frame, None, None]:
    for index, file in enumerate(files):
        yield Frame(index, read_rgb(file))


def _dicom_frames(path: Path, header: Dataset) -> Generator[Frame, None, None]:
    for index, picture in enumerate(iter_dicom_rgb(path, header)):
        yield Frame(index, picture)
