"""How a stage's agent is run: batch size, timeout, rate limit, and the version it declares."""

from __future__ import annotations

import hashlib
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from annotask.errors import ValidationError

__all__ = ["DEFAULT_OPTIONS", "StageOptions", "agent_version"]


@dataclass(frozen=True)
class StageOptions:
    """Options given to ``@runner.stage(...)`` beyond the reference API's."""

    batch_size: int | None = None
    """With a number, the agent takes lists (one element per task) and returns a list."""
    timeout_s: float | None = None
    """An attempt running longer fails (and is retried like any failure)."""
    max_calls_per_second: float | None = None
    """Agent calls of this stage start at most this often (across concurrent tasks)."""
    version: str | None = None
    """What the agent calls itself on the events it writes (default: a hash of its source)."""

    def check(self, agent: str) -> None:
        """Raise ValidationError naming every bad option."""
        problems = []
        if self.batch_size is not None and self.batch_size < 1:
            problems.append(f"batch_size must be at least 1, got {self.batch_size}")
        timeout = self.timeout_s
        if timeout is not None and not (timeout > 0 and math.isfinite(timeout)):
            problems.append(f"timeout_s must be a positive number of seconds, got {timeout}")
        rate = self.max_calls_per_second
        if rate is not None and not (rate > 0 and math.isfinite(rate)):
            problems.append(f"max_calls_per_second must be positive, got {rate}")
        if self.version is not None and not (0 < len(self.version) <= 100):
            problems.append("version must be 1 to 100 characters")
        if problems:
            raise ValidationError(f"agent {agent}: " + "; ".join(problems))


DEFAULT_OPTIONS = StageOptions()
"""A stage with none of the options: one task per call, no timeout, no rate limit."""


def agent_version(fn: Callable[..., Any], declared: str | None) -> str:
    """``declared``, else the first 12 hex digits of a SHA-256 of the function's source."""
    if declared is not None:
        return declared
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        source = getattr(fn, "__qualname__", repr(fn))
    return hashlib.sha256(source.encode()).hexdigest()[:12]
