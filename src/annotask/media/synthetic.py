"""Synthetic test media: videos, audio, images and DICOM files made on the spot.

Every picture carries its frame number as a row of black and white blocks along the top
edge (16 bits, most significant first), so a test can tell which frame it got with
:func:`read_frame_number`. Videos also show a moving square over a panning, noisy texture,
so that their P- and B-frames cost about what camera footage costs. Nothing here downloads anything.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.audio.stream import AudioStream
from av.container import OutputContainer
from av.video.stream import VideoStream
from numpy.typing import NDArray
from PIL import Image

from annotask.media._dicom_writer import write_dicom as _write_dicom

__all__ = [
    "NUMBER_BITS",
    "frame_pattern",
    "read_frame_number",
    "write_test_audio",
    "write_test_dicom",
    "write_test_image",
    "write_test_image_sequence",
    "write_test_video",
]

NUMBER_BITS = 16
"""How many bits of the frame number a pattern carries."""

_MIN_WIDTH = 32
_GRAIN = 8  # spatial texture amplitude
_NOISE = 12  # per-frame noise: at CRF 23 I-frames come out ~5x the size of P/B-frames
_AUDIO_CODECS = {".wav": "pcm_s16le", ".m4a": "aac", ".mp4": "aac", ".mp3": "libmp3lame"}


def _band_height(width: int, height: int) -> int:
    return max(4, min(height // 6, width // NUMBER_BITS))


class _Pattern:
    """Draws numbered frames of one size: a panning texture with sensor-like noise.

    The noise changes every frame (cycling through a seeded bank of seven), so that P- and
    B-frames cost bits as in camera footage rather than being nearly free.
    """

    def __init__(self, width: int, height: int) -> None:
        if width < _MIN_WIDTH:
            raise ValueError(f"width must be at least {_MIN_WIDTH} to carry the frame number")
        self.width, self.height = width, height
        rng = np.random.default_rng(7)
        ys = np.linspace(0, 160, height, dtype=np.float32)[:, None, None]
        xs = np.linspace(0, 160, 2 * width, dtype=np.float32)[None, :, None]
        base = np.concatenate([xs + 0 * ys, ys + 0 * xs, (xs + ys) / 2], axis=2)
        grain = rng.integers(0, _GRAIN + 1, size=(height, 2 * width, 1))
        self.texture = (base + grain + 2 * _NOISE).astype(np.uint8)  # stays in 16..192
        noise = rng.integers(-_NOISE, _NOISE + 1, size=(7, height, width, 3), dtype=np.int8)
        self.noise = noise.view(np.uint8)  # two's complement: uint8 addition wraps correctly

    def __call__(self, index: int) -> NDArray[np.uint8]:
        shift = (index * 2) % self.width
        picture: NDArray[np.uint8] = (
            self.texture[:, shift : shift + self.width] + self.noise[index % 7]
        )
        _draw_square(picture, index)
        _draw_number(picture, index)
        return picture


def _draw_number(picture: NDArray[np.uint8], index: int) -> None:
    height, width = picture.shape[:2]
    block_w = width // NUMBER_BITS
    band = _band_height(width, height)
    for bit in range(NUMBER_BITS):
        on = (index >> (NUMBER_BITS - 1 - bit)) & 1
        picture[:band, bit * block_w : (bit + 1) * block_w] = 255 if on else 0


def _draw_square(picture: NDArray[np.uint8], index: int) -> None:
    height, width = picture.shape[:2]
    side = max(4, min(width, height) // 4)
    top = _band_height(width, height) + 2
    span_x = max(1, width - side)
    span_y = max(1, height - top - side)
    x = (index * 3) % span_x
    y = top + (index * 2) % span_y
    picture[y : y + side, x : x + side] = (250, 200, 20)


def frame_pattern(index: int, width: int, height: int) -> NDArray[np.uint8]:
    """The RGB picture drawn for frame ``index``: texture, noise, moving square, number band."""
    return _Pattern(width, height)(index)


def read_frame_number(picture: NDArray[np.uint8]) -> int:
    """Read back the frame number drawn by :func:`frame_pattern` (survives lossy coding)."""
    height, width = picture.shape[:2]
    block_w = width // NUMBER_BITS
    band = _band_height(width, height)
    value = 0
    for bit in range(NUMBER_BITS):
        x0 = bit * block_w
        inner = picture[1 : band - 1, x0 + 1 : x0 + block_w - 1]
        value = (value << 1) | int(inner.mean() > 127)
    return value


def write_test_video(
    path: Path,
    *,
    frames: int = 30,
    width: int = 64,
    height: int = 48,
    fps: int = 30,
    gop: int = 30,
    bframes: int = 2,
    codec: str = "libx264",
    preset: str = "ultrafast",
    crf: int = 18,
    faststart: bool = False,
    audio: bool = False,
) -> Path:
    """Encode a video of numbered frames with PyAV: fixed GOP, ``bframes`` B-frames.

    The container follows the suffix (``.mp4``, ``.mkv``, ``.mov``, ``.ts`` …). ``faststart``
    puts an MP4's index first, so a truncated copy still opens; ``audio`` adds a silent
    AAC track.
    """
    options = {"movflags": "faststart"} if faststart else {}
    pattern = _Pattern(width, height)
    with av.open(str(path), "w", options=options) as container:
        stream = container.add_stream(
            codec, rate=fps, options=_encoder_options(codec, gop, bframes, preset, crf)
        )
        if not isinstance(stream, VideoStream):
            raise ValueError(f"{codec} is not a video encoder")
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        sound = container.add_stream("aac", rate=8000) if audio else None
        for index in range(frames):
            picture = pattern(index)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if sound is not None:
            _write_silence(container, sound, frames / fps)
    return path


def _encoder_options(codec: str, gop: int, bframes: int, preset: str, crf: int) -> dict[str, str]:
    options = {"g": str(gop), "bf": str(bframes), "keyint_min": str(gop), "sc_threshold": "0"}
    if codec in ("libx264", "libx265"):
        options |= {"preset": preset, "crf": str(crf)}
    return options


def _write_silence(container: OutputContainer, stream: AudioStream, seconds: float) -> None:
    rate = stream.codec_context.sample_rate
    chunk = 1024
    total = max(chunk, int(seconds * rate))
    for start in range(0, total, chunk):
        samples = np.zeros((1, chunk), dtype=np.int16) + (start % 7)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def write_test_audio(path: Path, *, seconds: float = 1.0, sample_rate: int = 8000) -> Path:
    """Write an audio-only file (a tone); the codec follows the suffix (.wav, .m4a, .mp4, .mp3)."""
    codec = _AUDIO_CODECS.get(path.suffix.lower(), "aac")
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=sample_rate)
        if not isinstance(stream, AudioStream):
            raise ValueError(f"{codec} is not an audio encoder")
        stream.layout = "mono"
        chunk = 1024
        total = int(seconds * sample_rate)
        for start in range(0, total, chunk):
            t = np.arange(start, start + chunk, dtype=np.float32) / sample_rate
            tone = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)[None, :]
            frame = av.AudioFrame.from_ndarray(tone, format="s16", layout="mono")
            frame.sample_rate = sample_rate
            frame.pts = start
            frame.time_base = Fraction(1, sample_rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def write_test_image(
    path: Path,
    *,
    width: int = 64,
    height: int = 48,
    index: int = 0,
    mode: str = "RGB",
    exif_orientation: int | None = None,
    image_format: str | None = None,
) -> Path:
    """Write frame ``index``'s pattern as an image in ``mode`` (RGB, L, RGBA, P, CMYK, I;16 …).

    ``exif_orientation`` stores an EXIF Orientation tag (1 to 8) without turning the pixels, as
    cameras do; ``image_format`` overrides the format the suffix implies (to make a file
    whose extension lies).
    """
    image = _image_in_mode(frame_pattern(index, width, height), mode)
    exif = Image.Exif()
    if exif_orientation is not None:
        exif[0x0112] = exif_orientation
    kwargs = {"exif": exif.tobytes()} if exif_orientation is not None else {}
    image.save(path, format=image_format, **kwargs)
    return path


def _image_in_mode(picture: NDArray[np.uint8], mode: str) -> Image.Image:
    rgb = Image.fromarray(picture)
    if mode == "I;16":
        gray = np.asarray(rgb.convert("L"), dtype=np.uint16) * 257
        return Image.fromarray(gray)
    if mode == "RGBA":
        rgba = rgb.convert("RGBA")
        rgba.putalpha(128)
        return rgba
    if mode == "P":
        return rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    return rgb.convert(mode)


def write_test_image_sequence(
    folder: Path, *, frames: int = 5, width: int = 64, height: int = 48, suffix: str = ".png"
) -> list[Path]:
    """Write ``frames`` numbered images named ``frame_00000{suffix}`` … into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_test_image(folder / f"frame_{i:05d}{suffix}", width=width, height=height, index=i)
        for i in range(frames)
    ]


def write_test_dicom(
    path: Path,
    *,
    width: int = 64,
    height: int = 48,
    frames: int = 1,
    window: tuple[float, float] | None = (1024.0, 2048.0),
    modality: str = "CT",
    photometric: str = "MONOCHROME2",
    rescale: tuple[float, float] = (1.0, 0.0),
) -> Path:
    """Write an uncompressed 16-bit DICOM file whose frames carry the numbered pattern.

    Stored values span 0 to 4095; ``window`` is (center, width) or None to omit the tags;
    ``rescale`` is (slope, intercept).
    """
    pixels = np.stack([_dicom_pixels(i, width, height) for i in range(frames)])
    _write_dicom(
        path,
        pixels,
        window=window,
        modality=modality,
        photometric=photometric,
        rescale=rescale,
    )
    return path


def _dicom_pixels(index: int, width: int, height: int) -> NDArray[np.uint16]:
    gray = np.asarray(Image.fromarray(frame_pattern(index, width, height)).convert("L"))
    return (gray.astype(np.uint16) * 16).astype(np.uint16)
