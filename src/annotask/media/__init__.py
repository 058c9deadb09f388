"""Pixels for agents: fetching assets, probing them, and decoding frames.

``local_asset`` resolves a URI to a local file; ``probe`` says what a file is;
``first_frame``, ``iter_frames`` and ``VideoSampler``/``sample_frames`` decode RGB frames.
Writers of synthetic test media live in :mod:`annotask.media.synthetic`.
"""

from __future__ import annotations

from annotask.media.decode import first_frame, iter_frames
from annotask.media.fetch import local_asset, private_copy
from annotask.media.frames import Frame, FrameIterator
from annotask.media.probe import MediaInfo, probe
from annotask.media.sampler import VideoSampler, sample_frames
from annotask.media.synthetic import (
    write_test_audio,
    write_test_dicom,
    write_test_image,
    write_test_image_sequence,
    write_test_video,
)

__all__ = [
    "Frame",
    "FrameIterator",
    "MediaInfo",
    "VideoSampler",
    "first_frame",
    "iter_frames",
    "local_asset",
    "private_copy",
    "probe",
    "sample_frames",
    "write_test_audio",
    "write_test_dicom",
    "write_test_image",
    "write_test_image_sequence",
    "write_test_video",
]
