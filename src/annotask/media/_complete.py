"""Telling a whole image file from a cut one without decoding it: its end marker or the size
its header declares, read from the file's last bytes."""

from __future__ import annotations

import struct
from pathlib import Path

from annotask.errors import MediaError

__all__ = ["check_image_complete"]

TAIL_SIZE = 4096
"""How many trailing bytes are read to find an end marker (JPEG writers may pad after it)."""

_PNG_IEND = b"IEND\xaeB`\x82"


def check_image_complete(path: Path, image_format: str, size: int) -> None:
    """Raise :class:`MediaError` when ``path`` ends before its format says it should.

    PNG must end with its IEND chunk, JPEG must hold an end-of-image marker near its end,
    GIF its trailer byte, WebP and BMP at least the size their headers declare. Other
    formats are not checked here (their headers are what :func:`probe` reads).
    """
    check = _CHECKS.get(image_format)
    if check is None:
        return
    try:
        with path.open("rb") as file:
            file.seek(max(0, size - TAIL_SIZE))
            tail = file.read(TAIL_SIZE)
            file.seek(0)
            head = file.read(32)
    except OSError as exc:
        raise MediaError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    problem = check(head, tail, size)
    if problem is not None:
        raise MediaError(f"{path}: truncated or corrupt {image_format} image: {problem}")


def _png(head: bytes, tail: bytes, size: int) -> str | None:
    return None if tail.rstrip(b"\x00").endswith(_PNG_IEND) else "no IEND chunk at its end"


def _jpeg(head: bytes, tail: bytes, size: int) -> str | None:
    return None if b"\xff\xd9" in tail else "no end-of-image marker (FF D9) at its end"


def _gif(head: bytes, tail: bytes, size: int) -> str | None:
    return None if tail.rstrip(b"\x00").endswith(b";") else "no trailer (3B) at its end"


def _webp(head: bytes, tail: bytes, size: int) -> str | None:
    declared = struct.unpack_from("<I", head, 4)[0] + 8 if len(head) >= 8 else 0
    return None if size >= declared else f"{size} bytes, its header declares {declared}"


def _bmp(head: bytes, tail: bytes, size: int) -> str | None:
    declared = struct.unpack_from("<I", head, 2)[0] if len(head) >= 6 else 0
    return None if size >= declared else f"{size} bytes, its header declares {declared}"


_CHECKS = {"PNG": _png, "JPEG": _jpeg, "MPO": _jpeg, "GIF": _gif, "WEBP": _webp, "BMP": _bmp}
