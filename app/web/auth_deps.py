"""FastAPI dependencies for the database and the signed-in user.

Routes that change data commit their own session (``db.commit()``); `get_db` only closes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, WebSocket
from sqlalchemy.orm import Session

from app.auth.sessions import COOKIE_NAME, resolve_session
from app.db.base import utcnow
from app.db.models import User


def now(request: Request | WebSocket) -> datetime:
    """The app's clock: ``app.state.clock`` when a test froze it, else the real UTC now."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else utcnow()


def get_db(request: Request) -> Iterator[Session]:
    """A database session for one request, closed afterwards (routes commit explicitly)."""
    with request.app.state.sessionmaker() as session:
        yield session


def _resolve(connection: Request | WebSocket) -> User | None:
    state = connection.state
    if not hasattr(state, "user"):
        token = connection.cookies.get(COOKIE_NAME)
        user = None
        if token:
            with connection.app.state.sessionmaker() as db:
                user = resolve_session(
                    db, token, connection.app.state.settings, now=now(connection)
                )
        state.user = user
    return state.user


def current_user(request: Request) -> User | None:
    """The user whose session cookie came with the request, or None (anonymous)."""
    return _resolve(request)


def login_redirect(request: Request) -> HTTPException:
    """401 for the JSON API and websockets' HTTP side; a redirect to /login?next= for pages."""
    if request.url.path.startswith("/api/"):
        return HTTPException(401, "log in first", headers={"WWW-Authenticate": "Session"})
    if request.method not in ("GET", "HEAD"):  # a form post cannot be replayed after login
        return HTTPException(303, "log in first", headers={"Location": "/login"})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return HTTPException(303, "log in first", headers={"Location": f"/login?next={quote(target)}"})


def require_user(request: Request) -> User:
    """The signed-in user; anonymous requests get 401 (API) or go to the login page."""
    user = current_user(request)
    if user is None:
        raise login_redirect(request)
    return user


def require_role(*roles: str) -> Callable[[Request], User]:
    """A dependency admitting only signed-in users with one of ``roles`` (else 403)."""

    def dependency(request: Request) -> User:
        user = require_user(request)
        if user.role not in roles:
            raise HTTPException(403, f"this needs the role {' or '.join(roles)}")
        return user

    return dependency


def websocket_user(websocket: WebSocket) -> User | None:
    """The user of the session cookie sent with a websocket handshake, or None."""
    return _resolve(websocket)


DbDep = Annotated[Session, Depends(get_db)]
CurrentUser = Annotated[User | None, Depends(current_user)]
RequiredUser = Annotated[User, Depends(require_user)]
