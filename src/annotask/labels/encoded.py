"""A labels document that carries its JSON text: encoded once, read as a mapping on demand."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import msgspec

__all__ = ["EncodedDocument", "document_json"]


class EncodedDocument(Mapping[str, Any]):
    """A labels document as the JSON text a save stores; decoded only if read as a mapping.

    :meth:`LabelRow.save_request <annotask.labels.LabelRow.save_request>` hands one to the
    backend, so that the text built from the row (untouched entries copied as read) is the
    text stored, with no second encoding.
    """

    __slots__ = ("_decoded", "json")

    def __init__(self, text: str) -> None:
        self.json = text
        self._decoded: dict[str, Any] | None = None

    def _mapping(self) -> dict[str, Any]:
        if self._decoded is None:
            decoded = msgspec.json.decode(self.json)
            if not isinstance(decoded, dict):
                raise TypeError("an encoded labels document must be a JSON object")
            self._decoded = decoded
        return self._decoded

    def __getitem__(self, key: str) -> Any:
        return self._mapping()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._mapping())

    def __len__(self) -> int:
        return len(self._mapping())

    def __repr__(self) -> str:
        return f"EncodedDocument({self.json[:60]!r}{'…' if len(self.json) > 60 else ''})"


def document_json(document: Mapping[str, Any]) -> str:
    """The JSON text to store for ``document``: its own text if it carries one."""
    if isinstance(document, EncodedDocument):
        return document.json
    return json.dumps(document if isinstance(document, dict) else dict(document), allow_nan=False)
