"""Logging in: tokens, password sessions with CSRF, rate limits, and who sees what."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from annotask.client.access import Accounts
from tests.server.conftest import PASSWORD, Server


def test_requests_without_credentials_are_401_problems(server: Server) -> None:
    answer = server.http.get("/api/projects")
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["status"] == 401 and "log in" in body["detail"]
    assert answer.headers["www-authenticate"] == "Bearer"


def test_a_bearer_token_acts_as_its_user(server: Server) -> None:
    answer = server.http.get("/api/session", headers=server.as_("bob"))
    assert answer.status_code == 200
    assert answer.json()["user"] == "bob" and answer.json()["via"] == "token"


def test_a_wrong_or_revoked_token_is_401(server: Server) -> None:
    bad = server.http.get("/api/projects", headers={"Authorization": "Bearer atk_nope"})
    assert bad.status_code == 401
    made = server.http.post("/api/tokens", json={"name": "laptop"}, headers=server.as_("bob"))
    assert made.status_code == 201
    secret, token_id = made.json()["secret"], made.json()["id"]
    assert server.http.get(
        "/api/projects", headers={"Authorization": f"Bearer {secret}"}
    ).is_success
    listed = server.http.get("/api/tokens", headers=server.as_("bob")).json()
    assert {t["name"] for t in listed} == {"tests", "laptop"}
    assert all(t["secret"] is None for t in listed)
    revoked = server.http.delete(f"/api/tokens/{token_id}", headers=server.as_("bob"))
    assert revoked.status_code == 204
    after = server.http.get("/api/projects", headers={"Authorization": f"Bearer {secret}"})
    assert after.status_code == 401


def test_password_login_sets_an_httponly_cookie_and_changes_need_the_csrf_token(
    server: Server,
) -> None:
    wrong = server.http.post("/api/session", json={"user": "bob", "password": "nope-nope"})
    assert wrong.status_code == 401
    login = server.http.post("/api/session", json={"user": "bob", "password": PASSWORD})
    assert login.status_code == 200
    cookie = login.headers["set-cookie"]
    assert "annotask_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    csrf = login.json()["csrf_token"]
    assert server.http.get("/api/projects").status_code == 200  # the cookie alone reads
    no_csrf = server.http.post("/api/tokens", json={"name": "x"})
    assert no_csrf.status_code == 403 and "X-CSRF-Token" in no_csrf.json()["detail"]
    with_csrf = server.http.post("/api/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
    assert with_csrf.status_code == 201
    out = server.http.delete("/api/session", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    server.http.cookies.clear()
    assert server.http.get("/api/projects").status_code == 401


def test_failed_logins_are_rate_limited_per_user_and_address(server: Server) -> None:
    for _ in range(5):
        answer = server.http.post("/api/session", json={"user": "bob", "password": "wrong-one"})
        assert answer.status_code == 401
    limited = server.http.post("/api/session", json={"user": "bob", "password": PASSWORD})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    other = server.http.post("/api/session", json={"user": "alice", "password": PASSWORD})
    assert other.status_code == 200


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(server: Server) -> None:
    unknown = server.http.post("/api/session", json={"user": "zed", "password": PASSWORD})
    wrong = server.http.post("/api/session", json={"user": "bob", "password": "wrong-one"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]


def test_only_site_admins_list_and_make_users(server: Server) -> None:
    from annotask.client.access import Accounts  # noqa: PLC0415 - one test

    denied = server.http.get("/api/users", headers=server.as_("alice"))
    assert denied.status_code == 403 and "site admin" in denied.json()["detail"]
    Accounts(server.project._ctx.store).create_user("root-admin", admin=True)
    token = Accounts(server.project._ctx.store).issue_token("root-admin").secret
    headers = {"Authorization": f"Bearer {token}"}
    made = server.http.post(
        "/api/users", json={"name": "newbie", "password": "long enough pw"}, headers=headers
    )
    assert made.status_code == 201 and made.json()["has_password"] is True
    names = [u["name"] for u in server.http.get("/api/users", headers=headers).json()]
    assert "newbie" in names and "bob" in names
    twice = server.http.post("/api/users", json={"name": "newbie"}, headers=headers)
    assert twice.status_code == 422 and "exists already" in twice.json()["detail"]
    login = server.http.post("/api/session", json={"user": "newbie", "password": "long enough pw"})
    assert login.status_code == 200


def test_concurrent_wrong_logins_check_at_most_the_limit_of_passwords(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    lock = threading.Lock()
    real = Accounts.check_password

    def counting(self: Accounts, name: str, password: str) -> str:
        with lock:
            checked.append(name)
        time.sleep(0.05)  # a slow hash: every request is in flight before the first ends
        return real(self, name, password)

    monkeypatch.setattr(Accounts, "check_password", counting)
    barrier = threading.Barrier(30)

    def attempt() -> int:
        with httpx.Client(base_url=str(server.http.base_url), timeout=30) as http:
            barrier.wait()
            body = {"user": "bob", "password": "wrong-one"}
            return http.post("/api/session", json=body).status_code

    with ThreadPoolExecutor(30) as pool:
        statuses = list(pool.map(lambda _: attempt(), range(30)))
    assert len(checked) == 5
    assert sorted(statuses) == [401] * 5 + [429] * 25
    limited = server.http.post("/api/session", json={"user": "bob", "password": PASSWORD})
    assert limited.status_code == 429  # the window is full, even for the right password


def test_a_successful_login_clears_the_failures_before_it(server: Server) -> None:
    for _ in range(4):
        wrong = server.http.post("/api/session", json={"user": "bob", "password": "wrong-one"})
        assert wrong.status_code == 401
    assert server.http.post("/api/session", json={"user": "bob", "password": PASSWORD}).is_success
    for _ in range(5):
        again = server.http.post("/api/session", json={"user": "bob", "password": "wrong-one"})
        assert again.status_code == 401
    assert (
        server.http.post("/api/session", json={"user": "bob", "password": "x"}).status_code == 429
    )


def test_token_names_follow_the_name_policy(server: Server) -> None:
    for name in ("\u0000", "lap\ntop", "a\x7f"):
        refused = server.http.post("/api/tokens", json={"name": name}, headers=server.as_("bob"))
        assert refused.status_code == 422, (name, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "control character" in refused.json()["detail"]
    names = {t["name"] for t in server.http.get("/api/tokens", headers=server.as_("bob")).json()}
    assert names == {"tests"}
    ok = server.http.post("/api/tokens", json={"name": "  laptop "}, headers=server.as_("bob"))
    assert ok.status_code == 201 and ok.json()["name"] == "laptop"
