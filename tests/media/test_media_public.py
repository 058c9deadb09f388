"""The public surface of annotask.media is exactly its __all__."""

from __future__ import annotations

import annotask.media
import annotask.media.synthetic


def test_public_names_are_pinned() -> None:
    assert sorted(annotask.media.__all__) == [
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


def test_every_exported_name_exists_and_nothing_else_is_public() -> None:
    for module in (annotask.media, annotask.media.synthetic):
        public = {
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and getattr(value, "__module__", "").startswith("annotask.media")
        }
        assert public <= set(module.__all__) | {"annotations"}
        assert all(hasattr(module, name) for name in module.__all__)
