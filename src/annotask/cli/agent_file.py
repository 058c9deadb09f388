"""``annotask run agent.py [options]``: find the runner in an agent file and run it."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from annotask.cli.session import get_session
from annotask.errors import ValidationError

if TYPE_CHECKING:
    from annotask.tasks import SequentialRunner

__all__ = ["import_agent_file", "load_runner", "pick_runner", "run"]

R = TypeVar("R")


def import_agent_file(path: Path, *, db: str | None, user: str | None) -> ModuleType:
    """Import the agent file at ``path`` as a module (not as ``__main__``), with its folder
    on ``sys.path`` while it is imported.

    ``db`` and ``user`` (``--db``, ``--user``) are in the environment while it is imported,
    so that a runner or client the file uses at module level (``runner.project`` to read the
    ontology, say) opens the store the command line names, as the user it names.
    """
    with _environment(_store_variables(db, user)):
        return _import(path)


def _store_variables(db: str | None, user: str | None) -> dict[str, str]:
    from annotask.client.client import USER_ENV  # noqa: PLC0415 - keeps `annotask --help` fast
    from annotask.store import DATABASE_URL_ENV  # noqa: PLC0415

    named = {DATABASE_URL_ENV: db, USER_ENV: user}
    return {k: v for k, v in named.items() if v is not None}


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    before = {k: os.environ.get(k) for k in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _import(path: Path) -> ModuleType:
    if not path.is_file():
        raise ValidationError(f"agent file {path} does not exist; give the path of a .py file")
    module_name = f"annotask_agent_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ValidationError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    finally:
        sys.path.remove(str(path.resolve().parent))
    return module


def pick_runner(
    module: ModuleType, path: Path, kind: type[R], name: str | None, *, noun: str, title: str
) -> R:
    """The module-level runner of type ``kind`` in an agent file: the one named ``name``, or
    the only one; a clear error otherwise (messages call it ``noun`` or ``title``)."""
    runners = {k: v for k, v in vars(module).items() if isinstance(v, kind)}
    if name is not None:
        if name not in runners:
            raise ValidationError(
                f"{path} has no {noun} named {name!r}; its {noun}s are {sorted(runners) or 'none'}"
            )
        return runners[name]
    if len(runners) != 1:
        found = ", ".join(sorted(runners)) or "none"
        raise ValidationError(
            f"{path} must define exactly one {title} at module level (found {found}); "
            "name one with --runner NAME"
        )
    return next(iter(runners.values()))


def load_runner(
    path: Path, name: str | None = None, *, db: str | None = None, user: str | None = None
) -> SequentialRunner:
    """Import ``path`` (not as ``__main__``, with ``db`` and ``user`` as the store and user
    its module level sees) and return its runner (the one named ``name``)."""
    from annotask.tasks import (  # noqa: PLC0415 - keeps `annotask --help` fast
        QueueRunner,
        SequentialRunner,
    )

    module = import_agent_file(path, db=db, user=user)
    runners = [v for v in vars(module).values() if isinstance(v, SequentialRunner)]
    queued = sorted(k for k, v in vars(module).items() if isinstance(v, QueueRunner))
    if not runners and queued:
        raise ValidationError(
            f"{path} defines a QueueRunner ({', '.join(queued)}), which runs tasks handed to "
            f"it by a queue, not a Runner that `annotask run` drives: put the tasks on the "
            f"queue with `annotask dispatch {path}` and start workers with "
            f"`celery -A {path.stem} worker` in {path.resolve().parent}"
        )
    return pick_runner(module, path, SequentialRunner, name, noun="runner", title="Runner")


def run(
    ctx: typer.Context,
    agent_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="AGENT_FILE",
            help="The Python file that defines the runner.",
            show_default=False,
        ),
    ] = None,
    runner_name: Annotated[
        str | None,
        typer.Option("--runner", metavar="NAME", help="Which runner, if the file has several."),
    ] = None,
) -> None:
    """Run the agents of AGENT_FILE; options after it go to the runner (`annotask run
    AGENT_FILE --help` lists them)."""
    if agent_file is None or str(agent_file) in ("--help", "-h"):
        typer.echo(ctx.get_help())
        raise typer.Exit(0 if agent_file is not None else 2)
    from annotask.tasks.runner.command import run_command  # noqa: PLC0415 - see load_runner

    session = get_session(ctx)
    runner = load_runner(agent_file, runner_name, db=session.url, user=session.user)
    run_command(
        runner,
        ctx.args,
        db=session.url,
        user=session.user,
        prog_name=f"annotask run {agent_file}",
    )
