"""``annotask import``: pre-label a project from a COCO file; each changed row a new version."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from annotask.cli.args import ProjectArg
from annotask.cli.session import Session, get_session
from annotask.errors import ValidationError
from annotask.limits import load_json

if TYPE_CHECKING:
    from annotask.client import Project
    from annotask.labels import CocoImportReport

__all__ = ["ImportFormat", "import_", "read_json"]


class ImportFormat(StrEnum):
    """What ``annotask import`` reads."""

    COCO = "coco"


def read_json(path: Path) -> Any:
    """The JSON value in ``path``; a :class:`ValidationError` naming the file if it is not JSON."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return load_json(text, str(path))
    except ValidationError as exc:
        raise ValidationError(f"{exc}; nothing was imported") from exc


def import_(
    ctx: typer.Context,
    project: ProjectArg,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="The file to read.", exists=True, dir_okay=False, readable=True
        ),
    ],
    *,
    format_: Annotated[
        ImportFormat,
        typer.Option("--format", "-f", help="coco: images matched to data items by file name."),
    ],
    skip_unknown: Annotated[
        bool,
        typer.Option(
            "--skip-unknown", help="Skip annotations of categories the ontology does not have."
        ),
    ] = False,
    skip_unmatched: Annotated[
        bool,
        typer.Option(
            "--skip-unmatched", help="Skip annotations of images that match no data item."
        ),
    ] = False,
) -> None:
    """Add a file's labels to a project's label rows, all or nothing, saving new versions."""
    from annotask.client.interchange import import_coco_labels  # noqa: PLC0415 - fast --help

    session = get_session(ctx)
    found = session.client().get_project(project)
    coco = read_json(file)
    report = import_coco_labels(
        found, coco, skip_unknown=skip_unknown, skip_unmatched=skip_unmatched
    )
    _report(session, found, report)


def _report(session: Session, project: Project, report: CocoImportReport) -> None:
    session.say(
        f"imported {report.annotations_imported} annotation(s) as {report.objects_added} "
        f"object(s) into {len(report.rows_changed)} label row(s) of {project.what}, "
        "each saved as a new version"
    )
    if report.skipped_annotations:
        session.say(f"skipped {report.skipped_annotations} annotation(s):")
    if report.unmatched_images:
        names = ", ".join(repr(n) for n in report.unmatched_images)
        session.say(f"  images matching no data item: {names}")
    if report.unknown_categories:
        names = ", ".join(repr(n) for n in report.unknown_categories)
        session.say(f"  categories not in the ontology: {names}")
