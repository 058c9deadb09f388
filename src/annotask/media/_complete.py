"""Telling a whole image file from a cut one without decoding it: its end marker or the size
its header declares, read from the file's last bytes."""

from __future__ import annotations

import struct
from pathlib import Path

from annotask.errors import MediaError

__all__ = ["TAIL_SIZE", "check_image_complete"]

TAIL_SIZE = 4096
"""How many trailing bytes are read to find an end marker (JPEG writers may pad after it)."""

_PNG_IEND = b"IEND\xaeB`\x82"


def check_image_complete(
    path: Path, image_format: str, size: int, head: bytes, tail: bytes
) -> None:
    """Raise :class:`MediaError` when ``path`` ends before its format says it should.

    ``head`` and ``tail`` are the file's first and last bytes (at least 32 and up to
    :data:`TAIL_SIZE`). PNG must end with its IEND chunk, JPEG must hold an end-of-image
    marker near its end, GIF its trailer byte, WebP and BMP at least the size their headers
    declare. Other formats are not checked here (their headers are what probing reads).
    """
    check = _CHECKS.get(image_format)
    if check is None:
        return
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
