"""Reading and writing label files: whole or not at all, bad input as one clear error."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from annotask.errors import LabelError, ValidationError

__all__ = ["copy_image", "read_json", "replace_folder", "write_bytes", "write_json"]


def read_json(path: Path, what: str) -> Any:
    """The JSON value in ``path``; one :class:`LabelError` if it is not (truncated) JSON."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return json.loads(data)
    except RecursionError:
        raise LabelError(f"{what} file {path} nests too deeply; nothing was imported") from None
    except ValueError as exc:
        raise LabelError(
            f"{what} file {path} is not JSON (truncated?): {exc}; nothing was imported"
        ) from None


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a temporary file, then a rename)."""
    folder = path.parent
    if not folder.is_dir():
        raise ValidationError(f"cannot write {path}: folder {folder} does not exist; create it")
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ValidationError(f"cannot write {path}: {exc.strerror or exc}") from exc


def write_json(path: Path, document: Any) -> None:
    """``document`` as compact UTF-8 JSON in ``path``, whole or not at all (msgspec writes
    it, several times faster than :func:`json.dumps`)."""
    write_bytes(path, msgspec.json.encode(document))


@contextmanager
def replace_folder(path: Path) -> Iterator[Path]:
    """A fresh folder to fill that becomes ``path`` when the block ends without error."""
    parent = path.parent
    if not parent.is_dir():
        raise ValidationError(f"cannot write {path}: folder {parent} does not exist; create it")
    if path.exists() and not path.is_dir():
        raise ValidationError(f"cannot write {path}: it is a file, and this format is a folder")
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=parent))
    try:
        yield staging
        if path.exists():
            shutil.rmtree(path)
        staging.rename(path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def copy_image(source: Path | None, target: Path) -> bool:
    """Hard-link (else copy) an image into an export; False when there is none to copy."""
    if source is None or not source.is_file():
        return False
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return True
