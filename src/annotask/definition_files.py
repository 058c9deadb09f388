"""Definition files users write (workflows, ontologies): YAML or JSON, read strictly.

YAML is read with YAML 1.2's booleans (only ``true``/``false``), so ``options: [yes, no]`` are
the strings users meant, and a duplicate key is an error instead of silently keeping the last.

Bounded, so that a small file cannot exhaust memory or the stack: lists and mappings nest at
most :data:`~annotask.limits.MAX_DEPTH` levels, and anchors and aliases may be used as long as
the document, with every alias expanded, has at most :data:`MAX_EXPANDED_NODES` values (an
alias bomb is refused at once); an alias that contains itself is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from annotask.errors import ValidationError
from annotask.limits import MAX_DEPTH, check_depth, load_json, shown

__all__ = ["MAX_EXPANDED_NODES", "load_definition"]

MAX_EXPANDED_NODES = 200_000
"""Most values a definition may hold with its aliases expanded."""


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader: YAML 1.2 booleans, duplicate keys refused, depth and alias
    expansion bounded."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_DEPTH} levels deep",
                    None if parent is None else parent.start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node: yaml.Node) -> Any:
        _check_expansion(node)
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _flow_depth(text: str) -> int:
    """The deepest nesting of ``[``/``{`` brackets (those inside quotes count too: a bound
    from above, close enough for definitions)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


_BRACKETS = re.compile(r"[\[\]{}]")


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand beyond :data:`MAX_EXPANDED_NODES` values, or
    refer to themselves (sizes are counted once per node, so this is cheap)."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in in_progress:
            raise yaml.composer.ComposerError(
                None, None, "an alias refers to a value that contains it", node.start_mark
            )
        in_progress.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        in_progress.discard(key)
        if total > MAX_EXPANDED_NODES:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"with its aliases expanded it holds more than {MAX_EXPANDED_NODES} values "
                "(an alias bomb?); write the values out or use fewer aliases",
                node.start_mark,
            )
        sizes[key] = total
        return total

    size(root)


def load_definition(source: Mapping[str, Any] | str | Path, what: str) -> dict[str, Any]:
    """Read a YAML/JSON file, or take a dict, as a definition (``what`` names it in errors)."""
    if isinstance(source, Mapping):
        check_depth(source, f"the {what}")
        return dict(source)
    if not isinstance(source, str | Path):
        raise ValidationError(
            f"a {what} is a YAML/JSON file path or a mapping, got {shown(source)}"
        )
    path = Path(source)
    named = f"{what} file {shown(str(path))}"
    if not path.is_file():
        raise ValidationError(f"{named} does not exist; pass a YAML or JSON file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{named} cannot be read: {exc}") from exc
    data = load_json(text, named) if path.suffix.lower() == ".json" else _load_yaml(text, named)
    if not isinstance(data, dict):
        raise ValidationError(f"{named} must hold a mapping at the top level")
    return data


def _load_yaml(text: str, named: str) -> Any:
    if _flow_depth(text) > MAX_DEPTH:  # before PyYAML's scanner, which is slow on these
        raise ValidationError(f"{named} is nested more than {MAX_DEPTH} levels deep")
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{named} cannot be read: {exc}") from exc
    except RecursionError as exc:  # pragma: no cover - the depth bound comes first
        raise ValidationError(f"{named} is nested more than {MAX_DEPTH} levels deep") from exc
