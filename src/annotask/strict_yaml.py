"""YAML definitions read strictly: YAML 1.2's booleans (only ``true``/``false``), duplicate
keys refused, nesting bounded, and aliases counted as expanded (an alias bomb is refused
at once). Its own module so that PyYAML is imported only when a YAML file is read."""

from __future__ import annotations

import re
from typing import Any

import yaml

from annotask.errors import ValidationError
from annotask.limits import MAX_DEPTH

__all__ = ["MAX_EXPANDED_NODES", "load_yaml"]

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


def load_yaml(text: str, named: str) -> Any:
    """The value of a YAML document; ``named`` names the file in errors."""
    if _flow_depth(text) > MAX_DEPTH:  # before PyYAML's scanner, which is slow on these
        raise ValidationError(f"{named} is nested more than {MAX_DEPTH} levels deep")
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{named} cannot be read: {exc}") from exc
    except RecursionError as exc:  # pragma: no cover - the depth bound comes first
        raise ValidationError(f"{named} is nested more than {MAX_DEPTH} levels deep") from exc
