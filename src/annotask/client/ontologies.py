"""Ontologies as stored: a title, a hash and the structure users wrote."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from annotask.definition_files import load_definition
from annotask.labels import Ontology
from annotask.store.records import OntologyRecord

__all__ = ["OntologyInfo", "check_structure"]


@dataclass(frozen=True, slots=True)
class OntologyInfo:
    """A stored ontology: its hash, title and structure (objects and classifications)."""

    ontology_hash: UUID
    title: str
    structure: dict[str, Any]
    created_at: datetime

    @property
    def ontology(self) -> Ontology:
        """The structure as an :class:`~annotask.labels.Ontology` (classes, attributes, hashes)."""
        return Ontology.from_dict(self.structure)

    @classmethod
    def from_record(cls, record: OntologyRecord) -> OntologyInfo:
        """Wrap a stored row."""
        return cls(UUID(record.uuid), record.title, record.structure, record.created_at)


def check_structure(source: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """Read and validate an ontology definition; return it with its feature hashes filled in."""
    return Ontology.from_dict(load_definition(source, "ontology")).to_dict()
