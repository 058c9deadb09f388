"""The ``annotask`` command line: a thin Typer + Rich layer over the client and workflow API.

Commands only parse arguments and print; everything they do is a call into the library.
"""

from annotask.cli.app import app, main

__all__ = ["app", "main"]
