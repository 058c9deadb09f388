"""The ``annotask`` command line: a thin Typer + Rich layer over the client and workflow API.

Commands only parse arguments and print; everything they do is a call into the library.
"""

from typing import Any

from annotask.cli.root import build_app, main

__all__ = ["app", "build_app", "main"]


def __getattr__(name: str) -> Any:
    if name == "app":  # built on first use: ``main`` builds only the command it runs
        return build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
