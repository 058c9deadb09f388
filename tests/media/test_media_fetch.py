"""local_asset: local files in place, remote ones streamed to a temp file and removed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import boto3
import pytest

from annotask.errors import MediaError, ValidationError
from annotask.media import local_asset

BIG = 24 * 2**20


@pytest.fixture
def bucket(s3_endpoint: str, aws_env: None) -> str:
    name = f"bucket-{time.monotonic_ns()}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    client.put_object(Bucket=name, Key="clips/a.mp4", Body=b"video bytes")
    client.put_object(Bucket=name, Key="noext", Body=b"x" * 10)
    return name


def _s3(endpoint: str) -> dict[str, object]:
    return {"endpoint_url": endpoint, "skip_instance_cache": True}


def test_local_path_is_used_in_place_and_kept(tmp_path: Path) -> None:
    original = tmp_path / "clip.mp4"
    original.write_bytes(b"data")
    with local_asset(str(original), data_hash="h1", tmp_dir=tmp_path / "tmp") as path:
        assert path == original
    assert original.read_bytes() == b"data"
    assert not (tmp_path / "tmp").exists()


def test_file_uri_is_used_in_place(tmp_path: Path) -> None:
    original = tmp_path / "my clip.mp4"
    original.write_bytes(b"data")
    with local_asset(original.as_uri(), data_hash="h1") as path:
        assert path == original
    assert original.exists()


def test_missing_local_file_is_a_media_error(tmp_path: Path) -> None:
    with (
        pytest.raises(MediaError, match="no such file"),
        local_asset(str(tmp_path / "nope.mp4"), data_hash="h"),
    ):
        pass


def test_s3_object_is_downloaded_as_data_hash_with_suffix_and_removed(
    bucket: str, s3_endpoint: str, tmp_path: Path
) -> None:
    uri = f"s3://{bucket}/clips/a.mp4"
    with local_asset(
        uri, data_hash="abc123", storage_options=_s3(s3_endpoint), tmp_dir=tmp_path
    ) as path:
        assert path.name == "abc123.mp4"
        assert path.read_bytes() == b"video bytes"
        assert path.is_relative_to(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_suffix_comes_from_mime_type_before_the_url(
    bucket: str, s3_endpoint: str, tmp_path: Path
) -> None:
    with local_asset(
        f"s3://{bucket}/noext",
        data_hash="h",
        mime_type="image/png",
        storage_options=_s3(s3_endpoint),
        tmp_dir=tmp_path,
    ) as path:
        assert path.name == "h.png"


def test_suffix_falls_back_to_the_name(bucket: str, s3_endpoint: str, tmp_path: Path) -> None:
    with local_asset(
        f"s3://{bucket}/noext",
        data_hash="h",
        name="scan.dcm",
        storage_options=_s3(s3_endpoint),
        tmp_dir=tmp_path,
    ) as path:
        assert path.name == "h.dcm"


def test_missing_s3_object_is_a_media_error_naming_the_uri_and_leaves_nothing(
    bucket: str, s3_endpoint: str, tmp_path: Path
) -> None:
    uri = f"s3://{bucket}/missing.mp4"
    with (
        pytest.raises(MediaError, match=f"{uri}: not found"),
        local_asset(uri, data_hash="h", storage_options=_s3(s3_endpoint), tmp_dir=tmp_path),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


def test_temp_file_is_removed_when_the_body_raises(
    bucket: str, s3_endpoint: str, tmp_path: Path
) -> None:
    uri = f"s3://{bucket}/clips/a.mp4"
    with (
        pytest.raises(RuntimeError, match="agent failed"),
        local_asset(uri, data_hash="h", storage_options=_s3(s3_endpoint), tmp_dir=tmp_path) as path,
    ):
        assert path.exists()
        raise RuntimeError("agent failed")
    assert list(tmp_path.iterdir()) == []


def test_s3_download_streams_without_holding_the_file_in_memory(
    bucket: str, s3_endpoint: str, tmp_path: Path
) -> None:
    # the client runs in its own process: the in-process moto server holds the object itself
    boto3.client("s3", endpoint_url=s3_endpoint).put_object(
        Bucket=bucket, Key="big", Body=os.urandom(BIG)
    )
    script = _MEASURE.format(
        uri=f"s3://{bucket}/big",
        small=f"s3://{bucket}/noext",
        endpoint=s3_endpoint,
        tmp=str(tmp_path),
    )
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    size, peak = map(int, done.stdout.split())
    assert size == BIG
    assert peak < BIG // 8
    assert list(tmp_path.iterdir()) == []


_MEASURE = """
import tracemalloc
from pathlib import Path
from annotask.media import local_asset
options = {{"endpoint_url": "{endpoint}"}}
tracemalloc.start()
with local_asset("{small}", data_hash="warm", tmp_dir=Path("{tmp}"), storage_options=options):
    pass  # loads botocore's service models, which are large, before measuring
