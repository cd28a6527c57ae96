"""Sign up, log out and log in with the real forms in Chromium (no console errors, no CSP hits).

A refused form comes back with its 4xx status (400, 401), which Chromium reports on the
console as a failed load; those, and only those, are expected here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.server]
PASSWORD = "a long enough secret"
REFUSED_FORM = re.compile(r"^Failed to load resource: .* status of 40[01] ")


@pytest.fixture
def form_page(page: Page) -> Iterator[Page]:
    """A page that fails the test on console errors other than a refused form's status."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not REFUSED_FORM.match(message.text):
            problems.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.set_default_timeout(15_000)
    yield page
    assert problems == []


def test_signup_logout_login_in_the_browser(form_page: Page) -> None:
    page = form_page
    email = f"ada-{uuid.uuid4().hex[:8]}@example.org"
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()

    # a short password is refused next to its field, and the typed email is kept
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name shown to others").fill("Ada")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Password again").fill("short")
    page.get_by_role("button", name="Create account").click()
    password = page.get_by_label("Password", exact=True)
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#e-password")).to_contain_text("at least 10 characters")
    expect(page.get_by_label("Email")).to_have_value(email)

    password.fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url("/")
    expect(page.get_by_role("link", name="Ada", exact=True)).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()

    page.goto("/account")  # needs an account: sent to the login page, then back
    expect(page).to_have_url("/login?next=/account")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url("/account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()
