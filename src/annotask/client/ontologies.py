"""Ontologies as stored: a title, a hash and the structure users wrote."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from annotask.errors import ValidationError
from annotask.store.records import OntologyRecord
from annotask.workflow.definition import load_definition

__all__ = ["OntologyInfo", "check_structure"]


@dataclass(frozen=True, slots=True)
class OntologyInfo:
    """A stored ontology: its hash, title and structure (objects and classifications)."""

    ontology_hash: UUID
    title: str
    structure: dict[str, Any]
    created_at: datetime

    @classmethod
    def from_record(cls, record: OntologyRecord) -> OntologyInfo:
        """Wrap a stored row."""
        return cls(UUID(record.uuid), record.title, record.structure, record.created_at)


def check_structure(source: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """Read an ontology definition and check its top-level shape."""
    data = load_definition(source, "ontology")
    problems = [
        f"unknown top-level key {key!r}; use 'objects' and 'classifications'"
        for key in data
        if key not in {"objects", "classifications"}
    ]
    for key in ("objects", "classifications"):
        value = data.setdefault(key, [])
        if not isinstance(value, list):
            problems.append(f"'{key}' must be a list, got {type(value).__name__}")
    if problems:
        raise ValidationError("invalid ontology:\n  - " + "\n  - ".join(problems))
    return data
