"""``annotask export``: a project's labels to one file, as COCO or annotask's own JSON."""

from __future__ import annotations

import json
import os
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from annotask.cli.args import ProjectArg
from annotask.cli.session import get_session
from annotask.errors import ValidationError

__all__ = ["ExportFormat", "export", "write_json"]


class ExportFormat(StrEnum):
    """What ``annotask export`` writes."""

    COCO = "coco"
    JSON = "json"


def write_json(path: Path, document: Any) -> None:
    """Write ``document`` to ``path`` whole or not at all (a temporary file, then a rename)."""
    folder = path.parent
    if not folder.is_dir():
        raise ValidationError(f"cannot write {path}: folder {folder} does not exist; create it")
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(document, out, ensure_ascii=False, separators=(",", ":"))
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ValidationError(f"cannot write {path}: {exc.strerror or exc}") from exc


def export(
    ctx: typer.Context,
    project: ProjectArg,
    out: Annotated[
        Path,
        typer.Argument(
            metavar="OUT", help="The file to write (replaced if it exists).", dir_okay=False
        ),
    ],
    *,
    format_: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="coco: images, boxes, polygons, RLE masks, keypoints; json: annotask's "
            "label documents, every row.",
        ),
    ],
    compress_rle: Annotated[
        bool, typer.Option("--compress-rle", help="coco: write masks as compressed RLE strings.")
    ] = False,
) -> None:
    """Write a project's labels, every label row, to one JSON file."""
    from annotask.client.interchange import (  # noqa: PLC0415 - keeps `annotask --help` fast
        export_coco_labels,
        export_json_labels,
    )

    session = get_session(ctx)
    found = session.client().get_project(project)
    if format_ is ExportFormat.JSON:
        document = export_json_labels(found)
        write_json(out, document)
        session.say(f"wrote {len(document['label_rows'])} label row(s) of {found.what} to {out}")
        return
    coco = export_coco_labels(found, compress_rle=compress_rle)
    write_json(out, coco)
    skipped = coco["info"].get("skipped_objects")
    if skipped:
        kinds = ", ".join(f"{n} {shape}" for shape, n in skipped.items())
        session.note(f"left out objects COCO cannot carry: {kinds}")
    session.say(
        f"wrote {len(coco['images'])} image(s) and {len(coco['annotations'])} annotation(s) "
        f"of {found.what} to {out} (COCO)"
    )
