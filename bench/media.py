"""Benchmark annotask.media's frame iterator and sampler against plain PyAV and ffmpeg.

Makes its own media (a 1280x720 H.264 video of 600 frames, GOP 30, two B-frames, x264
veryfast CRF 23, with sensor-like noise so I-frames are ~5x other frames; and a long 720p
video for memory), caches it under ``--media-dir``, then prints one figure per line as
``name: value unit`` and ratios as ``name: 0.42x``:

* ``iterator_vs_*``: our frames/s over the baseline's frames/s (higher is better).
* ``sampler_*_vs_decode_all``: the sampler's time over the time to decode every frame to
  RGB, taking the faster of the plain PyAV loop and our iterator (lower is better).
* ``rss_growth_iterating``: peak RSS growth of a fresh process while it iterates the long
  video, measured from just after opening it.

Times are the best of several runs (the machine is shared and noisy), each run in a fresh
process; every run includes opening the file. ``--quick`` runs in under a minute with a
60-second long video.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import av
import numpy as np

from annotask.datatypes import DataType
from annotask.media import VideoSampler, first_frame, iter_frames, write_test_video
from annotask.media._video import ThreadTypeName, streaming_thread_type

WIDTH, HEIGHT, FPS = 1280, 720, 30
MAIN_FRAMES, GOP = 600, 30
MEDIA_VERSION = "v2"  # bump when synthetic media changes


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and print every figure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a run of under a minute")
    parser.add_argument("--media-dir", type=Path, default=_default_media_dir())
    parser.add_argument("--rss-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--time-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child:
        _rss_child(args.rss_child)
        return
    if args.time_child:
        _time_child(args.time_child[0], Path(args.time_child[1]))
        return
    repeats = 2 if args.quick else 5
    long_seconds = 60 if args.quick else 300
    args.media_dir.mkdir(parents=True, exist_ok=True)
    main_video = _video(args.media_dir, MAIN_FRAMES, "veryfast")
    long_video = _video(args.media_dir, long_seconds * FPS, "ultrafast")
    _describe(main_video)
    decode_all = _bench_iterator(main_video, repeats)
    _bench_sampler(main_video, repeats, decode_all)
    _bench_first_frame(main_video, repeats)
    _bench_rss(long_video, long_seconds, args.quick)


def _default_media_dir() -> Path:
    return Path(tempfile.gettempdir()) / "annotask-bench-media"


def _video(folder: Path, frames: int, preset: str) -> Path:
    """The cached benchmark video, encoding it first if needed."""
    path = folder / f"{MEDIA_VERSION}_{WIDTH}x{HEIGHT}_{frames}f_g{GOP}_{preset}.mp4"
    if not path.exists():
        partial = path.with_suffix(".partial.mp4")
        write_test_video(
            partial,
            frames=frames,
            width=WIDTH,
            height=HEIGHT,
            fps=FPS,
            gop=GOP,
            bframes=2,
            preset=preset,
            crf=23,
        )
        partial.rename(path)
    return path


def _figure(name: str, value: float | str, unit: str = "") -> None:
    text = value if isinstance(value, str) else _number(value)
    print(f"{name}: {text}{' ' + unit if unit else ''}", flush=True)


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def _ratio(name: str, value: float) -> None:
    print(f"{name}: {value:.2f}x", flush=True)


def _best(names: Sequence[str], path: Path, repeats: int) -> dict[str, float]:
    """The fastest of ``repeats`` runs of each contender, in seconds.

    Every run is a fresh process (the allocator's history alone moves a decode loop by
    20%), and contenders take turns so that a busy moment falls on all of them.
    """
    times: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(repeats):
        for name in names:
            done = subprocess.run(
                [sys.executable, __file__, "--time-child", name, str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            times[name].append(float(done.stdout))
    return {name: min(values) for name, values in times.items()}


def _time_child(name: str, path: Path) -> None:
    run = CONTENDERS[name]
    started = time.perf_counter()
    run(path)
    print(time.perf_counter() - started)


def _describe(path: Path) -> None:
    size_bits = path.stat().st_size * 8
    _figure("video", f"{WIDTH}x{HEIGHT} {MAIN_FRAMES} frames GOP {GOP} 2 B-frames")
    _figure("video_bitrate", size_bits / (MAIN_FRAMES / FPS) / 1e6, "Mbit/s")
    _figure("cores", str(len(os.sched_getaffinity(0))))
    _figure("load_average", os.getloadavg()[0])
    _figure("iterator_decoder_threads", streaming_thread_type())


def _plain_pyav(path: Path, thread_type: ThreadTypeName | None, hold: bool = True) -> int:
    """What a plain user writes: decode every frame and convert it to an RGB array.

    With ``hold`` the array stays in a variable until the next one replaces it, as in
    ``for frame in iter_frames(...)``; without it, it is dropped at once, which lets the
    allocator hand the same warm memory back every frame.
    """
    count = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if thread_type:
            stream.thread_type = thread_type
        array = None
        for frame in container.decode(stream):
            if hold:
                array = frame.to_ndarray(format="rgb24")
            else:
                frame.to_ndarray(format="rgb24")
            count += 1
    del array
    return count


def _ours(path: Path) -> int:
    count = 0
    for _frame in iter_frames(path, DataType.VIDEO):
        count += 1
    return count


def _bench_iterator(path: Path, repeats: int) -> float:
    """Iterator throughput and ratios; returns the fastest decode-all time."""
    names = [
        "plain_pyav_loop",
        "plain_pyav_loop_auto_threads",
        "plain_pyav_loop_dropping_arrays",
        "iterator",
    ]
    best = _best(names, path, repeats)
    for name, seconds in best.items():
        _figure(name, MAIN_FRAMES / seconds, "frames/s")
    ours = best["iterator"]
    for name in names[:-1]:
        _ratio(name.replace("plain_pyav_loop", "iterator_vs_plain_pyav"), best[name] / ours)
    _bench_ffmpeg(path, repeats, ours)
    decode_all = min(best.values())
    _figure("decode_all_rgb", decode_all * 1000, "ms")
    return decode_all


def _ffmpeg_binary() -> str | None:
    """The baseline ffmpeg: imageio-ffmpeg's (a dev dependency, the same build everywhere),
    else one on PATH."""
    try:
        import imageio_ffmpeg  # type: ignore[import-not-found]  # noqa: PLC0415 - optional
    except ImportError:
        return shutil.which("ffmpeg")
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _ffmpeg_version(binary: str) -> str:
    done = subprocess.run([binary, "-version"], capture_output=True, text=True, check=True)
    words = done.stdout.split()
    return words[2] if len(words) > 2 and words[:2] == ["ffmpeg", "version"] else "unknown"


def _ffmpeg_frames(path: Path) -> int:
    """Decode with ffmpeg to raw RGB on a pipe, reading every frame into an array."""
    binary = _ffmpeg_binary()
    if binary is None:
        raise RuntimeError("no ffmpeg binary")
    frame_bytes = WIDTH * HEIGHT * 3
    command = [binary, "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    count = 0
    with subprocess.Popen(command, stdout=subprocess.PIPE) as process:
        if process.stdout is None:
            raise RuntimeError("ffmpeg gave no pipe")
        while len(data := process.stdout.read(frame_bytes)) == frame_bytes:
            np.frombuffer(data, dtype=np.uint8).reshape(HEIGHT, WIDTH, 3)
            count += 1
    return count


def _bench_ffmpeg(path: Path, repeats: int, ours: float) -> None:
    binary = _ffmpeg_binary()
    if binary is None:
        _figure("ffmpeg_rawvideo", "skipped (no ffmpeg from imageio-ffmpeg or on PATH)")
        _figure("iterator_vs_ffmpeg", "skipped (no ffmpeg binary)")
        return
    _figure("ffmpeg_version", _ffmpeg_version(binary))
    seconds = _best(["ffmpeg_rawvideo"], path, repeats)["ffmpeg_rawvideo"]
    _figure("ffmpeg_rawvideo", MAIN_FRAMES / seconds, "frames/s")
    _ratio("iterator_vs_ffmpeg", seconds / ours)


def _sample(path: Path, spec: float | list[int]) -> int:
    with VideoSampler(path) as sampler:
        return sum(1 for _ in sampler(spec))


SPARSE = random.Random(0).sample(range(MAIN_FRAMES), 10)


def _bench_sampler(path: Path, repeats: int, decode_all: float) -> None:
    best = _best(["sampler_1_5", "sampler_1_30", "sampler_sparse10"], path, repeats)
    _figure("sampler_sparse10_indices", " ".join(map(str, SPARSE)))
    for name, seconds in best.items():
        _figure(name, seconds * 1000, "ms")
        _ratio(f"{name}_vs_decode_all", seconds / decode_all)


def _bench_first_frame(path: Path, repeats: int) -> None:
    first_frame(path, DataType.VIDEO)  # warm: the decoder's one-time set-up is not per file
    times = []
    for _ in range(max(repeats, 5)):
        started = time.perf_counter()
        first_frame(path, DataType.VIDEO)
        times.append(time.perf_counter() - started)
    _figure("first_frame", min(times) * 1000, "ms")


def _bench_rss(path: Path, seconds: int, quick: bool) -> None:
    note = " (quick: shorter than the 5-minute target)" if quick else ""
    _figure("rss_video", f"{seconds} s of {WIDTH}x{HEIGHT}{note}")
    done = subprocess.run(
        [sys.executable, __file__, "--rss-child", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    growth_kb, frames, elapsed = done.stdout.split()
    _figure("rss_growth_iterating", int(growth_kb) / 1024, "MB")
    _figure("rss_iterator_speed", int(frames) / float(elapsed), "frames/s")


def _rss_child(path: Path) -> None:
    """In a fresh process: RSS growth (peak minus after-open) over a full iteration."""
    frames = iter_frames(path, DataType.VIDEO)
    before = _status_kb("VmRSS")
    started = time.perf_counter()
    count = sum(1 for _ in frames)
    elapsed = time.perf_counter() - started
    print(_status_kb("VmHWM") - before, count, elapsed)


def _status_kb(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in KiB.

    VmHWM is the peak of this process image; getrusage's ru_maxrss is not usable here
    because Linux carries it over from the parent across exec.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


CONTENDERS: dict[str, Callable[[Path], object]] = {
    "plain_pyav_loop": partial(_plain_pyav, thread_type=None),
    "plain_pyav_loop_auto_threads": partial(_plain_pyav, thread_type="AUTO"),
    "plain_pyav_loop_dropping_arrays": partial(_plain_pyav, thread_type=None, hold=False),
    "iterator": _ours,
    "ffmpeg_rawvideo": _ffmpeg_frames,
    "sampler_1_5": partial(_sample, spec=1 / 5),
    "sampler_1_30": partial(_sample, spec=1 / 30),
    "sampler_sparse10": partial(_sample, spec=SPARSE),
}


if __name__ == "__main__":
    main()
