"""Parsing untrusted XML label files safely (lxml: no entities, no network, size-bounded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from annotask.errors import LabelError, ValidationError

__all__ = ["parse_xml", "to_bytes"]

_MAX_BYTES = 1 << 30


def _parser() -> Any:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_xml(path: Path, what: str) -> Any:
    """The root element of ``path``; one :class:`LabelError` if it is not (whole) XML."""
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise LabelError(f"{what} file {path} is over 1 GiB; nothing was imported")
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise LabelError(
            f"{what} file {path} is not well-formed XML (truncated?): {exc}; nothing was imported"
        ) from None


def to_bytes(root: Any) -> bytes:
    """``root`` as indented UTF-8 XML with a declaration."""
    data: bytes = etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="utf-8")
    return data
