"""Arguments several command modules share."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["BranchOpt", "DataArg", "ProjectArg"]

ProjectArg = Annotated[
    str, typer.Argument(metavar="PROJECT", help="Project hash or title.", show_default=False)
]
BranchOpt = Annotated[
    str,
    typer.Option(
        "--branch",
        metavar="BRANCH",
        help="The label branch (a data item's rows on other branches are versioned apart).",
    ),
]
DataArg = Annotated[
    str,
    typer.Argument(metavar="DATA", help="Data hash or data title (file name).", show_default=False),
]
