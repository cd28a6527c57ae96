"""Login throttling per account and per address, kept in the database.

Failures are rows, so the limit holds across restarts and replicas. An account is locked
after ``login_max_failures`` failures within ``login_window_minutes``; an address after
``login_address_max_failures``. A successful login clears the account's failures only
(one's own login must not reset a guessing address's count).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db.base import utcnow
from app.db.models import LoginFailure


def _retry_after(
    db: Session,
    where: ColumnElement[bool],
    limit: int,
    since: datetime,
    window: timedelta,
    now: datetime,
) -> int | None:
    query = select(func.count(), func.min(LoginFailure.created_at)).where(
        where, LoginFailure.created_at > since
    )
    count, oldest = db.execute(query).one()
    if count < limit:
        return None
    return max(1, math.ceil((oldest + window - now).total_seconds()))


def retry_after(
    db: Session,
    settings: Settings,
    *,
    email: str,
    address: str | None,
    now: datetime | None = None,
) -> int | None:
    """Seconds until this account and address may try again, or None if they may now."""
    now = now or utcnow()
    window = timedelta(minutes=settings.login_window_minutes)
    since = now - window
    waits = [
        _retry_after(
            db,
            LoginFailure.email == email.strip().lower(),
            settings.login_max_failures,
            since,
            window,
            now,
        )
    ]
    if address:
        waits.append(
            _retry_after(
                db,
                LoginFailure.address == address,
                settings.login_address_max_failures,
                since,
                window,
                now,
            )
        )
    found = [w for w in waits if w is not None]
    return max(found) if found else None


def record_failure(
    db: Session,
    settings: Settings,
    *,
    email: str,
    address: str | None,
    now: datetime | None = None,
) -> None:
    """Count one failed login (flushed, not committed) and forget failures past the window."""
    now = now or utcnow()
    cutoff = now - timedelta(minutes=settings.login_window_minutes)
    db.execute(delete(LoginFailure).where(LoginFailure.created_at <= cutoff))
    db.add(LoginFailure(email=email.strip().lower()[:254], address=address, created_at=now))
    db.flush()


def clear_account(db: Session, *, email: str) -> None:
    """Forget an account's failures after it logged in (they still count for their address)."""
    db.execute(
        update(LoginFailure).where(LoginFailure.email == email.strip().lower()).values(email=None)
    )
