"""Account pages in process: sign-up, login rotation, expiry, logout, CSRF, throttling, roles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Depends
from sqlalchemy import func, select

from app.db.models import AuditLog, AuthSession, User
from app.web.accounts import safe_next
from app.web.auth_deps import require_role, require_user
from tests.auth.helpers import COOKIE_NAME, PASSWORD, SAME_ORIGIN, Site, make_site


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A fresh migrated app with a frozen clock and a client."""
    made = make_site(tmp_path, session_idle_minutes=60, session_absolute_hours=3)
    yield made
    made.client.close()
    made.app.state.engine.dispose()


def _count(site: Site, model: type) -> int:
    with site.app.state.sessionmaker() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_signup_logs_in_and_sets_a_safe_cookie(site: Site) -> None:
    response = site.signup("Ada@Example.org", next="/labs/cnn")
    assert response.status_code == 303
    assert response.headers["location"] == "/labs/cnn"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http, and secure_cookies is off
    page = site.client.get("/account")
    assert page.status_code == 200
    assert "ada@example.org" in page.text and "learner" in page.text
    home = site.client.get("/")
    assert "Log out" in home.text and "Ada" in home.text


def test_signup_cookie_secure_over_https(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    client = site.new_client(base_url="https://testserver")
    response = site.signup("ada@example.org", client=client)
    assert "Secure" in response.headers["set-cookie"]


def test_signup_cookie_secure_when_configured(tmp_path: Path) -> None:
    site = make_site(tmp_path, secure_cookies=True)
    assert "Secure" in site.signup("ada@example.org").headers["set-cookie"]


def test_signup_refuses_a_taken_email_in_any_case(site: Site) -> None:
    site.signup("ada@example.org")
    again = site.signup("ADA@example.org", client=site.new_client())
    assert again.status_code == 400
    assert "An account for ada@example.org already exists" in again.text
    assert 'aria-invalid="true"' in again.text
    assert _count(site, User) == 1


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"email": "not-an-email"}, "Enter an email address"),
        ({"display_name": "   "}, "Enter the name others should see"),
        ({"password": "short", "password_confirm": "short"}, "needs at least 10 characters"),
        ({"password_confirm": "something else"}, "The two passwords differ"),
    ],
)
def test_signup_bad_field_shown_inline(site: Site, form: dict[str, str], message: str) -> None:
    response = site.signup(form.pop("email", "ada@example.org"), **form)
    assert response.status_code == 400
    assert message.lower() in response.text.lower()
    assert "set-cookie" not in response.headers
    assert _count(site, User) == 0


def test_login_rotates_the_session(site: Site) -> None:
    site.signup("ada@example.org")
    before = site.client.cookies[COOKIE_NAME]
    response = site.login("ada@example.org", next="/account")
    assert response.status_code == 303 and response.headers["location"] == "/account"
    after = site.client.cookies[COOKIE_NAME]
    assert after != before
    # the old token is dead: someone who had captured it is anonymous
    stale = site.new_client(cookies={COOKIE_NAME: before})
    assert stale.get("/account").status_code == 303
    assert site.client.get("/account").status_code == 200


def test_login_wrong_password_refused(site: Site) -> None:
    site.signup("ada@example.org", client=site.new_client())
    response = site.login("ada@example.org", "a wrong password")
    assert response.status_code == 401
    assert "do not match an account" in response.text
    assert COOKIE_NAME not in site.client.cookies


def test_session_idle_expiry(site: Site) -> None:
    site.signup("ada@example.org")
    site.clock.advance(minutes=59)
    assert site.client.get("/account").status_code == 200
    site.clock.advance(minutes=59)  # 59 minutes after the last request: still alive
    assert site.client.get("/account").status_code == 200
    site.clock.advance(minutes=61)
    response = site.client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account"


def test_session_absolute_expiry(site: Site) -> None:
    site.signup("ada@example.org")
    for _ in range(5):  # active every 35 minutes, so never idle
        site.clock.advance(minutes=35)
        assert site.client.get("/account").status_code == 200
    site.clock.advance(minutes=5)  # 3 hours after login
    assert site.client.get("/account").status_code == 303


def test_logout_revokes_the_session(site: Site) -> None:
    site.signup("ada@example.org")
    token = site.client.cookies[COOKIE_NAME]
    response = site.client.post("/logout", headers=SAME_ORIGIN)
    assert response.status_code == 303
    assert 'layerwise_session=""' in response.headers["set-cookie"]
    replay = site.new_client(cookies={COOKIE_NAME: token})
    assert replay.get("/account").status_code == 303
    with site.app.state.sessionmaker() as db:
        assert db.scalars(select(AuthSession.revoked_at)).one() is not None


def test_password_change_ends_other_sessions(site: Site) -> None:
    site.signup("ada@example.org")
    laptop = site.new_client()
    site.login("ada@example.org", client=laptop)
    form = {
        "current_password": PASSWORD,
        "new_password": "an even longer secret",
        "new_password_confirm": "an even longer secret",
    }
    response = site.client.post("/account/password", data=form, headers=SAME_ORIGIN)
    assert response.status_code == 303
    assert site.client.get("/account?done=password").status_code == 200
    assert laptop.get("/account").status_code == 303
    assert site.login("ada@example.org", "an even longer secret", site.new_client()).is_redirect


