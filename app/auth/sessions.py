"""Server-side sessions: a random token in the cookie, only its SHA-256 in the database.

A session ends when it is revoked (log out, or every session of a user at once), when it has
seen no request for ``session_idle_minutes``, or ``session_absolute_hours`` after login.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db.base import utcnow
from app.db.models import AuthSession, User

COOKIE_NAME = "layerwise_session"
# last_seen_at is written at most this often (or a tenth of the idle timeout, if shorter),
# so reading pages is not a write per request.
TOUCH_EVERY = timedelta(seconds=60)
# Ended sessions are kept this long (for the audit trail of recent logins), then deleted.
KEEP_ENDED = timedelta(days=1)


def hash_token(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(
    db: Session,
    user: User,
    settings: Settings,
    *,
    now: datetime | None = None,
    address: str | None = None,
    user_agent: str | None = None,
) -> str:
    """A new session for ``user`` (flushed, not committed); returns the cookie's token.

    Sessions that ended more than a day ago are deleted on the way, so the table stays small.
    """
    now = now or utcnow()
    cutoff = now - KEEP_ENDED
    db.execute(
        delete(AuthSession).where(
            or_(AuthSession.expires_at < cutoff, AuthSession.revoked_at < cutoff)
        )
    )
    token = secrets.token_urlsafe(32)
    db.add(
        AuthSession(
            token_hash=hash_token(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
            address=address,
            user_agent=(user_agent or "")[:256] or None,
        )
    )
    db.flush()
    return token


def resolve_session(
    db: Session, token: str | None, settings: Settings, *, now: datetime | None = None
) -> User | None:
    """The user whose live session ``token`` names, or None (unknown, revoked, expired).

    Touches the session's last_seen_at (committed) so the idle timeout counts from now.
    """
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    row = db.execute(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    session, user = row
    idle = timedelta(minutes=settings.session_idle_minutes)
    if (
        session.revoked_at is not None
        or now >= session.expires_at
        or now - session.last_seen_at >= idle
        or user.disabled
    ):
        return None
    if now - session.last_seen_at >= min(TOUCH_EVERY, idle / 10):
        session.last_seen_at = now
        db.commit()
    return user


def revoke_session(db: Session, token: str | None, *, now: datetime | None = None) -> None:
    """End the session ``token`` names (flushed, not committed); unknown tokens are ignored."""
    if not token:
        return
    db.execute(
        update(AuthSession)
        .where(AuthSession.token_hash == hash_token(token), AuthSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def revoke_all(
    db: Session, user_id: int, *, now: datetime | None = None, keep: str | None = None
) -> int:
    """End every live session of a user except ``keep``'s; returns how many ended."""
    query = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep:
        query = query.where(AuthSession.token_hash != hash_token(keep))
    result = db.execute(query.values(revoked_at=now or utcnow()))
    return result.rowcount or 0
