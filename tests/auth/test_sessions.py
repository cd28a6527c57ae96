"""Server-side sessions on both databases: stored hashed, idle and absolute expiry, revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.accounts import create_user
from app.auth.sessions import (
    create_session,
    hash_token,
    resolve_session,
    revoke_all,
    revoke_session,
)
from app.config import Settings
from app.db.models import AuthSession, User

SETTINGS = Settings(argon2_memory_kib=1024, session_idle_minutes=30, session_absolute_hours=2)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _user(db: Session, email: str = "ada@example.org") -> User:
    user = create_user(db, SETTINGS, email=email, password="a long enough secret")
    db.commit()
    return user


def test_create_session_stores_only_the_hash(db_session: Session) -> None:
    user = _user(db_session)
    token = create_session(db_session, user, SETTINGS, now=T0)
    db_session.commit()
    row = db_session.scalars(select(AuthSession)).one()
    assert row.token_hash == hash_token(token) != token
    assert len(token) >= 40
    assert row.expires_at == T0 + timedelta(hours=2)
    assert resolve_session(db_session, token, SETTINGS, now=T0).id == user.id


def test_resolve_session_idle_timeout(db_session: Session) -> None:
    user = _user(db_session)
    token = create_session(db_session, user, SETTINGS, now=T0)
    db_session.commit()
    # each request within 30 minutes of the last keeps the session alive
    assert resolve_session(db_session, token, SETTINGS, now=T0 + timedelta(minutes=29)) is not None
    assert resolve_session(db_session, token, SETTINGS, now=T0 + timedelta(minutes=58)) is not None
    # 30 minutes after the last request it is over
    assert resolve_session(db_session, token, SETTINGS, now=T0 + timedelta(minutes=88)) is None


def test_resolve_session_absolute_timeout(db_session: Session) -> None:
    user = _user(db_session)
    token = create_session(db_session, user, SETTINGS, now=T0)
    db_session.commit()
    for minutes in (20, 40, 60, 80, 100, 119):
        assert resolve_session(db_session, token, SETTINGS, now=T0 + timedelta(minutes=minutes))
    assert resolve_session(db_session, token, SETTINGS, now=T0 + timedelta(minutes=120)) is None


def test_revoke_session_ends_only_that_session(db_session: Session) -> None:
    user = _user(db_session)
    first = create_session(db_session, user, SETTINGS, now=T0)
    second = create_session(db_session, user, SETTINGS, now=T0)
    revoke_session(db_session, first, now=T0)
    db_session.commit()
    assert resolve_session(db_session, first, SETTINGS, now=T0) is None
    assert resolve_session(db_session, second, SETTINGS, now=T0) is not None


def test_revoke_all_keeps_the_named_session(db_session: Session) -> None:
    ada, bob = _user(db_session), _user(db_session, "bob@example.org")
    tokens = [create_session(db_session, ada, SETTINGS, now=T0) for _ in range(3)]
    bobs = create_session(db_session, bob, SETTINGS, now=T0)
    assert revoke_all(db_session, ada.id, now=T0, keep=tokens[0]) == 2
    db_session.commit()
    alive = [resolve_session(db_session, t, SETTINGS, now=T0) is not None for t in tokens]
    assert alive == [True, False, False]
    assert resolve_session(db_session, bobs, SETTINGS, now=T0) is not None


def test_resolve_session_refuses_disabled_users_and_junk(db_session: Session) -> None:
    user = _user(db_session)
    token = create_session(db_session, user, SETTINGS, now=T0)
    assert resolve_session(db_session, "", SETTINGS, now=T0) is None
    assert resolve_session(db_session, "x" * 500, SETTINGS, now=T0) is None
    assert resolve_session(db_session, token + "x", SETTINGS, now=T0) is None
    user.disabled = True
    db_session.commit()
    assert resolve_session(db_session, token, SETTINGS, now=T0) is None


def test_create_session_deletes_sessions_ended_a_day_ago(db_session: Session) -> None:
    user = _user(db_session)
    old = create_session(db_session, user, SETTINGS, now=T0)
    revoked = create_session(db_session, user, SETTINGS, now=T0 + timedelta(hours=1))
    revoke_session(db_session, revoked, now=T0 + timedelta(hours=1))
    db_session.commit()
    # the first expired at T0+2h, the second was revoked at T0+1h: at T0+27h both are gone
    create_session(db_session, user, SETTINGS, now=T0 + timedelta(hours=27))
    db_session.commit()
    hashes = set(db_session.scalars(select(AuthSession.token_hash)))
    assert hash_token(old) not in hashes and hash_token(revoked) not in hashes
    assert len(hashes) == 1


def test_resolve_session_short_idle_timeout_kept_alive_by_use(db_session: Session) -> None:
    quick = Settings(argon2_memory_kib=1024, session_idle_minutes=1)
    user = _user(db_session)
    token = create_session(db_session, user, quick, now=T0)
    db_session.commit()
    for seconds in range(10, 300, 10):  # a request every 10 s for 5 minutes
        assert resolve_session(db_session, token, quick, now=T0 + timedelta(seconds=seconds))
    assert resolve_session(db_session, token, quick, now=T0 + timedelta(seconds=361)) is None


def test_resolve_session_writes_last_seen_at_most_once_a_minute(db_session: Session) -> None:
    user = _user(db_session)
    token = create_session(db_session, user, SETTINGS, now=T0)
    db_session.commit()

    def last_seen() -> datetime:
        db_session.expire_all()
        return db_session.scalar(
            select(AuthSession.last_seen_at).where(AuthSession.token_hash == hash_token(token))
        )

    for seconds in (1, 30, 59):  # page views within a minute: reads, not writes
        assert resolve_session(db_session, token, SETTINGS, now=T0 + timedelta(seconds=seconds))
        assert last_seen() == T0
    assert resolve_session(db_session, token, SETTINGS, now=T0 + timedelta(seconds=60))
    assert last_seen() == T0 + timedelta(seconds=60)
