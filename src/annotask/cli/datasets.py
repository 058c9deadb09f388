"""``annotask dataset``: create datasets, register assets in them, list them."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from annotask.cli.render import datasets_table, items_table
from annotask.cli.session import get_session
from annotask.errors import ValidationError
from annotask.limits import check_metadata, load_json
from annotask.workflow.vocabulary import Role

__all__ = ["app"]

app = typer.Typer(help="Datasets: named collections of storage items.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(metavar="TITLE", help="The dataset's title.")],
    description: Annotated[
        str, typer.Option("--description", metavar="TEXT", help="Free text.")
    ] = "",
) -> None:
    """Make an empty dataset (and the store, if there is none yet); prints its hash."""
    session = get_session(ctx)
    dataset = session.client(create=True).create_dataset(title, description)
    session.note(f"created {dataset.what}")
    session.say(dataset.dataset_hash)


def _metadata(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = check_metadata(load_json(text, "the JSON"), "the JSON object")
    except ValidationError as exc:
        raise typer.BadParameter(
            f"{exc} (give a JSON object, e.g. '{{\"site\": 3}}')", param_hint="--metadata"
        ) from exc
    return value


@app.command("add")
def add(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(metavar="DATASET", help="Dataset hash or title.")],
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="PATH...", help="Files, folders (image sequences) or URIs (s3://, https://, …)."
        ),
    ],
    *,
    metadata: Annotated[
        str | None,
        typer.Option(
            "--metadata",
            metavar="JSON",
            help="A JSON object stored as each item's client metadata.",
        ),
    ] = None,
    probe: Annotated[
        bool,
        typer.Option(
            "--probe/--no-probe",
            help="Read each asset's type, size, frame count … from its content "
            "(--no-probe: from its name, no properties).",
        ),
    ] = True,
    probe_remote: Annotated[
        bool,
        typer.Option(
            "--probe-remote/--no-probe-remote",
            help="Fetch remote URIs to temporary files to probe them "
            "(--no-probe-remote: register them by name, unfetched).",
        ),
    ] = True,
) -> None:
    """Register assets in a dataset, all or none; prints how many were added."""
    session = get_session(ctx)
    client_metadata = _metadata(metadata)
    target = session.client().get_dataset(dataset)
    items = target.add_items(
        paths, client_metadata=client_metadata, probe=probe, probe_remote=probe_remote
    )
    session.say(f"added {len(items)} item(s) to {target.what}")
    for use in target.projects_using():
        session.say(
            f"  {len(items)} new task(s) in project {use.title!r} ({use.project_hash}), "
            f"stage {use.start_stage!r}"
        )


@app.command("items")
def items(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(metavar="DATASET", help="Dataset hash or title.")],
    name_contains: Annotated[
        str | None,
        typer.Option("--name", metavar="TEXT", help="Only items whose name contains TEXT."),
    ] = None,
) -> None:
    """A dataset's items in the order they were added: hash, name, type, size, frames, URI."""
    session = get_session(ctx)
    found = session.client().get_dataset(dataset)
    listed = found.list_items(name_contains)
    if not listed:
        session.say(f"{found.what} has no items" + (" that match" if name_contains else ""))
        return
    title = f"{found.title}: {len(listed)} item(s)"
    session.out.print(items_table(title, listed, short=session.out.is_terminal))


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """The datasets you are a member of, with their item counts."""
    session = get_session(ctx)
    rows = [(d, d.item_count()) for d in session.client().list_datasets()]
    session.out.print(datasets_table(rows))


@app.command("delete")
def delete(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(metavar="DATASET", help="Dataset hash or title.")],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Delete; without it, only say what would go.")
    ] = False,
) -> None:
    """Delete a dataset and its items (the files stay where they are); refused while a
    project uses it. Deletes only with --yes."""
    session = get_session(ctx)
    found = session.client().get_dataset(dataset)
    if not yes:
        users = found.projects_using()
        if users:
            names = ", ".join(repr(u.title) for u in users)
            session.say(f"{found.what} is used by project(s) {names}: delete those first")
        else:
            session.say(f"would delete {found.what}: {found.item_count()} item(s); files stay")
        session.note("nothing was deleted; run again with --yes to delete")
        return
    gone = found.delete()
    session.say(f"deleted {found.what}: {gone['items']} item(s); their files were not touched")


@app.command("add-member")
def add_member(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(metavar="DATASET", help="Dataset hash or title.")],
    user: Annotated[str, typer.Argument(metavar="USER", help="The user to add.")],
    role: Annotated[Role, typer.Option("--role", "-r", help="Their role.")] = Role.ANNOTATOR,
) -> None:
    """Give a user a role on a dataset (owners and admins), e.g. to build projects on it."""
    session = get_session(ctx)
    found = session.client().get_dataset(dataset)
    found.add_member(user, role)
    session.say(f"{user!r} is now {role.value} of {found.what}")
