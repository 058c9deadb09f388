"""``annotask import``: labels from a file or folder in any format; rows saved as new versions."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from annotask.cli.args import BranchOpt, ProjectArg
from annotask.cli.session import Session, get_session

if TYPE_CHECKING:
    from annotask.client import Project
    from annotask.labels.formats import ImportReport

__all__ = ["ImportFormat", "import_"]


class ModeArg(StrEnum):
    """``--mode``: the values of :class:`annotask.labels.formats.ImportMode` (named here so
    that ``annotask --help`` need not load the label formats)."""

    ADD = "add"
    REPLACE = "replace"
    SKIP_EXISTING = "skip-existing"


class ImportFormat(StrEnum):
    """What ``annotask import`` reads."""

    COCO = "coco"
    YOLO = "yolo"
    VOC = "voc"
    CVAT = "cvat"
    LABELSTUDIO = "labelstudio"
    JSON = "json"


def import_(
    ctx: typer.Context,
    project: ProjectArg,
    source: Annotated[
        Path,
        typer.Argument(
            metavar="SOURCE",
            help="The file to read (a folder for yolo and voc).",
            exists=True,
            readable=True,
        ),
    ],
    *,
    format_: Annotated[
        ImportFormat,
        typer.Option(
            "--format",
            "-f",
            help="coco, cvat, labelstudio, json: a file; yolo, voc: a folder. Images are "
            "matched to data items by file name.",
        ),
    ],
    mode: Annotated[
        ModeArg,
        typer.Option(
            "--mode",
            help="skip-existing: leave rows that hold objects alone (importing twice is safe); "
            "add: add beside them; replace: clear the rows the file names first.",
        ),
    ] = ModeArg.SKIP_EXISTING,
    skip_unknown: Annotated[
        bool,
        typer.Option(
            "--skip-unknown", help="Skip annotations of classes the ontology does not have."
        ),
    ] = False,
    skip_unmatched: Annotated[
        bool,
        typer.Option(
            "--skip-unmatched", help="Skip annotations of images that match no data item."
        ),
    ] = False,
    branch: BranchOpt = "main",
) -> None:
    """Add a file's labels to a project's label rows, all or nothing, saving new versions."""
    from annotask.client.interchange import import_labels  # noqa: PLC0415 - fast --help
    from annotask.labels.formats import ImportMode  # noqa: PLC0415 - fast --help

    session = get_session(ctx)
    found = session.client().get_project(project)
    report = import_labels(
        found,
        format_.value,
        source,
        mode=ImportMode(mode.value),
        skip_unknown=skip_unknown,
        skip_unmatched=skip_unmatched,
        branch_name=branch,
    )
    _report(session, found, report)


def _report(session: Session, project: Project, report: ImportReport) -> None:
    session.say(
        f"imported {report.annotations_imported} annotation(s) as {report.objects_added} "
        f"object(s) into {len(report.rows_changed)} label row(s) of {project.what}, "
        "each saved as a new version"
    )
    if report.objects_removed:
        session.say(f"replaced {report.objects_removed} object(s) that were there")
    if report.rows_skipped:
        session.say(
            f"left {len(report.rows_skipped)} label row(s) that already hold objects as they "
            "were (--mode skip-existing; use --mode add or --mode replace to change them)"
        )
    if report.skipped_annotations:
        session.say(f"skipped {report.skipped_annotations} annotation(s):")
    if report.unmatched_images:
        names = ", ".join(repr(n) for n in report.unmatched_images)
        session.say(f"  images matching no data item: {names}")
    if report.unknown_categories:
        names = ", ".join(repr(n) for n in report.unknown_categories)
        session.say(f"  categories not in the ontology: {names}")
