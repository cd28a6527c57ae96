"""A real server process on a fresh data dir: it migrates itself, and accounts work over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Server, start_server, stop_server

pytestmark = [pytest.mark.server]
PASSWORD = "a long enough secret"


@pytest.fixture(scope="module")
def accounts_server() -> Iterator[Server]:
    """A server of its own (cheap Argon2, one worker), so sign-ups here touch no other test."""
    running = start_server(workers="1", argon2_memory_kib="1024")
    yield running
    stop_server(running)


def test_signup_logout_login_over_http(accounts_server: Server) -> None:
    origin = {"Origin": accounts_server.url}
    with httpx.Client(base_url=accounts_server.url, timeout=30) as browser:
        assert "Sign up" in browser.get("/").text
        form = {
            "email": "ada@example.org",
            "display_name": "Ada",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        }
        signed_up = browser.post("/signup", data=form, headers=origin)
        assert signed_up.status_code == 303
        first = browser.cookies["layerwise_session"]
        assert "Ada" in browser.get("/").text and "Log out" in browser.get("/").text
        assert browser.post("/logout", headers=origin).status_code == 303
        assert browser.get("/account").status_code == 303
        login = {"email": "ADA@example.org", "password": PASSWORD, "next": "/account"}
        logged_in = browser.post("/login", data=login, headers=origin)
        assert logged_in.headers["location"] == "/account"
        assert browser.cookies["layerwise_session"] != first
        assert "ada@example.org" in browser.get("/account").text


def test_cross_site_post_refused_over_http(accounts_server: Server) -> None:
    response = httpx.post(
        f"{accounts_server.url}/login",
        data={"email": "ada@example.org", "password": PASSWORD},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        timeout=30,
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_server_database_is_sqlite_in_wal_mode(accounts_server: Server) -> None:
    db = accounts_server.data_dir / "data" / "layerwise.db"
    assert db.exists()
    assert (db.parent / "layerwise.db-wal").exists()
