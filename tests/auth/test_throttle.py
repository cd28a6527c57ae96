"""Login throttling on both databases: per account, per address, the window, the reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.auth.throttle import clear_account, record_failure, retry_after
from app.config import Settings

SETTINGS = Settings(login_max_failures=3, login_address_max_failures=5, login_window_minutes=10)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _fail(db: Session, email: str, address: str, at: datetime) -> None:
    record_failure(db, SETTINGS, email=email, address=address, now=at)
    db.commit()


def test_account_locked_after_its_failures(db_session: Session) -> None:
    for minute in (0, 1, 2):
        assert retry_after(db_session, SETTINGS, email="ada@x.org", address="a", now=T0) is None
        _fail(db_session, "Ada@X.org", f"addr{minute}", T0 + timedelta(minutes=minute))
    at = T0 + timedelta(minutes=4)
    # the oldest failure (9:00) leaves the 10-minute window at 9:10: 6 minutes from 9:04
    assert retry_after(db_session, SETTINGS, email="ada@x.org", address="z", now=at) == 360
    assert retry_after(db_session, SETTINGS, email="bob@x.org", address="z", now=at) is None
    later = T0 + timedelta(minutes=10, seconds=1)
    assert retry_after(db_session, SETTINGS, email="ada@x.org", address="z", now=later) is None


def test_address_locked_after_its_failures_across_accounts(db_session: Session) -> None:
    for i in range(5):
        _fail(db_session, f"user{i}@x.org", "10.0.0.9", T0)
    at = T0 + timedelta(minutes=1)
    assert retry_after(db_session, SETTINGS, email="new@x.org", address="10.0.0.9", now=at) == 540
    assert retry_after(db_session, SETTINGS, email="new@x.org", address="10.0.0.8", now=at) is None


def test_clear_account_resets_the_account_not_the_address(db_session: Session) -> None:
    for _ in range(5):
        _fail(db_session, "ada@x.org", "10.0.0.9", T0)
    clear_account(db_session, email="ADA@x.org")
    db_session.commit()
    assert retry_after(db_session, SETTINGS, email="ada@x.org", address=None, now=T0) is None
    assert retry_after(db_session, SETTINGS, email="ada@x.org", address="10.0.0.9", now=T0) == 600
