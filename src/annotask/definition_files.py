"""Definition files users write (workflows, ontologies): YAML or JSON, read strictly.

YAML is read with YAML 1.2's booleans (only ``true``/``false``), so ``options: [yes, no]`` are
the strings users meant, and a duplicate key is an error instead of silently keeping the last.

Bounded, so that a small file cannot exhaust memory or the stack: lists and mappings nest at
most :data:`~annotask.limits.MAX_DEPTH` levels, and anchors and aliases may be used as long as
the document, with every alias expanded, has at most
:data:`~annotask.strict_yaml.MAX_EXPANDED_NODES` values (an alias bomb is refused at once); an
alias that contains itself is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from annotask.errors import ValidationError
from annotask.limits import check_depth, load_json, shown

__all__ = ["load_definition"]


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
    if path.suffix.lower() == ".json":
        data = load_json(text, named)
    else:
        from annotask.strict_yaml import load_yaml  # noqa: PLC0415 - PyYAML only for YAML

        data = load_yaml(text, named)
    if not isinstance(data, dict):
        raise ValidationError(f"{named} must hold a mapping at the top level")
    return data
