"""An in-process app on a temp data dir with a clock the tests move, and sign-up helpers."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from app.auth.sessions import COOKIE_NAME
from app.config import Settings
from app.db.engine import database_url, upgrade
from app.main import create_app

with warnings.catch_warnings():  # starlette asks for httpx2; the httpx it finds works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

__all__ = ["COOKIE_NAME", "PASSWORD", "SAME_ORIGIN", "Clock", "Site", "TestClient", "make_site"]

PASSWORD = "a long enough secret"
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Site:
    """The app, its settings and clock, and a client that does not follow redirects."""

    app: FastAPI
    settings: Settings
    clock: Clock
    client: TestClient

    def new_client(self, **kwargs: Any) -> TestClient:
        """Another browser on the same app (its own cookies)."""
        return TestClient(self.app, follow_redirects=False, **kwargs)

    def signup(
        self, email: str, client: TestClient | None = None, name: str = "Ada", **extra: str
    ) -> Any:
        """Post the sign-up form as a same-origin browser would."""
        form = {
            "email": email,
            "display_name": name,
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            **extra,
        }
        return (client or self.client).post("/signup", data=form, headers=SAME_ORIGIN)

    def login(
        self, email: str, password: str = PASSWORD, client: TestClient | None = None, **extra: str
    ) -> Any:
        """Post the login form as a same-origin browser would."""
        form = {"email": email, "password": password, **extra}
        return (client or self.client).post("/login", data=form, headers=SAME_ORIGIN)


def make_site(tmp_path: Path, **overrides: Any) -> Site:
    """A migrated app on ``tmp_path`` with cheap Argon2 and a frozen clock (no lab workers)."""
    settings = Settings(data_dir=tmp_path / "data", argon2_memory_kib=1024, workers=1, **overrides)
    upgrade(database_url(settings))
    app = create_app(settings)
    clock = Clock()
    app.state.clock = clock
    return Site(app, settings, clock, TestClient(app, follow_redirects=False))
