"""Definition files users write (workflows, ontologies): YAML or JSON, read strictly.

YAML is read with YAML 1.2's booleans (only ``true``/``false``), so ``options: [yes, no]`` are
the strings users meant, and a duplicate key is an error instead of silently keeping the last.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from annotask.errors import ValidationError

__all__ = ["load_definition"]


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader: YAML 1.2 booleans, duplicate keys refused."""

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


def load_definition(source: Mapping[str, Any] | str | Path, what: str) -> dict[str, Any]:
    """Read a YAML/JSON file, or take a dict, as a definition (``what`` names it in errors)."""
    if isinstance(source, Mapping):
        return dict(source)
    path = Path(source)
    if not path.is_file():
        raise ValidationError(f"{what} file {str(path)!r} does not exist; pass a YAML or JSON file")
    try:
        text = path.read_text(encoding="utf-8")
        data = (
            json.loads(text)
            if path.suffix.lower() == ".json"
            else yaml.load(text, Loader=_StrictLoader)
        )
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise ValidationError(f"{what} file {str(path)!r} cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise ValidationError(f"{what} file {str(path)!r} must hold a mapping at the top level")
    return data
