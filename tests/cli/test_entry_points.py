"""The real console script and ``python -m annotask``, and where the store URL comes from."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from annotask.cli import app

ANNOTASK = Path(sys.executable).with_name("annotask")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def test_console_script_initialises_a_store_and_reports_errors_in_one_line(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    done = _run(str(ANNOTASK), "--db", url, "--user", "alice", "init", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert str(tmp_path / "store.db") in done.stdout
    assert (tmp_path / "store.db").is_file()

    failed = _run(str(ANNOTASK), "--db", url, "project", "show", "nope", cwd=tmp_path)
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: no project") and failed.stderr.count("\n") == 1


def test_python_dash_m_runs_the_cli(tmp_path: Path) -> None:
    done = _run(sys.executable, "-m", "annotask", "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "annotask" in done.stdout and "dataset" in done.stdout


def test_store_url_defaults_to_the_environment_variable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'from-env.db'}"
    result = CliRunner().invoke(
        app, ["--user", "alice", "init"], env={"ANNOTASK_DATABASE_URL": url}
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "from-env.db").is_file()


def test_a_run_leaves_logging_as_it_found_it(tmp_path: Path) -> None:
    logger = logging.getLogger("annotask")
    before = (logger.level, list(logger.handlers))
    url = f"sqlite:///{tmp_path / 'x.db'}"
    CliRunner().invoke(app, ["--db", url, "--verbose", "project", "show", "nope"])
    assert (logger.level, list(logger.handlers)) == before
