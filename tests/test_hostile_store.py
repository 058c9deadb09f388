"""Limits the stores agree on, identity and roles, and stores that cannot be written."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import annotask
from annotask import AuthorizationError, ValidationError
from annotask.limits import NAME_MAX_CHARS
from tests.definitions import ONTOLOGY, WORKFLOW

# -- one set of limits, the same on SQLite and PostgreSQL --------------------------------


def _workflow_named(stage: str) -> dict[str, object]:
    return {
        "stages": [
            {"name": stage, "type": "agent", "pathways": {"go": "Done"}},
            {"name": "Done", "type": "complete"},
        ]
    }


def test_names_and_texts_the_database_would_refuse_are_refused_first(
    client: annotask.Client, store_url: str, images: list[Path]
) -> None:
    dataset = client.create_dataset("d")
    dataset.add_items(images[:1])
    refused = {
        "long dataset title": lambda: client.create_dataset("t" * 5000),
        "NUL in a dataset title": lambda: client.create_dataset("a\x00b"),
        "NUL in a description": lambda: client.create_dataset("ok", description="a\x00b"),
        "blank project title": lambda: client.create_project(
            "  ", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
        ),
        "long stage name": lambda: client.create_project(
            "p", datasets=[dataset], ontology=ONTOLOGY, workflow=_workflow_named("s" * 5000)
        ),
        "NUL in a stage name": lambda: client.create_project(
            "p", datasets=[dataset], ontology=ONTOLOGY, workflow=_workflow_named("a\x00b")
        ),
        "long user name": lambda: annotask.Client(store_url, user="u" * (NAME_MAX_CHARS + 1)),
        "NUL in a user name": lambda: client.as_user("bo\x00b"),
        "empty user name": lambda: annotask.Client(store_url, user=""),
        "blank user name": lambda: client.as_user("   "),
        "long ontology title": lambda: client.create_ontology("o" * 5000, ONTOLOGY),
        "NUL in item metadata": lambda: dataset.list_items()[0].update(
            client_metadata={"a\x00": 1}
        ),
        "long item name": lambda: dataset.list_items()[0].update(name="n" * 5000),
    }
    for what, call in refused.items():
        with pytest.raises(ValidationError):
            call()
        assert [d.title for d in client.list_datasets()] == ["d"], what
    assert client.list_projects() == []
    assert dataset.list_items()[0].client_metadata == {}


def test_a_name_at_the_limit_is_kept_on_both_stores(client: annotask.Client) -> None:
    title = "t" * NAME_MAX_CHARS
    assert client.create_dataset(title).title == title
    assert client.create_dataset(f"  {title[:10]}  ").title == title[:10]


def test_add_member_checks_the_user_name_and_the_role(
    client: annotask.Client, images: list[Path]
) -> None:
    dataset = client.create_dataset("d")
    dataset.add_items(images[:1])
    project = client.create_project("p", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)
    with pytest.raises(ValidationError, match="unknown role 'boss'"):
        project.add_member("bob", "boss")
    with pytest.raises(ValidationError, match="at most 200 characters"):
        project.add_member("b" * 201, "worker")
    assert set(project.members()) == {"alice"}


# -- roles --------------------------------------------------------------------------------


def test_only_owners_and_admins_revert_label_rows(
    client: annotask.Client, images: list[Path]
) -> None:
    dataset = client.create_dataset("d")
    dataset.add_items(images[:1])
    project = client.create_project("p", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)
    row = project.list_label_rows()[0]
    row.initialise_labels()
    row.save()
    data_hash = row.data_hash
    for role in ("annotator", "reviewer", "worker"):
        project.add_member(role, role)
        theirs = client.as_user(role).get_project(project.project_hash)
        with pytest.raises(AuthorizationError, match=f"is {role} of"):
            theirs.revert_label_row(data_hash, 1)
    project.add_member("carol", "admin")
    assert (
        client.as_user("carol").get_project(project.project_hash).revert_label_row(data_hash, 1)
        == 2
    )


# -- stores that cannot be written -----------------------------------------------------------


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "annotask", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


@contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` and its files unwritable, for root too (the immutable attribute), or
    skip when this machine offers neither."""
    files = sorted(folder.iterdir())
    if os.geteuid() != 0:
        for path in [*files, folder]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            for path in [folder, *files]:
                path.chmod(0o755 if path.is_dir() else 0o644)
        return
    done = subprocess.run(
        ["chattr", "+i", *map(str, files), str(folder)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"skipping: root cannot make files read-only here ({done.stderr!r})")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder), *map(str, files)], check=True)