def test_password_change_wrong_current_refused(site: Site) -> None:
    site.signup("ada@example.org")
    form = {"current_password": "nope nope nope", "new_password": "x" * 12}
    form["new_password_confirm"] = form["new_password"]
    response = site.client.post("/account/password", data=form, headers=SAME_ORIGIN)
    assert response.status_code == 400
    assert "The current password is not right" in response.text


def test_rename_changes_the_top_bar(site: Site) -> None:
    site.signup("ada@example.org")
    form = {"display_name": "Ada L."}
    assert site.client.post("/account/name", data=form, headers=SAME_ORIGIN).status_code == 303
    assert "Ada L." in site.client.get("/").text


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://labs.testserver"},
        {"Origin": "null"},
    ],
)
@pytest.mark.parametrize("path", ["/login", "/signup", "/logout", "/account/name", "/api/any"])
def test_post_from_another_site_refused(site: Site, path: str, headers: dict[str, str]) -> None:
    site.signup("ada@example.org")
    response = site.client.post(path, data={"display_name": "Mallory"}, headers=headers)
    assert response.status_code == 403
    assert "cross-site request refused" in response.text
    if path.startswith("/api/"):
        assert response.json()["detail"].startswith("cross-site request refused")
    assert site.client.get("/account").status_code == 200  # still logged in, name unchanged
    assert "Mallory" not in site.client.get("/account").text


@pytest.mark.parametrize(
    "headers", [{"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://testserver"}, {}]
)
def test_post_from_this_site_accepted(site: Site, headers: dict[str, str]) -> None:
    site.signup("ada@example.org")
    response = site.client.post("/account/name", data={"display_name": "Ada"}, headers=headers)
    assert response.status_code == 303


def test_login_throttled_per_account(site: Site) -> None:
    site.signup("ada@example.org", client=site.new_client())
    for _ in range(5):
        assert site.login("ada@example.org", "wrong password!").status_code == 401
    # even the right password waits now, from any address
    response = site.login("ada@example.org", client=site.new_client())
    assert response.status_code == 429
    assert response.headers["retry-after"] == str(15 * 60)
    assert "Too many failed logins" in response.text
    site.clock.advance(minutes=15, seconds=1)
    assert site.login("ada@example.org").status_code == 303


def test_login_throttled_per_address(tmp_path: Path) -> None:
    site = make_site(tmp_path, login_address_max_failures=3)
    site.signup("ada@example.org", client=site.new_client())
    for i in range(3):
        assert site.login(f"guess{i}@example.org", "wrong password!").status_code == 401
    assert site.login("ada@example.org").status_code == 429


def test_body_over_the_cap_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path, max_body_bytes=2048)
    big = {"email": "a" * 4000}
    assert site.client.post("/login", data=big, headers=SAME_ORIGIN).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b"email=" + b"a" * 1500
        yield b"a" * 1500

    response = site.client.post(
        "/login",
        content=chunks(),
        headers={**SAME_ORIGIN, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_login_form_must_be_urlencoded(site: Site) -> None:
    response = site.client.post("/login", json={"email": "a"}, headers=SAME_ORIGIN)
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/lessons/composition?x=1", "/lessons/composition?x=1"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/login", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_safe_next_keeps_only_local_paths(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_roles_guard_routes(site: Site) -> None:
    def admin_only() -> dict[str, bool]:
        return {"ok": True}

    site.app.add_api_route(
        "/api/admin-only", admin_only, dependencies=[Depends(require_role("admin"))]
    )
    site.app.add_api_route("/members", admin_only, dependencies=[Depends(require_user)])
    assert site.client.get("/api/admin-only").status_code == 401
    members = site.client.get("/members?a=1")
    assert (
        members.status_code == 303 and members.headers["location"] == "/login?next=/members%3Fa%3D1"
    )
    site.signup("ada@example.org")
    refused = site.client.get("/api/admin-only")
    assert refused.status_code == 403 and "admin" in refused.json()["detail"]
    with site.app.state.sessionmaker() as db:
        db.scalars(select(User)).one().role = "admin"
        db.commit()
    assert site.client.get("/api/admin-only").json() == {"ok": True}


def test_account_actions_are_audited(site: Site) -> None:
    site.signup("ada@example.org")
    site.login("ada@example.org")
    site.client.post("/logout", headers=SAME_ORIGIN)
    with site.app.state.sessionmaker() as db:
        actions = db.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["user.create", "user.signup", "user.login", "user.logout"]


def test_anonymous_form_post_goes_to_plain_login(site: Site) -> None:
    form = {"display_name": "Nobody"}
    response = site.client.post("/account/name", data=form, headers=SAME_ORIGIN)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_signup_closed_by_the_operator(tmp_path: Path) -> None:
    site = make_site(tmp_path, signup_open=False)
    page = site.client.get("/signup")
    assert page.status_code == 403 and "Ask your" in page.text
    assert site.signup("ada@example.org").status_code == 403
    assert _count(site, User) == 0
    assert 'href="/signup"' not in site.client.get("/login").text
    assert 'href="/signup"' not in site.client.get("/").text


def test_signup_shows_every_bad_field_at_once(site: Site) -> None:
    form = {"display_name": "", "password": "short", "password_confirm": "other"}
    response = site.signup("nobody", **form)
    assert response.status_code == 400
    for field in ("email", "display_name", "password"):
        assert f'id="e-{field}"' in response.text
    assert 'id="e-password_confirm"' not in response.text  # one problem at a time per password