tracemalloc.reset_peak()
base = tracemalloc.get_traced_memory()[0]
with local_asset("{uri}", data_hash="big", tmp_dir=Path("{tmp}"), storage_options=options) as path:
    print(path.stat().st_size, tracemalloc.get_traced_memory()[1] - base)
"""


def test_http_file_is_downloaded_and_removed(http_root: tuple[str, Path], tmp_path: Path) -> None:
    base, root = http_root
    (root / "img.jpg").write_bytes(b"jpeg bytes")
    with local_asset(f"{base}/img.jpg?sig=1", data_hash="h2", tmp_dir=tmp_path) as path:
        assert path.name == "h2.jpg"
        assert path.read_bytes() == b"jpeg bytes"
    assert list(tmp_path.iterdir()) == []


def test_http_download_streams_without_holding_the_file_in_memory(
    http_root: tuple[str, Path], tmp_path: Path
) -> None:
    base, root = http_root
    (root / "big.bin").write_bytes(os.urandom(BIG))
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        with local_asset(f"{base}/big.bin", data_hash="big", tmp_dir=tmp_path) as path:
            peak = tracemalloc.get_traced_memory()[1] - start
            assert path.stat().st_size == BIG
    finally:
        tracemalloc.stop()
    assert peak < BIG // 3  # fsspec's HTTP chunks are 5 MiB


def test_http_404_is_a_media_error_and_leaves_nothing(
    http_root: tuple[str, Path], tmp_path: Path
) -> None:
    base, _ = http_root
    with (
        pytest.raises(MediaError, match="not found"),
        local_asset(f"{base}/absent.mp4", data_hash="h", tmp_dir=tmp_path),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


def test_stalled_http_read_times_out_as_a_media_error(
    http_root: tuple[str, Path], tmp_path: Path
) -> None:
    base, root = http_root
    (root / "slow").mkdir(exist_ok=True)
    (root / "slow" / "a.bin").write_bytes(b"late")
    started = time.monotonic()
    with (
        pytest.raises(MediaError, match="cannot fetch"),
        local_asset(f"{base}/slow/a.bin", data_hash="h", tmp_dir=tmp_path, timeout_s=0.5),
    ):
        pass
    assert time.monotonic() - started < 2.5
    assert list(tmp_path.iterdir()) == []


def test_unknown_protocol_is_a_media_error(tmp_path: Path) -> None:
    with (
        pytest.raises(MediaError, match="cannot fetch"),
        local_asset("nosuchproto://x/y.mp4", data_hash="h", tmp_dir=tmp_path),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", ["", "..", "a/b", "a\\b"])
def test_data_hash_that_is_not_a_file_name_is_rejected(bad: str, tmp_path: Path) -> None:
    with (
        pytest.raises(ValidationError),
        local_asset("http://127.0.0.1:9/x.mp4", data_hash=bad, tmp_dir=tmp_path),
    ):
        pass


@pytest.mark.parametrize("kind", ["empty", "audio_only", "truncated"])
def test_bad_remote_media_fails_clearly_and_leaves_no_temp_file(
    http_root: tuple[str, Path], tmp_path: Path, kind: str
) -> None:
    from annotask.datatypes import DataType  # noqa: PLC0415
    from annotask.media import (  # noqa: PLC0415
        iter_frames,
        probe,
        write_test_audio,
        write_test_video,
    )

    base, root = http_root
    source = root / f"{kind}.mp4"
    if kind == "empty":
        source.touch()
    elif kind == "audio_only":
        write_test_audio(source)
    else:
        write_test_video(source, frames=30, faststart=True)
        source.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    work = tmp_path / "work"
    work.mkdir()
    with (
        pytest.raises(MediaError, match=r"h\.mp4"),
        local_asset(f"{base}/{kind}.mp4", data_hash="h", tmp_dir=work) as path,
    ):
        probe(path)
        for _ in iter_frames(path, DataType.VIDEO):
            pass
    assert list(work.iterdir()) == []
