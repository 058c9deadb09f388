"""Agents on storage items in S3-compatible storage: registered by URI, fetched per task."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Annotated

import boto3
import numpy as np
from numpy.typing import NDArray
from PIL import Image

import annotask
from annotask import AgentTask, StorageItem
from annotask.tasks import Depends, Runner
from annotask.tasks.dependencies import dep_asset, dep_single_frame
from tests.definitions import ONTOLOGY, WORKFLOW


def _bucket(endpoint: str, count: int) -> list[str]:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    bucket = f"frames-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    uris = []
    for i in range(count):
        body = io.BytesIO()
        Image.new("RGB", (32, 24), (10 * i, 100, 200)).save(body, format="PNG")
        s3.put_object(Bucket=bucket, Key=f"img/{i}.png", Body=body.getvalue())
        uris.append(f"s3://{bucket}/img/{i}.png")
    return uris


def test_agents_read_s3_items_and_leave_no_files(
    client: annotask.Client, s3_env: str, tmp_path: Path
) -> None:
    uris = _bucket(s3_env, 3)
    dataset = client.create_dataset("s3 images")
    items = dataset.add_items(uris)
    assert {(i.width, i.height, i.mime_type) for i in items} == {(32, 24, "image/png")}
    project = client.create_project("s3", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)
    runner = Runner(project.project_hash, client=client)
    seen: dict[str, tuple[int, ...]] = {}
    paths: list[Path] = []

    @runner.stage("Pre-label")
    def look(
        task: AgentTask,
        item: StorageItem,
        frame: Annotated[NDArray[np.uint8], Depends(dep_single_frame)],
        asset: Annotated[Path, Depends(dep_asset)],
    ) -> str:
        assert item.uri.startswith("s3://")
        assert asset.name == f"{item.data_hash}.png" and asset.stat().st_size > 0
        paths.append(asset)
        seen[task.data_title] = (*frame.shape, int(frame[0, 0, 0]))
        return "has objects"

    report = runner()
    assert report.moved == 3
    assert seen == {"0.png": (24, 32, 3, 0), "1.png": (24, 32, 3, 10), "2.png": (24, 32, 3, 20)}
    assert paths and not any(p.exists() for p in paths)


def test_a_missing_s3_object_fails_its_task_with_the_uri(
    client: annotask.Client, s3_env: str
) -> None:
    uris = _bucket(s3_env, 1)
    dataset = client.create_dataset("s3 images")
    dataset.add_items(uris, probe=False)
    boto3.client("s3", endpoint_url=s3_env).delete_object(
        Bucket=uris[0].split("/")[2], Key="img/0.png"
    )
    project = client.create_project("s3", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)
    runner = Runner(project.project_hash, client=client)

    @runner.stage("Pre-label")
    def look(frame: Annotated[NDArray[np.uint8], Depends(dep_single_frame)]) -> str:
        return "has objects"

    report = runner(num_retries=0)
    assert report.failed == 1
    (task,) = project.list_tasks(failed=True)
    assert uris[0] in (task.last_error or "")
