"""``annotask export``: a project's labels to a file or folder in any format."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from annotask.cli.args import BranchOpt, ProjectArg
from annotask.cli.session import get_session

__all__ = ["ExportFormat", "export"]


class ExportFormat(StrEnum):
    """What ``annotask export`` writes."""

    COCO = "coco"
    YOLO = "yolo"
    VOC = "voc"
    CVAT = "cvat"
    LABELSTUDIO = "labelstudio"
    JSON = "json"


_WHAT = {
    ExportFormat.COCO: "COCO",
    ExportFormat.YOLO: "YOLO",
    ExportFormat.VOC: "Pascal VOC",
    ExportFormat.CVAT: "CVAT XML",
    ExportFormat.LABELSTUDIO: "Label Studio",
    ExportFormat.JSON: "annotask JSON",
}


def export(
    ctx: typer.Context,
    project: ProjectArg,
    out: Annotated[
        Path,
        typer.Argument(
            metavar="OUT",
            help="The file to write (a folder for yolo and voc); replaced if it exists.",
        ),
    ],
    *,
    format_: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="coco: boxes, polygons, RLE masks, keypoints; yolo, voc: boxes and polygons "
            "with the images; cvat: boxes, polygons, polylines, points, video tracks; "
            "labelstudio: tasks with annotations and predictions; json: annotask's label "
            "documents, every row.",
        ),
    ],
    compress_rle: Annotated[
        bool, typer.Option("--compress-rle", help="coco: write masks as compressed RLE strings.")
    ] = False,
    branch: BranchOpt = "main",
) -> None:
    """Write a project's labels, every label row, to one file or folder."""
    from annotask.client.interchange import export_labels  # noqa: PLC0415 - fast --help

    session = get_session(ctx)
    found = session.client().get_project(project)
    options: dict[str, Any] = {"compress_rle": True} if compress_rle else {}
    if compress_rle and format_ is not ExportFormat.COCO:
        session.note("--compress-rle applies to coco only; ignored")
        options = {}
    report = export_labels(found, format_.value, out, branch_name=branch, **options)
    if report.skipped_objects:
        kinds = ", ".join(f"{n} {shape}" for shape, n in report.skipped_objects.items())
        session.note(f"left out objects {_WHAT[format_]} cannot carry: {kinds}")
    if format_ is ExportFormat.JSON:
        session.say(f"wrote {report.images} label row(s) of {found.what} to {out}")
        return
    session.say(
        f"wrote {report.images} image(s) and {report.objects} annotation(s) "
        f"of {found.what} to {out} ({_WHAT[format_]})"
    )
