"""Telling what a file holds from its first bytes, whatever its name says."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from annotask.errors import MediaError

__all__ = ["HEAD_SIZE", "Sniffed", "read_ends", "read_head", "sniff"]

HEAD_SIZE = 8192
"""How many leading bytes are read to recognise a file."""

_TEXT_CONTROLS = frozenset(b"\t\n\r\f\b\x1b")
_UTF8_MAX_CONTINUATION = 3
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class Sniffed(Enum):
    """What the leading bytes say; CONTAINER means "ask a demuxer or an image decoder"."""

    DICOM = "dicom"
    PDF = "pdf"
    TEXT = "text"
    CONTAINER = "container"


def read_head(path: Path) -> bytes:
    """The first bytes of ``path``; MediaError if it is missing, unreadable or empty."""
    return read_ends(path, 0)[0]


def read_ends(path: Path, size: int, tail_size: int = 4096) -> tuple[bytes, bytes]:
    """The first :data:`HEAD_SIZE` bytes of ``path`` and its last ``tail_size`` bytes (of
    ``size``), with one open; MediaError if it is missing, unreadable or empty."""
    try:
        with path.open("rb") as file:
            head = file.read(HEAD_SIZE)
            if size <= len(head):
                tail = head[-tail_size:]
            else:
                file.seek(max(0, size - tail_size))
                tail = file.read(tail_size)
    except OSError as exc:
        raise MediaError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if not head:
        raise MediaError(f"{path}: the file is empty (zero bytes)")
    return head, tail


def sniff(head: bytes) -> Sniffed:
    """Classify a file by its leading bytes."""
    if len(head) >= 132 and head[128:132] == b"DICM":
        return Sniffed.DICOM
    if head.startswith(b"%PDF-"):
        return Sniffed.PDF
    if _looks_like_text(head):
        return Sniffed.TEXT
    return Sniffed.CONTAINER


def _looks_like_text(head: bytes) -> bool:
    """UTF-8 (or ASCII) without NULs or unusual control bytes, ignoring a cut last char;
    or anything that starts with a UTF-16 byte order mark."""
    if head.startswith(_UTF16_BOMS):
        return _printable(head[: len(head) // 2 * 2], "utf-16", cuts=2)
    if b"\x00" in head:
        return False
    return _printable(head, "utf-8", cuts=_UTF8_MAX_CONTINUATION + 1)


def _printable(head: bytes, encoding: str, cuts: int) -> bool:
    """Whether ``head`` decodes (allowing a character cut at the end) to printable text."""
    for cut in range(cuts):
        try:
            text = head[: len(head) - cut * (2 if encoding == "utf-16" else 1)].decode(encoding)
        except UnicodeDecodeError:
            continue
        return all(ord(c) >= 32 or ord(c) in _TEXT_CONTROLS for c in text if ord(c) < 128)
    return False
