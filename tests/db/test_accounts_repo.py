"""Account repository functions on both databases: create, authenticate, audit, constraints."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.accounts import AccountError, authenticate, create_user
from app.config import Settings
from app.db.models import AuditLog, AuthSession, User

SETTINGS = Settings(argon2_memory_kib=1024, argon2_time_cost=1)
PASSWORD = "a long enough secret"


def test_create_user_normalises_and_audits(db_session: Session) -> None:
    user = create_user(
        db_session, SETTINGS, email="  Ada@Example.ORG ", password=PASSWORD, role="instructor"
    )
    db_session.commit()
    assert (user.email, user.display_name, user.role) == ("ada@example.org", "ada", "instructor")
    assert user.created_at.tzinfo is not None and not user.disabled
    entry = db_session.scalars(select(AuditLog)).one()
    assert (entry.action, entry.target_id, entry.detail) == (
        "user.create",
        str(user.id),
        {"role": "instructor"},
    )


def test_create_user_refuses_duplicates_and_unknown_roles(db_session: Session) -> None:
    create_user(db_session, SETTINGS, email="ada@example.org", password=PASSWORD)
    with pytest.raises(AccountError, match="already exists") as taken:
        create_user(db_session, SETTINGS, email="ADA@example.org", password=PASSWORD)
    assert taken.value.field == "email"
    with pytest.raises(AccountError, match="role must be one of learner, instructor, admin"):
        create_user(db_session, SETTINGS, email="bob@example.org", password=PASSWORD, role="god")


def test_database_enforces_unique_email_and_roles(db_session: Session) -> None:
    db_session.add(User(email="a@x.org", display_name="A", password_hash="h", role="learner"))
    db_session.commit()
    db_session.add(User(email="A@X.org", display_name="B", password_hash="h", role="learner"))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()
    db_session.add(User(email="c@x.org", display_name="C", password_hash="h", role="root"))
    with pytest.raises(IntegrityError):
        db_session.commit()


def test_deleting_a_user_deletes_their_sessions(db_session: Session) -> None:
    from app.auth.sessions import create_session

    user = create_user(db_session, SETTINGS, email="ada@example.org", password=PASSWORD)
    create_session(db_session, user, SETTINGS)
    db_session.commit()
    db_session.delete(user)
    db_session.commit()
    assert db_session.scalars(select(AuthSession)).all() == []
    assert db_session.scalars(select(AuditLog.actor_id)).all() == [None]


def test_authenticate(db_session: Session) -> None:
    user = create_user(db_session, SETTINGS, email="ada@example.org", password=PASSWORD)
    db_session.commit()
    assert authenticate(db_session, SETTINGS, email="ADA@example.org", password=PASSWORD) is user
    assert authenticate(db_session, SETTINGS, email="ada@example.org", password="nope") is None
    assert authenticate(db_session, SETTINGS, email="who@example.org", password=PASSWORD) is None
    user.disabled = True
    db_session.commit()
    assert authenticate(db_session, SETTINGS, email="ada@example.org", password=PASSWORD) is None