def test_a_read_only_store_is_one_line_naming_it(tmp_path: Path, images: list[Path]) -> None:
    store = tmp_path / "store"
    store.mkdir()
    url = f"sqlite:///{store / 'annotask.db'}"
    with annotask.Client(url, user="alice") as client:
        client.create_dataset("d")
    agent = tmp_path / "agent.py"
    agent.write_text(
        textwrap.dedent(
            """\
            from annotask.tasks import Runner
            runner = Runner()

            @runner.stage("Pre-label")
            def agent() -> str:
                return "empty"
            """
        )
    )
    with _read_only(store):
        for args in (
            ("dataset", "add", "d", str(images[0])),
            ("run", str(agent), "--project-hash", "p"),
        ):
            result = _cli("--db", url, "--user", "alice", *args)
            assert result.returncode == 1, result.stderr
            assert result.stderr.startswith("error: "), args
            assert str(store / "annotask.db") in result.stderr
            assert "writable" in result.stderr
            assert "Traceback" not in result.stderr
            assert len(result.stderr.strip().splitlines()) == 1


_FULL_DISK_RUN = """\
import os, resource, signal
from annotask.tasks import Runner
from annotask import StorageItem

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
limit = int(os.environ["FSIZE_LIMIT"])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
runner = Runner("p")

@runner.stage("Pre-label")
def agent(item: StorageItem) -> str:
    item.update(client_metadata={"notes": "x" * 100_000})
    return "empty"

runner.run()
"""


def test_a_disk_that_fills_mid_run_is_one_line_and_the_store_stays_consistent(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'annotask.db'}"
    folder = tmp_path / "items"
    folder.mkdir()
    paths = []
    for i in range(40):
        (path := folder / f"item-{i:02d}.txt").write_text(f"item {i}\n")
        paths.append(path)
    with annotask.Client(url, user="alice") as client:
        dataset = client.create_dataset("d")
        dataset.add_items(paths)
        client.create_project("p", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)
    with sqlite3.connect(tmp_path / "annotask.db") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    limit = (tmp_path / "annotask.db").stat().st_size + 1_000_000  # room for about 10 tasks
    agent = tmp_path / "agent.py"
    agent.write_text(_FULL_DISK_RUN)
    result = subprocess.run(
        [sys.executable, str(agent), "--db", url, "--task-batch-size", "4"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ANNOTASK_USER": "alice", "FSIZE_LIMIT": str(limit)},
        check=False,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: the ") and "annotask.db" in last, last
    assert "full" in last or "cannot be written" in last
    assert "Traceback" not in result.stderr
    with annotask.Client(url, user="alice") as client:
        project = client.get_project("p")
        tasks = project.list_tasks()
        moved = [t for t in tasks if t.stage.name == "Annotate"]
        assert 0 < len(moved) < 40
        items = {i.name: i for d in project.datasets for i in d.list_items()}
        for task in tasks:  # each task's outcome landed whole, or not at all
            landed = items[task.data_title].client_metadata == {"notes": "x" * 100_000}
            assert landed == (task in moved), task.data_title
        assert len([e for e in project.events() if e.action == "proceed"]) == len(moved)
    with sqlite3.connect(tmp_path / "annotask.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


# -- the command line ------------------------------------------------------------------------


def test_the_command_line_refuses_hostile_input_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'annotask.db'}"
    text = tmp_path / "a.txt"
    text.write_text("a\n")
    with annotask.Client(url, user="alice") as client:
        dataset = client.create_dataset("d")
        dataset.add_items([text])
        client.create_project("p", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)
    deep_coco = tmp_path / "deep.json"
    deep_coco.write_text("[" * 100_000 + "]" * 100_000)
    bomb = tmp_path / "workflow.yaml"
    bomb.write_text(
        'a: &a ["l","l","l","l","l","l","l","l","l"]\n'
        + "".join(
            f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + "stages:\n  - {name: A, type: *i}\n"
    )
    cases = {
        ("--user", "", "dataset", "list"): "the user name must not be empty",
        ("--user", "alice", "dataset", "add", "d", str(text), "--metadata", '{"x": NaN}'): (
            "NaN is not a JSON number"
        ),
        ("--user", "alice", "dataset", "add", "d", str(text), "--metadata", "[1]"): (
            "must be a mapping"
        ),
        ("--user", "alice", "import", "p", "--format", "coco", str(deep_coco)): (
            "nests too deeply; nothing was imported"
        ),
        (
            "--user",
            "alice",
            "project",
            "create",
            "-t",
            "q",
            "-d",
            "d",
            "-o",
            str(bomb),
            "-w",
            str(bomb),
        ): "aliases expanded",
    }
    for args, expected in cases.items():
        result = _cli("--db", url, *args, env={"COLUMNS": "400"})
        assert result.returncode in (1, 2), (args, result.stderr)
        flat = " ".join(result.stderr.replace("│", " ").split())
        assert expected in flat, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr) < 2000
