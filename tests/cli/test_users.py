"""``annotask users``: accounts for the server — passwords (argon2), tokens shown once."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner, Result

import annotask
from annotask.cli import app
from annotask.client.access import Accounts


@pytest.fixture(autouse=True)
def store(db_url: str) -> None:
    """Accounts live in a store made first (`users` commands never create one)."""
    assert CliRunner().invoke(app, ["--db", db_url, "init"]).exit_code == 0


def _users(db_url: str, *args: str, stdin: str = "", code: int = 0) -> Result:
    result = CliRunner().invoke(app, ["--db", db_url, "users", *args], input=stdin)
    assert result.exit_code == code, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def test_create_set_password_and_check_it(db_url: str) -> None:
    _users(db_url, "create", "ada", "--admin", "--password-stdin", stdin="first password\n")
    _users(db_url, "passwd", "ada", "--password-stdin", stdin="second password\n")
    listed = _users(db_url, "list").stdout
    assert ["ada", "admin,password"] in [line.split() for line in listed.splitlines()]
    with annotask.Client(db_url, user="ada") as client:
        accounts = Accounts(client.store)
        assert accounts.check_password("ada", "second password") == "ada"
        assert accounts.get_user("ada").is_admin
    again = _users(db_url, "create", "ada", "--no-password", code=1)
    assert "exists already" in again.stderr and "users passwd ada" in again.stderr
    short = _users(db_url, "passwd", "ada", "--password-stdin", stdin="short\n", code=1)
    assert "at least 8 characters" in short.stderr


def test_tokens_are_printed_once_listed_without_secret_and_revocable(db_url: str) -> None:
    _users(db_url, "create", "bob", "--no-password")
    made = _users(db_url, "token", "bob", "--name", "laptop")
    secret = made.stdout.strip()
    assert secret.startswith("atk_") and "shown only now" in made.stderr
    listed = _users(db_url, "tokens", "bob").stdout
    token_id, name = listed.split()[:2]
    assert name == "laptop" and secret not in listed
    with annotask.Client(db_url) as client:
        assert Accounts(client.store).token_user(secret) == "bob"
    _users(db_url, "revoke", token_id)
    with annotask.Client(db_url) as client:
        try:
            Accounts(client.store).token_user(secret)
        except annotask.AuthenticationError as exc:
            assert "not valid" in str(exc)
        else:
            raise AssertionError("a revoked token still works")
    missing = _users(db_url, "revoke", token_id, code=1)
    assert "no API token" in missing.stderr
    nobody = _users(db_url, "token", "zed", code=1)
    assert "no user 'zed'" in nobody.stderr


def test_a_name_that_cannot_be_used_is_refused_before_the_password_prompt(db_url: str) -> None:
    _users(db_url, "create", "ada", "--no-password")
    # no stdin is given: a prompt would read nothing and fail on the confirmation instead
    taken = _users(db_url, "create", "ada", code=1)
    assert "Password" not in taken.stdout and "exists already" in taken.stderr
    unknown = _users(db_url, "passwd", "", code=1)
    assert "Password" not in unknown.stdout
    assert unknown.stderr.strip() == "error: no user ''; create one with `annotask users create`"
    spaced = _users(db_url, "create", "a b", code=1)
    assert "Password" not in spaced.stdout and "no spaces" in spaced.stderr
