"""The ontology of a project: which object classes and classifications its labels use.

An ontology is written as a dict, YAML or JSON (see DESIGN.md, "Definitions users write")::

    objects:
      - name: car
        shape: bounding_box
        attributes: [{name: occluded, type: radio, options: [yes, no]}]
    classifications:
      - name: weather
        type: radio
        options: [sunny, {name: snow, questions: [{name: depth, type: numeric}]}]

:meth:`Ontology.to_dict` writes the canonical form, feature hashes included; reading it back
gives an equal ontology and writing that again gives the same dict.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from annotask.definition_files import load_definition
from annotask.errors import NotFoundError, ValidationError
from annotask.labels._ontology_parse import parse_ontology
from annotask.labels.ontology_model import (
    Attribute,
    AttributeType,
    Classification,
    ObjectClass,
    OntologyChild,
    Option,
    Question,
    Shape,
    find_child,
    part_children,
)

__all__ = ["Ontology"]


class Ontology:
    """Object classes and classifications, looked up by name or feature hash."""

    __slots__ = ("_classification_index", "_classifications", "_object_index", "_objects")

    def __init__(
        self,
        objects: Iterable[ObjectClass] = (),
        classifications: Iterable[Classification] = (),
    ) -> None:
        self._objects = tuple(objects)
        self._classifications = tuple(classifications)
        self._object_index = _index("object", self._objects)
        self._classification_index = _index("classification", self._classifications)

    # -- reading and writing -------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ontology:
        """Build from a definition; :class:`ValidationError` lists every problem at once."""
        objects, classifications = parse_ontology(data)
        return cls(objects, classifications)

    @classmethod
    def from_file(cls, path: str | Path) -> Ontology:
        """Read a ``.yaml``/``.yml`` or ``.json`` definition."""
        file = Path(path)
        if not file.exists():
            raise NotFoundError(f"no ontology file at {file}")
        data = load_definition(file, "ontology")
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The canonical definition, with every feature hash."""
        return {
            "objects": [_object_to_dict(o) for o in self._objects],
            "classifications": [_question_to_dict(c) for c in self._classifications],
        }

    # -- lookups -------------------------------------------------------------------------

    @property
    def objects(self) -> tuple[ObjectClass, ...]:
        """The object classes, in definition order."""
        return self._objects

    @property
    def classifications(self) -> tuple[Classification, ...]:
        """The classifications, in definition order."""
        return self._classifications

    def get_object(self, name_or_hash: str) -> ObjectClass:
        """The object class with this name or feature hash."""
        found = self._object_index.get(name_or_hash)
        if found is None:
            known = ", ".join(repr(o.name) for o in self._objects) or "none"
            raise NotFoundError(f"ontology has no object class {name_or_hash!r}; known: {known}")
        return found

    def get_classification(self, name_or_hash: str) -> Classification:
        """The classification with this name or feature hash."""
        found = self._classification_index.get(name_or_hash)
        if found is None:
            known = ", ".join(repr(c.name) for c in self._classifications) or "none"
            raise NotFoundError(f"ontology has no classification {name_or_hash!r}; known: {known}")
        return found

    def find_object(self, feature_hash: str) -> ObjectClass | None:
        """The object class with this feature hash, or None."""
        found = self._object_index.get(feature_hash)
        return found if found is not None and found.feature_hash == feature_hash else None

    def find_classification(self, feature_hash: str) -> Classification | None:
        """The classification with this feature hash, or None."""
        found = self._classification_index.get(feature_hash)
        return found if found is not None and found.feature_hash == feature_hash else None

    # -- the seed's lookups ---------------------------------------------------------------

    def children(self) -> Iterator[OntologyChild]:
        """Every part, depth first: each object class and classification, then the
        questions and options under it."""
        for obj in self._objects:
            yield obj
            yield from part_children(obj)
        for classification in self._classifications:
            yield classification
            yield from part_children(classification)

    def get_child_by_hash(self, feature_node_hash: str, type_: type[Any] | None = None) -> Any:
        """The part (object class, classification, attribute, option) with this feature
        hash; ``type_`` also checks its kind (``ObjectClass``, ``RadioAttribute``, …)."""
        return find_child("ontology", self.children(), feature_node_hash, type_, by="hash")

    def get_children_by_title(self, title: str, type_: type[Any] | None = None) -> list[Any]:
        """Every part named ``title`` (of kind ``type_``, when given), depth first."""
        found = [c for c in self.children() if c.name == title]
        return found if type_ is None else [c for c in found if isinstance(c, type_)]

    def get_child_by_title(self, title: str, type_: type[Any] | None = None) -> Any:
        """The first part named ``title`` (of kind ``type_``, when given), depth first."""
        return find_child("ontology", self.children(), title, type_, by="title")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ontology):
            return NotImplemented
        return (self._objects, self._classifications) == (
            other._objects,
            other._classifications,
        )

    def __hash__(self) -> int:
        return hash((self._objects, self._classifications))

    def __repr__(self) -> str:
        objects = ", ".join(o.name for o in self._objects)
        classifications = ", ".join(c.name for c in self._classifications)
        return f"Ontology(objects=[{objects}], classifications=[{classifications}])"


_Part = TypeVar("_Part", ObjectClass, Classification)


def _index(kind: str, items: tuple[_Part, ...]) -> dict[str, _Part]:
    index: dict[str, _Part] = {}
    problems: list[str] = []
    for item in items:
        if item.name in index:
            problems.append(f"duplicate {kind} name {item.name!r}")
        index[item.name] = item
    for item in items:
        other = index.get(item.feature_hash)
        if other is not None and other is not item and other.feature_hash == item.feature_hash:
            problems.append(f"duplicate {kind} feature hash {item.feature_hash!r}")
        index[item.feature_hash] = item
    if problems:
        raise ValidationError("; ".join(problems))
    return index


def _object_to_dict(obj: ObjectClass) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": obj.name,
        "shape": obj.shape.value,
        "feature_hash": obj.feature_hash,
        "attributes": [_question_to_dict(a) for a in obj.attributes],
    }
    if obj.shape is Shape.SKELETON:
        out["keypoints"] = list(obj.keypoints)
        out["edges"] = [list(edge) for edge in obj.edges]
    return out


def _question_to_dict(question: Question) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": question.name,
        "type": question.type.value,
        "feature_hash": question.feature_hash,
    }
    if isinstance(question, Attribute):
        out["dynamic"] = question.dynamic
    if question.type in (AttributeType.RADIO, AttributeType.CHECKLIST):
        out["options"] = [_option_to_dict(o) for o in question.options]
    return out


def _option_to_dict(option: Option) -> dict[str, Any]:
    out: dict[str, Any] = {"name": option.name, "feature_hash": option.feature_hash}
    if option.questions:
        out["questions"] = [_question_to_dict(q) for q in option.questions]
    return out
