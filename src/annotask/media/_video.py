"""Opening audio/video containers with PyAV, and converting PyAV's errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, cast

import av
import numpy as np
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream
from numpy.typing import NDArray

from annotask.errors import MediaError

__all__ = [
    "FRAME_THREADS_MIN_CORES",
    "ThreadTypeName",
    "container_mime",
    "describe",
    "find_video_stream",
    "frame_count",
    "open_container",
    "open_video",
    "rgb24",
    "streaming_thread_type",
    "video_stream",
]

FRAME_THREADS_MIN_CORES = 4
"""Frame threading pays off from this many cores; below it, its hand-offs cost more."""


def streaming_thread_type() -> ThreadTypeName:
    """The decoder threading for decoding every frame: frame+slice threads on machines
    with enough cores, else slice threads only (PyAV's default)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return "AUTO" if cores >= FRAME_THREADS_MIN_CORES else "SLICE"


ThreadTypeName = Literal["SLICE", "FRAME", "AUTO"]

_MOV_VIDEO_BRANDS = {b"qt  ": "video/quicktime"}
_VIDEO_MIME = {
    "mov": "video/mp4",
    "matroska": "video/x-matroska",
    "avi": "video/x-msvideo",
    "mpegts": "video/mp2t",
    "mpeg": "video/mpeg",
    "flv": "video/x-flv",
    "ogg": "video/ogg",
    "asf": "video/x-ms-asf",
    "h264": "video/h264",
    "hevc": "video/h265",
}
_AUDIO_MIME = {
    "mov": "audio/mp4",
    "matroska": "audio/x-matroska",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "aac": "audio/aac",
    "ogg": "audio/ogg",
    "asf": "audio/x-ms-wma",
}


def open_container(path: Path) -> InputContainer:
    """Open ``path`` for demuxing; MediaError when it is not a media file FFmpeg reads."""
    try:
        return av.open(str(path), "r", metadata_errors="replace")
    except av.FFmpegError as exc:
        raise MediaError(f"{path}: not a readable media file: {describe(exc)}") from exc


def find_video_stream(container: InputContainer) -> VideoStream | None:
    """The first real video stream (cover art is not video), or None."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


def video_stream(container: InputContainer, path: Path) -> VideoStream:
    """The first real video stream; MediaError when there is none or it cannot be decoded."""
    stream = find_video_stream(container)
    if stream is not None:
        if stream.codec_context is None or stream.codec_context.codec is None:
            raise MediaError(f"{path}: unsupported video codec")
        return stream
    kinds: list[str] = sorted({s.type for s in container.streams}) or ["none"]
    raise MediaError(f"{path}: has no video stream (streams: {', '.join(kinds)})")


def open_video(
    path: Path, *, thread_type: ThreadTypeName = "SLICE"
) -> tuple[InputContainer, VideoStream]:
    """Open ``path`` and its video stream, with the decoder's threading set up."""
    container = open_container(path)
    try:
        stream = video_stream(container, path)
        stream.thread_type = thread_type
    except BaseException:
        container.close()
        raise
    return container, stream


def frame_count(container: InputContainer, stream: VideoStream) -> int:
    """Frames in ``stream``: the container's count, else its packets counted (no decoding)."""
    if stream.frames > 0:
        return stream.frames
    return sum(1 for packet in container.demux(stream) if packet.size and not packet.is_discard)


def container_mime(container: InputContainer, head: bytes, has_video: bool) -> str:
    """The MIME type of an opened container, from FFmpeg's format name and the brand."""
    name = container.format.name.split(",")[0]
    if name == "mov" and has_video:
        return _MOV_VIDEO_BRANDS.get(head[8:12], "video/mp4")
    if name == "matroska" and b"webm" in head[:64]:
        return "video/webm" if has_video else "audio/webm"
    table = _VIDEO_MIME if has_video else _AUDIO_MIME
    prefix = "video" if has_video else "audio"
    return table.get(name, f"{prefix}/x-{name}")


def rgb24(frame: VideoFrame, reformatter: VideoReformatter) -> NDArray[np.uint8]:
    """A decoded frame as RGB ``uint8`` ``[h, w, 3]`` (``reformatter`` caches the scaler)."""
    return cast(NDArray[np.uint8], reformatter.reformat(frame, format="rgb24").to_ndarray())


def describe(exc: BaseException) -> str:
    """A short reason from a PyAV error, without errno noise."""
    if isinstance(exc, av.FFmpegError) and exc.strerror:
        return str(exc.strerror)
    return str(exc)
