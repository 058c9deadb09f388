"""Reading an ontology definition (a dict from YAML or JSON) into its parts.

Every problem is collected with its path (``objects.car.attributes.occluded: ...``) and
reported together in one :class:`ValidationError`, one line per problem.

Feature hashes: a class, attribute or option keeps the ``feature_hash`` its definition gives;
otherwise its hash is the first 8 hex digits of the SHA-256 of its path of names, written as
a JSON list: ``["object", "car", "attribute", "occluded", "option", "yes"]`` or
``["classification", "weather", "option", "snow", "attribute", "depth"]``. The same
definition therefore gives the same hashes in every project. This rule is part of the
stored format: never change it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from annotask.errors import ValidationError
from annotask.labels.ontology_model import (
    Attribute,
    AttributeType,
    Classification,
    ObjectClass,
    Option,
    Shape,
)
from annotask.limits import NAME_MAX_CHARS, SHOWN_MAX_CHARS, check_depth, check_name, shown

__all__ = ["derive_feature_hash", "parse_ontology"]

_TOP_KEYS = frozenset({"objects", "classifications"})
_OBJECT_KEYS = frozenset({"name", "shape", "feature_hash", "attributes", "keypoints", "edges"})
_ATTRIBUTE_KEYS = frozenset({"name", "type", "feature_hash", "options", "dynamic"})
_CLASSIFICATION_KEYS = frozenset({"name", "type", "feature_hash", "options"})
_OPTION_KEYS = frozenset({"name", "feature_hash", "questions"})
_CHOICE_TYPES = (AttributeType.RADIO, AttributeType.CHECKLIST)


def derive_feature_hash(path: Sequence[str]) -> str:
    """The feature hash of a part with this path of names (see the module docstring)."""
    text = json.dumps(list(path), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def parse_ontology(
    data: object,
) -> tuple[tuple[ObjectClass, ...], tuple[Classification, ...]]:
    """Parse a definition; raise one :class:`ValidationError` listing every problem."""
    check_depth(data, "the ontology")
    parser = _Parser()
    result = parser.parse(data)
    if parser.problems:
        lines = "\n".join(f"  - {p}" for p in parser.problems)
        raise ValidationError(f"ontology has {len(parser.problems)} problem(s):\n{lines}")
    return result


class _Parser:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self._hash_owners: dict[str, str] = {}

    def parse(self, data: object) -> tuple[tuple[ObjectClass, ...], tuple[Classification, ...]]:
        if not isinstance(data, Mapping):
            self.problems.append(f"ontology must be a mapping, got {type(data).__name__}")
            return (), ()
        self._unknown_keys("ontology", data, _TOP_KEYS)
        raw_objects = self._list("objects", data, "objects")
        raw_classifications = self._list("classifications", data, "classifications")
        objects = [self._object(i, raw) for i, raw in enumerate(raw_objects)]
        classifications = [
            self._classification(i, raw) for i, raw in enumerate(raw_classifications)
        ]
        self._duplicates("objects", _names(raw_objects))
        self._duplicates("classifications", _names(raw_classifications))
        return (
            tuple(o for o in objects if o is not None),
            tuple(c for c in classifications if c is not None),
        )

    # -- helpers -------------------------------------------------------------------------

    def _list(self, where: str, data: Mapping[str, Any], key: str) -> list[Any]:
        value = data.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            self.problems.append(f"{where}: {key} must be a list, got {type(value).__name__}")
            return []
        return list(value)

    def _unknown_keys(self, where: str, data: Mapping[str, Any], allowed: frozenset[str]) -> None:
        unknown = [_key(k) for k in data if k not in allowed]
        if unknown:
            allowed_keys = ", ".join(sorted(allowed))
            self.problems.append(
                f"{where}: unknown key(s) {', '.join(unknown[:10])}; allowed: {allowed_keys}"
            )

    def _duplicates(self, where: str, names: list[str]) -> None:
        seen: set[str] = set()
        for name in names:
            if name in seen:
                self.problems.append(f"{where}: duplicate name {shown(name)}")
            seen.add(name)

    def _name(self, where: str, data: Mapping[str, Any]) -> str | None:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            self.problems.append(f"{where}: needs a non-empty string name, got {shown(name)}")
            return None
        try:
            return check_name(name, f"{where}: the name")
        except ValidationError as exc:
            self.problems.append(str(exc))
            return None

    def _feature_hash(self, where: str, data: Mapping[str, Any], path: list[str]) -> str:
        given = data.get("feature_hash")
        if given is None:
            value = derive_feature_hash(path)
        elif isinstance(given, str) and given and len(given) <= NAME_MAX_CHARS:
            value = given
        else:
            self.problems.append(
                f"{where}: feature_hash must be a non-empty string of at most "
                f"{NAME_MAX_CHARS} characters, got {shown(given)}"
            )
            value = derive_feature_hash(path)
        owner = self._hash_owners.setdefault(value, where)
        if owner != where:
            self.problems.append(f"{where}: feature hash {shown(value)} is also used by {owner}")
        return value

    def _mapping(self, where: str, raw: object) -> Mapping[str, Any] | None:
        if isinstance(raw, Mapping):
            return raw
        self.problems.append(f"{where}: must be a mapping, got {type(raw).__name__}")
        return None

    # -- objects -------------------------------------------------------------------------

    def _object(self, index: int, raw: object) -> ObjectClass | None:
        data = self._mapping(f"objects[{index}]", raw)
        if data is None:
            return None
        name = self._name(f"objects[{index}]", data)
        where = f"objects.{name}" if name else f"objects[{index}]"
        self._unknown_keys(where, data, _OBJECT_KEYS)
        path = ["object", name or f"#{index}"]
        feature_hash = self._feature_hash(where, data, path)
        shape = self._shape(where, data.get("shape"))
        attributes = self._questions(where, data, "attributes", path, None)
        keypoints, edges = self._skeleton(where, data, shape)
        if name is None or shape is None:
            return None
        return ObjectClass(name, shape, feature_hash, attributes, keypoints, edges)

    def _shape(self, where: str, value: object) -> Shape | None:
        if isinstance(value, str) and value in {s.value for s in Shape}:
            return Shape(value)
        known = ", ".join(s.value for s in Shape)
        self.problems.append(f"{where}: unknown shape {shown(value)}; expected one of {known}")
        return None

    def _skeleton(
        self, where: str, data: Mapping[str, Any], shape: Shape | None
    ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        if shape is not Shape.SKELETON:
            if "keypoints" in data or "edges" in data:
                self.problems.append(f"{where}: keypoints and edges are for skeleton shapes only")
            return (), ()
        keypoints = self._keypoints(where, data.get("keypoints"))
        return keypoints, self._edges(where, data.get("edges") or [], set(keypoints))

    def _keypoints(self, where: str, value: object) -> tuple[str, ...]:
        if not isinstance(value, list | tuple) or not value:
            self.problems.append(f"{where}: a skeleton needs a non-empty list of keypoints")
            return ()
        names = [k for k in value if isinstance(k, str) and k.strip()]
        if len(names) != len(value):
            self.problems.append(f"{where}: keypoints must be non-empty strings")
        self._duplicates(f"{where}.keypoints", names)
        return tuple(dict.fromkeys(names))

    def _edges(self, where: str, value: object, keypoints: set[str]) -> tuple[tuple[str, str], ...]:
        if not isinstance(value, list | tuple):
            self.problems.append(f"{where}: edges must be a list of [keypoint, keypoint] pairs")
            return ()
        edges: list[tuple[str, str]] = []
        for edge in value:
            if not isinstance(edge, list | tuple) or len(edge) != 2:
                self.problems.append(
                    f"{where}: edge {shown(edge)} must be a [keypoint, keypoint] pair"
                )
                continue
            unknown = [k for k in edge if not isinstance(k, str) or k not in keypoints]
            if unknown:
                self.problems.append(
                    f"{where}: an edge names unknown keypoint(s) "
                    f"{', '.join(map(shown, unknown))}; keypoints: {', '.join(sorted(keypoints))}"
                )
                continue
            edges.append((edge[0], edge[1]))
        return tuple(edges)

    # -- questions -----------------------------------------------------------------------

    def _questions(
        self,
        where: str,
        data: Mapping[str, Any],
        key: str,
        path: list[str],
        dynamic: bool | None,
    ) -> tuple[Attribute, ...]:
        """Attributes under an object (``dynamic`` None: each decides) or an option."""
        raw_attributes = self._list(where, data, key)
        parsed = [
            self._attribute(f"{where}.{key}[{i}]", raw, path, dynamic)
            for i, raw in enumerate(raw_attributes)
        ]
        self._duplicates(f"{where}.{key}", _names(raw_attributes))
        return tuple(a for a in parsed if a is not None)

    def _attribute(
        self, where: str, raw: object, path: list[str], dynamic: bool | None
    ) -> Attribute | None:
        data = self._mapping(where, raw)
        if data is None:
            return None
        name = self._name(where, data)
        where = f"{where.rsplit('[', 1)[0]}.{name}" if name else where
        self._unknown_keys(where, data, _ATTRIBUTE_KEYS)
        own_path = [*path, "attribute", name or where]
        feature_hash = self._feature_hash(where, data, own_path)
        is_dynamic = self._dynamic(where, data.get("dynamic"), dynamic)
        kind = self._type(where, data.get("type"))
        options = self._options(where, data, kind, own_path, is_dynamic)
        if name is None or kind is None:
            return None
        return Attribute(name, kind, feature_hash, options, is_dynamic)

    def _dynamic(self, where: str, value: object, inherited: bool | None) -> bool:
        if value is not None and not isinstance(value, bool):
            self.problems.append(f"{where}: dynamic must be true or false, got {shown(value)}")
            value = None
        if inherited is None:
            return bool(value)
        if value is not None and value != inherited:
            kind = "dynamic" if inherited else "static"
            self.problems.append(f"{where}: nested questions follow their parent, which is {kind}")
        return inherited

    def _type(self, where: str, value: object) -> AttributeType | None:
        if isinstance(value, str) and value in {t.value for t in AttributeType}:
            return AttributeType(value)
        known = ", ".join(t.value for t in AttributeType)
        self.problems.append(f"{where}: unknown type {shown(value)}; expected one of {known}")
        return None

    def _classification(self, index: int, raw: object) -> Classification | None:
        data = self._mapping(f"classifications[{index}]", raw)
        if data is None:
            return None
        name = self._name(f"classifications[{index}]", data)
        where = f"classifications.{name}" if name else f"classifications[{index}]"
        self._unknown_keys(where, data, _CLASSIFICATION_KEYS)
        path = ["classification", name or f"#{index}"]
        feature_hash = self._feature_hash(where, data, path)
        kind = self._type(where, data.get("type"))
        options = self._options(where, data, kind, path, False)
        if name is None or kind is None:
            return None
        return Classification(name, kind, feature_hash, options)

    # -- options -------------------------------------------------------------------------

    def _options(
        self,
        where: str,
        data: Mapping[str, Any],
        kind: AttributeType | None,
        path: list[str],
        dynamic: bool,
    ) -> tuple[Option, ...]:
        raw_options = self._list(where, data, "options")
        if kind is not None and kind not in _CHOICE_TYPES:
            if raw_options:
                self.problems.append(f"{where}: a {kind.value} question takes no options")
            return ()
        if kind is not None and not raw_options:
            self.problems.append(f"{where}: a {kind.value} question needs at least one option")
        parsed = [self._option(where, i, raw, path, dynamic) for i, raw in enumerate(raw_options)]
        self._duplicates(f"{where}.options", _names(raw_options))
        return tuple(o for o in parsed if o is not None)

    def _option(
        self, where: str, index: int, raw: object, path: list[str], dynamic: bool
    ) -> Option | None:
        if isinstance(raw, str | int) and not isinstance(raw, bool):
            raw = {"name": str(raw)}
        if isinstance(raw, bool):
            self.problems.append(
                f"{where}.options[{index}]: option {shown(raw)} is a boolean; quote it in YAML"
            )
            return None
        data = self._mapping(f"{where}.options[{index}]", raw)
        if data is None:
            return None
        name = self._name(f"{where}.options[{index}]", data)
        own_where = f"{where}.options.{name}" if name else f"{where}.options[{index}]"
        self._unknown_keys(own_where, data, _OPTION_KEYS)
        own_path = [*path, "option", name or f"#{index}"]
        feature_hash = self._feature_hash(own_where, data, own_path)
        questions = self._questions(own_where, data, "questions", own_path, dynamic)
        if name is None:
            return None
        return Option(name, feature_hash, questions)


def _key(key: object) -> str:
    return key if isinstance(key, str) and len(key) <= SHOWN_MAX_CHARS else shown(key)


def _names(raw_items: list[Any]) -> list[str]:
    """The names the raw entries give (bare option names included), for duplicate checks."""
    names = []
    for raw in raw_items:
        name = raw.get("name") if isinstance(raw, Mapping) else raw
        if isinstance(name, str | int) and not isinstance(name, bool):
            names.append(str(name).strip())
    return names
