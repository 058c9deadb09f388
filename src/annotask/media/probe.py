"""Probing: what an asset is and its size, rate and length, from headers only."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import av
from av.container import InputContainer

from annotask.datatypes import DataType
from annotask.errors import MediaError
from annotask.media._complete import TAIL_SIZE, check_image_complete
from annotask.media._dicom import dicom_tags, read_dicom_header
from annotask.media._image import image_mime, image_size, open_image
from annotask.media._sniff import Sniffed, read_ends, sniff
from annotask.media._video import (
    container_mime,
    describe,
    find_video_stream,
    frame_count,
    open_container,
    open_video,
    video_stream,
)

__all__ = ["MediaInfo", "image_sequence_files", "probe"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MediaInfo:
    """What :func:`probe` found; fields that mean nothing for the type are None."""

    data_type: DataType
    mime_type: str
    file_size: int
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    frame_count: int | None = None
    duration: float | None = None
    dicom: dict[str, Any] = field(default_factory=dict)

    def to_properties(self) -> dict[str, Any]:
        """A JSON-able dict of every field (``data_type`` as its string value)."""
        properties = asdict(self)
        properties["data_type"] = self.data_type.value
        return properties


def probe(source: Path | Sequence[Path]) -> MediaInfo:
    """Tell what ``source`` is by its content, not its name.

    A folder or a list of paths is an image sequence (a folder's images sorted by name).
    Raises :class:`MediaError` naming the file and the reason when it cannot be read.
    """
    if isinstance(source, str | os.PathLike):
        source = Path(source)
    if not isinstance(source, Path):
        return _probe_sequence([Path(p) for p in source], str(list(source)))
    if source.is_dir():
        return _probe_sequence(image_sequence_files(source), str(source))
    return _probe_file(source)


def image_sequence_files(folder: Path) -> list[Path]:
    """The files of an image-sequence folder sorted by name (hidden files skipped)."""
    try:
        return sorted(
            (p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")),
            key=lambda p: p.name,
        )
    except OSError as exc:
        raise MediaError(f"{folder}: cannot list the folder: {exc}") from exc


def _probe_file(path: Path) -> MediaInfo:
    size = _regular_file_size(path)
    head, tail = read_ends(path, size, TAIL_SIZE)
    kind = sniff(head)
    if kind is Sniffed.DICOM:
        return _probe_dicom(path, size)
    if kind is Sniffed.PDF:
        return MediaInfo(DataType.PDF, "application/pdf", size)
    if kind is Sniffed.TEXT:
        return MediaInfo(DataType.TEXT, "text/plain", size)
    image = _probe_image(path, size, head, tail)
    return image if image is not None else _probe_container(path, head, size)


def _regular_file_size(path: Path) -> int:
    """The size of ``path``; MediaError unless it is a regular file (a FIFO or a device
    could block reading it, or never end)."""
    try:
        status = path.stat()
    except OSError as exc:
        raise MediaError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(status.st_mode):
        raise MediaError(f"{path}: not a regular file (a pipe, socket or device?)")
    return status.st_size


def _probe_image(path: Path, size: int, head: bytes, tail: bytes) -> MediaInfo | None:
    with open_image(path) as image:
        if image is None:
            return None
        width, height = image_size(image)
        check_image_complete(path, image.format or "", size, head, tail)
        return MediaInfo(DataType.IMAGE, image_mime(image), size, width, height, frame_count=1)


def _probe_dicom(path: Path, size: int) -> MediaInfo:
    tags = dicom_tags(read_dicom_header(path))
    return MediaInfo(
        DataType.DICOM,
        "application/dicom",
        size,
        width=tags["columns"],
        height=tags["rows"],
        frame_count=tags["number_of_frames"],
        dicom=tags,
    )


def _probe_container(path: Path, head: bytes, size: int) -> MediaInfo:
    container = open_container(path)
    try:
        return _container_info(container, path, head, size)
    except av.FFmpegError as exc:
        raise MediaError(f"{path}: corrupt media: {describe(exc)}") from exc
    finally:
        container.close()


def _container_info(container: InputContainer, path: Path, head: bytes, size: int) -> MediaInfo:
    if _is_image_demuxer(container.format.name.split(",")[0]):
        # FFmpeg chose its image demuxer by the file's name: no image decoder recognised it
        raise MediaError(f"{path}: not an image or media file annotask can read")
    if find_video_stream(container) is not None:
        stream = video_stream(container, path)
        fps = float(stream.average_rate) if stream.average_rate else None
        width, height = stream.codec_context.width or None, stream.codec_context.height or None
        duration = _duration(container, stream)
        frames = frame_count(container, stream)
        if frames <= 0:
            raise MediaError(f"{path}: a video with no frames")
        _check_first_frame(path)
        return MediaInfo(
            DataType.VIDEO,
            container_mime(container, head, has_video=True),
            size,
            width,
            height,
            fps,
            frames,
            duration,
        )
    if container.streams.audio:
        stream_a = container.streams.audio[0]
        return MediaInfo(
            DataType.AUDIO,
            container_mime(container, head, has_video=False),
            size,
            duration=_duration(container, stream_a),
        )
    raise MediaError(f"{path}: not media: no audio or video stream")


_IMAGE_DEMUXERS = frozenset({"image2", "image2pipe"})
_FIRST_FRAME_PACKETS = 300
"""Packets demuxed at most while looking for a video's first decodable frame."""


def _is_image_demuxer(name: str) -> bool:
    return name in _IMAGE_DEMUXERS or name.endswith("_pipe")


def _check_first_frame(path: Path) -> None:
    """MediaError unless the video's first frame decodes (a cut or corrupt video often has
    headers but no decodable picture)."""
    container, stream = open_video(path)
    try:
        for count, packet in enumerate(container.demux(stream)):
            if any(True for _ in packet.decode()):
                return
            if count >= _FIRST_FRAME_PACKETS:
                break
    except av.FFmpegError as exc:
        raise MediaError(f"{path}: corrupt video: {describe(exc)}") from exc
    finally:
        container.close()
    raise MediaError(f"{path}: corrupt video: no frame could be decoded")


def _duration(container: InputContainer, stream: av.stream.Stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _probe_sequence(paths: list[Path], label: str) -> MediaInfo:
    if not paths:
        raise MediaError(f"{label}: an image sequence needs at least one image")
    width = height = None
    mime = ""
    total = 0
    for path in paths:
        info = _probe_file(path)
        if info.data_type is not DataType.IMAGE:
            raise MediaError(f"{path}: not an image ({info.mime_type}) in image sequence {label}")
        if width is None:
            width, height, mime = info.width, info.height, info.mime_type
        total += info.file_size
    return MediaInfo(DataType.IMAGE_SEQUENCE, mime, total, width, height, frame_count=len(paths))
