"""The demo's media: sample photographs, rendered scenes with known shapes, a short video.

Everything is made on the spot and offline: the photographs ship inside scikit-image
(``skimage.data``, no download), the scenes and the video are drawn here with Pillow and
encoded with PyAV. Rendered media come with their ground truth (a labelled box per shape per
frame) so that a detector's output can be checked against it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import av
import numpy as np
from av.video.stream import VideoStream
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter

from annotask.demo.manifest import DemoManifest, DemoMedia, TruthBox
from annotask.errors import MediaError

__all__ = [
    "PHOTOS",
    "SCENES",
    "Shape",
    "background",
    "media_file_names",
    "render_scene",
    "video_shapes",
    "write_demo_media",
]

log = logging.getLogger(__name__)

RGB = tuple[int, int, int]

SCENE_SIZE = (480, 360)
VIDEO_SIZE = (320, 240)
VIDEO_FRAMES = 60
VIDEO_FPS = 30
VIDEO_NAME = "shapes_video.mp4"
_SHADOW_OFFSET = (5, 6)  # pixels right and down
_SHADOW_RGB = (70, 72, 78)


@dataclass(frozen=True, slots=True)
class Shape:
    """A filled shape to draw: centred at ``(cx, cy)`` pixels, ``radius`` pixels in size.

    A circle has that radius; a triangle is equilateral with its corners on that circle; a
    rectangle is ``2 * radius`` wide and ``2 * radius * aspect`` high. ``angle`` (degrees)
    turns rectangles and triangles about the centre.
    """

    label: Literal["circle", "rectangle", "triangle"]
    colour: RGB
    cx: float
    cy: float
    radius: float
    aspect: float = 1.0
    angle: float = 0.0

    def polygon(self) -> list[tuple[float, float]]:
        """The outline's corners in pixels (a 64-gon for a circle)."""
        if self.label == "circle":
            steps = [2 * math.pi * i / 64 for i in range(64)]
            return [
                (self.cx + self.radius * math.cos(a), self.cy + self.radius * math.sin(a))
                for a in steps
            ]
        if self.label == "triangle":
            corners = [(math.sin(a), -math.cos(a)) for a in (0, 2 * math.pi / 3, 4 * math.pi / 3)]
            return self._placed([(self.radius * x, self.radius * y) for x, y in corners])
        half_w, half_h = self.radius, self.radius * self.aspect
        return self._placed(
            [(-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h)]
        )

    def _placed(self, points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
        turn = math.radians(self.angle)
        cos, sin = math.cos(turn), math.sin(turn)
        return [(self.cx + x * cos - y * sin, self.cy + x * sin + y * cos) for x, y in points]

    def truth(self, width: int, height: int) -> TruthBox:
        """The shape's box as fractions of a ``width`` x ``height`` picture."""
        xs, ys = zip(*self.polygon(), strict=True)
        x0, y0 = max(0.0, min(xs)), max(0.0, min(ys))
        x1, y1 = min(float(width), max(xs) + 1), min(float(height), max(ys) + 1)
        return TruthBox(
            self.label, (x0 / width, y0 / height, (x1 - x0) / width, (y1 - y0) / height)
        )

    def moved(self, dx: float, dy: float) -> Shape:
        """The same shape shifted by ``(dx, dy)`` pixels."""
        return Shape(
            self.label,
            self.colour,
            self.cx + dx,
            self.cy + dy,
            self.radius,
            self.aspect,
            self.angle,
        )


RED, BLUE, GREEN = (215, 40, 45), (35, 85, 215), (40, 165, 70)
YELLOW, MAGENTA, ORANGE = (235, 195, 25), (190, 45, 175), (240, 125, 20)

SCENES: dict[str, tuple[tuple[RGB, RGB], tuple[Shape, ...]]] = {
    "scene_01_basic.png": (
        ((205, 210, 218), (128, 132, 126)),
        (
            Shape("circle", RED, 110, 120, 58),
            Shape("rectangle", BLUE, 300, 110, 70, aspect=0.6),
            Shape("triangle", GREEN, 240, 265, 70),
        ),
    ),
    "scene_02_turned.png": (
        ((190, 182, 170), (112, 118, 124)),
        (
            Shape("rectangle", YELLOW, 120, 250, 62, aspect=0.55, angle=20),
            Shape("circle", MAGENTA, 370, 95, 45),
            Shape("triangle", ORANGE, 360, 255, 60, angle=180),
            Shape("circle", BLUE, 150, 85, 30),
        ),
    ),
    "scene_03_crowded.png": (
        ((168, 178, 172), (210, 206, 196)),
        (
            Shape("triangle", RED, 80, 95, 50, angle=15),
            Shape("triangle", BLUE, 210, 250, 55, angle=-20),
            Shape("rectangle", GREEN, 390, 180, 35, aspect=2.4),
            Shape("circle", YELLOW, 260, 90, 38),
            Shape("rectangle", MAGENTA, 80, 270, 45, aspect=0.8, angle=-35),
        ),
    ),
    "scene_04_empty.png": (((196, 200, 204), (150, 146, 140)), ()),
}
"""Rendered scenes: file name → (background top and bottom colours, shapes)."""

PHOTOS: dict[str, str] = {
    "astronaut.jpg": "astronaut",
    "coffee.jpg": "coffee",
    "chelsea.png": "chelsea",
    "rocket.jpg": "rocket",
}
"""Photographs: file name → the ``skimage.data`` function that loads it (bundled, offline)."""


def background(width: int, height: int, top: RGB, bottom: RGB, seed: int) -> NDArray[np.uint8]:
    """A low-saturation backdrop: a vertical gradient with soft blotches, stripes and grain."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    gradient = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
    coarse = rng.normal(0.0, 1.0, (height // 48 + 2, width // 48 + 2)).astype(np.float32)
    blotches = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC))
    ys, xs = np.mgrid[0:height, 0:width]
    stripes = 3.0 * np.sin(2 * np.pi * (xs + 0.5 * ys) / 23.0)
    grain = rng.integers(-5, 6, (height, width))
    shade = (9.0 * blotches + stripes + grain)[:, :, None]
    picture: NDArray[np.uint8] = np.clip(gradient + shade, 0, 255).astype(np.uint8)
    return picture


def render_scene(backdrop: NDArray[np.uint8], shapes: Sequence[Shape]) -> NDArray[np.uint8]:
    """Draw shapes (each with a soft shadow) over a copy of ``backdrop``."""
    image = Image.fromarray(backdrop)
    if not shapes:
        return np.asarray(image)
    shadow = Image.new("L", image.size, 0)
    shadow_draw = ImageDraw.Draw(shadow)
    for shape in shapes:
        _draw(shadow_draw, shape.moved(*_SHADOW_OFFSET), 150)
    shadow = shadow.filter(ImageFilter.GaussianBlur(3))
    image.paste(Image.new("RGB", image.size, _SHADOW_RGB), mask=shadow)
    draw = ImageDraw.Draw(image)
    for shape in shapes:
        _draw(draw, shape, shape.colour)
    return np.asarray(image)


def _draw(draw: ImageDraw.ImageDraw, shape: Shape, fill: RGB | int) -> None:
    if shape.label == "circle":
        r = shape.radius
        draw.ellipse((shape.cx - r, shape.cy - r, shape.cx + r, shape.cy + r), fill=fill)
    else:
        draw.polygon(shape.polygon(), fill=fill)


def video_shapes(frame: int) -> tuple[Shape, ...]:
    """The shapes in the demo video's frame ``frame`` (all inside the picture, none touching).

    A red circle crosses left to right, a blue rectangle right to left, and a green triangle
    enters a third of the way in and drifts right.
    """
    t = frame / (VIDEO_FRAMES - 1)
    shapes = [
        Shape("circle", RED, 35 + 250 * t, 50, 24),
        Shape("rectangle", BLUE, 280 - 230 * t, 122, 30, aspect=0.6),
    ]
    if frame >= VIDEO_FRAMES // 3:
        shapes.append(Shape("triangle", GREEN, 60 + 150 * t, 192, 30, angle=10 + 60 * t))
    return tuple(shapes)


def media_file_names() -> list[str]:
    """The names of the files :func:`write_demo_media` writes, in the order it writes them."""
    return [*PHOTOS, *SCENES, VIDEO_NAME]


def write_demo_media(folder: Path) -> DemoManifest:
    """Write the photos, the rendered scenes and the video into ``folder``; say what was written.

    Raises :class:`~annotask.errors.MediaError` when scikit-image (the ``demo`` extra) is
    missing or cannot load a sample offline.
    """
    folder.mkdir(parents=True, exist_ok=True)
    items = [*_write_photos(folder), *_write_scenes(folder), _write_video(folder)]
    log.info("wrote %d demo media files to %s", len(items), folder)
    return DemoManifest(folder, tuple(items))


def _write_photos(folder: Path) -> list[DemoMedia]:
    items = []
    for name, loader in PHOTOS.items():
        picture = _load_photo(loader)
        path = folder / name
        Image.fromarray(picture).save(path, quality=90)
        height, width = picture.shape[:2]
        items.append(DemoMedia(path, "photo", f"skimage.data.{loader}", width, height))
    return items


def _load_photo(name: str) -> NDArray[np.uint8]:
    try:
        from skimage import data  # noqa: PLC0415 - optional: the demo extra

        load: Callable[[], NDArray[np.uint8]] = getattr(data, name)
        picture = load()
    except ImportError as exc:
        raise MediaError(
            f"the demo's photographs come from scikit-image, which cannot load {name!r} here "
            "(pip install 'annotask[demo]')"
        ) from exc
    if picture.ndim != 3 or picture.shape[2] != 3:
        raise MediaError(f"skimage.data.{name} is not an RGB picture: shape {picture.shape}")
    return picture


def _write_scenes(folder: Path) -> list[DemoMedia]:
    width, height = SCENE_SIZE
    items = []
    for seed, (name, ((top, bottom), shapes)) in enumerate(SCENES.items()):
        picture = render_scene(background(width, height, top, bottom, seed), shapes)
        path = folder / name
        Image.fromarray(picture).save(path, compress_level=1)
        truth = {0: tuple(shape.truth(width, height) for shape in shapes)}
        items.append(DemoMedia(path, "scene", "rendered", width, height, 1, truth))
    return items


def _write_video(folder: Path) -> DemoMedia:
    width, height = VIDEO_SIZE
    path = folder / VIDEO_NAME
    backdrop = background(width, height, (200, 204, 196), (120, 126, 136), seed=99)
    truth: dict[int, tuple[TruthBox, ...]] = {}
    with av.open(str(path), "w") as container:
        stream = container.add_stream(
            "libx264", rate=VIDEO_FPS, options={"preset": "ultrafast", "crf": "20"}
        )
        if not isinstance(stream, VideoStream):
            raise MediaError("PyAV has no H.264 video encoder here")
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(VIDEO_FRAMES):
            shapes = video_shapes(index)
            frame = av.VideoFrame.from_ndarray(render_scene(backdrop, shapes), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
            truth[index] = tuple(shape.truth(width, height) for shape in shapes)
        container.mux(stream.encode(None))
    return DemoMedia(path, "video", "rendered", width, height, VIDEO_FRAMES, truth)
