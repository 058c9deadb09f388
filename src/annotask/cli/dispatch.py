"""``annotask dispatch agent.py``: put every claimable task of a Celery agent file's stages
on the queue, for workers started with ``celery -A agent worker``."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import typer

from annotask.cli.agent_file import import_agent_file, pick_runner
from annotask.cli.session import get_session
from annotask.errors import ValidationError

__all__ = ["dispatch"]


def dispatch(  # noqa: PLR0917 - Typer maps parameters to options
    ctx: typer.Context,
    agent_file: Annotated[
        Path,
        typer.Argument(
            metavar="AGENT_FILE",
            help="The Python file that defines a Celery `app` and a QueueRunner registered "
            "with it (annotask.integrations.celery.register).",
            show_default=False,
        ),
    ],
    project_hash: Annotated[
        str | None,
        typer.Option(
            "--project-hash",
            metavar="P",
            help="The project to dispatch (must be the runner's; default: the runner's).",
            show_default=False,
        ),
    ] = None,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, metavar="N", help="Task specs per message.")
    ] = 100,
    queue: Annotated[
        str | None,
        typer.Option("--queue", metavar="NAME", help="Send to this queue (default: the app's)."),
    ] = None,
    runner_name: Annotated[
        str | None,
        typer.Option("--runner", metavar="NAME", help="Which runner, if the file has several."),
    ] = None,
    db_url: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Store URL (default: $ANNOTASK_DATABASE_URL, else sqlite:///annotask.db).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Enqueue every claimable task of the agent file's stages, CHUNK_SIZE specs a message.

    Start workers with Celery's own command, in the agent file's folder:
    `celery -A agent worker --loglevel=info` (for agent.py).
    """
    from annotask.integrations.celery import enqueue  # noqa: PLC0415 - needs the celery extra
    from annotask.tasks import QueueRunner  # noqa: PLC0415 - keeps `annotask --help` fast

    session = get_session(ctx)
    if db_url is not None:
        session.url = db_url
    module = import_agent_file(agent_file, db=session.url, user=session.user)
    app = _one_app(module, agent_file)
    runner = pick_runner(
        module, agent_file, QueueRunner, runner_name, noun="QueueRunner", title="QueueRunner"
    )
    runner.use_client(session.client())
    project = runner.get_project()
    wanted = None if project_hash is None else session.client().get_project(project_hash)
    if wanted is not None and wanted.project_hash != project.project_hash:
        raise ValidationError(
            f"{agent_file} runs on project {project.project_hash}, not {project_hash}: its "
            "workers only take that project's tasks; give that project hash or none"
        )
    options = {} if queue is None else {"queue": queue}
    sent = enqueue(app, runner, chunk_size=chunk_size, **options)
    session.say(
        f"enqueued {sent.specs} task spec{'' if sent.specs == 1 else 's'} in {sent.messages} "
        f"message{'' if sent.messages == 1 else 's'} "
        f"(project {project.project_hash})"
    )


def _one_app(module: ModuleType, path: Path) -> Any:
    from celery import Celery  # noqa: PLC0415 - needs the celery extra

    apps = {k: v for k, v in vars(module).items() if isinstance(v, Celery)}
    if len(apps) != 1:
        found = ", ".join(sorted(apps)) or "none"
        raise ValidationError(
            f"{path} must define exactly one Celery app at module level (found {found}); "
            "e.g. app = Celery('agent', broker='redis://127.0.0.1:6379/0')"
        )
    return next(iter(apps.values()))
