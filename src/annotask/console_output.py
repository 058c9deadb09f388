"""Consoles for command output and logs: sized to the terminal when there is one, and as
wide as their content when piped; log records as Rich's tidy lines in a terminal, and as
plain timestamped lines (no padding, no wrapping) in a file or a pipe."""

from __future__ import annotations

import logging
import os

from rich.console import Console

__all__ = ["PIPE_WIDTH", "PLAIN_FORMAT", "console_handler", "is_console_handler", "make_console"]

PIPE_WIDTH = 1000
"""Columns of a console that is not a terminal (and $COLUMNS unset): tables keep whole
UUIDs, titles and errors in files and pipes; lines are only as long as their content."""

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "annotask_console"


def make_console(*, stderr: bool) -> Console:
    """A console on stdout or stderr; not a terminal and $COLUMNS unset, it is
    ``PIPE_WIDTH`` columns wide instead of Rich's 80."""
    console = Console(stderr=stderr)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console = Console(stderr=stderr, width=PIPE_WIDTH)
    return console


def console_handler(console: Console) -> logging.Handler:
    """A handler writing to ``console``'s stream: Rich in a terminal, else plain lines with
    an ISO-like timestamp (for log files, journald, CI)."""
    handler: logging.Handler
    if console.is_terminal:
        from rich.logging import RichHandler  # noqa: PLC0415 - only for terminals

        handler = RichHandler(console=console, show_time=False, show_path=False, markup=False)
    else:
        handler = logging.StreamHandler(console.file)
        handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    setattr(handler, _MARK, True)
    return handler


def is_console_handler(handler: logging.Handler) -> bool:
    """Whether ``handler`` was made by :func:`console_handler` (so a command can reuse it)."""
    return bool(getattr(handler, _MARK, False))
