"""Help-text fixes on top of Typer, for every command (annotask's own and the runner
options of ``annotask run AGENT_FILE --help``).

Typer 0.29 renders every boolean flag as taking a value (``--dry-run <bool>``,
``--help <bool>``), and arguments in usage lines as ``{PROJECT}`` and ``[[TASK]...]...``.
A flag takes no value, so its help shows no type; usage lines read the usual way:
``PROJECT [TASK]...``.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperOption

__all__ = ["install"]

_original = TyperOption.display_type_rich


def _display_type_rich(self: TyperOption, ctx: Any) -> str | None:
    if self.is_flag and not self.count:
        return None
    return _original(self, ctx)


def _usage_display_name(self: TyperArgument) -> str:
    name = self.display_name_raw.strip("[].")
    if self.nargs != 1:
        name += "..."
    return name if self.required else f"[{name}]"


def install() -> None:
    """Apply the fixes (idempotent)."""
    TyperOption.display_type_rich = _display_type_rich  # type: ignore[method-assign]
    TyperArgument._usage_display_name = _usage_display_name  # type: ignore[method-assign]
