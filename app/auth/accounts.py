"""Accounts: creating users, checking their passwords and changing them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.passwords import hash_password, verify_password
from app.config import Settings
from app.db.models import EMAIL, ROLES, User, audit

MAX_NAME = 80


class AccountError(ValueError):
    """Input an account cannot take; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normal_email(email: str) -> str:
    """The stored form of an email address (trimmed, lower-case), or AccountError."""
    email = email.strip().lower()
    if len(email) > 254 or not EMAIL.match(email):
        raise AccountError("email", "enter an email address such as ada@example.org")
    return email


def normal_name(name: str) -> str:
    """A display name trimmed to 1–80 printable characters, or AccountError."""
    name = " ".join(name.split())
    if not name:
        raise AccountError("display_name", "enter the name others should see")
    if len(name) > MAX_NAME or not name.isprintable():
        raise AccountError("display_name", f"the name may have at most {MAX_NAME} characters")
    return name


def find_user(db: Session, email: str) -> User | None:
    """The user with this email (any case), or None."""
    return db.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(
    db: Session,
    settings: Settings,
    *,
    email: str,
    password: str,
    display_name: str | None = None,
    role: str = "learner",
    actor_id: int | None = None,
) -> User:
    """A new user (flushed, not committed); AccountError names a bad or taken field."""
    email = normal_email(email)
    name = normal_name(display_name if display_name is not None else email.split("@")[0])
    if role not in ROLES:
        raise AccountError("role", f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if db.scalar(select(func.count()).where(User.email == email)):
        raise AccountError("email", f"an account for {email} already exists")
    try:
        password_hash = hash_password(password, settings)
    except ValueError as exc:
        raise AccountError("password", str(exc)) from None
    user = User(email=email, display_name=name, password_hash=password_hash, role=role)
    db.add(user)
    db.flush()
    audit(db, actor_id, "user.create", "user", user.id, {"role": role})
    return user


def authenticate(db: Session, settings: Settings, *, email: str, password: str) -> User | None:
    """The enabled user with this email and password, or None (the same time either way)."""
    user = find_user(db, email)
    if user is not None and user.disabled:
        user = None
    kept = verify_password(password, user.password_hash if user else None, settings)
    if user is None or kept is None:
        return None
    if kept != user.password_hash:  # the configured cost changed: store the new hash
        user.password_hash = kept
    return user


def change_password(db: Session, settings: Settings, user: User, *, current: str, new: str) -> None:
    """Replace the password after checking the current one (flushed, not committed)."""
    if verify_password(current, user.password_hash, settings) is None:
        raise AccountError("current_password", "the current password is not right")
    try:
        user.password_hash = hash_password(new, settings)
    except ValueError as exc:
        raise AccountError("new_password", str(exc)) from None
    audit(db, user.id, "user.password", "user", user.id)
