"""Account pages: sign up, log in, log out, and the account page (name, password, sessions).

Forms are plain HTML posts (no script); every error is shown next to its field. Bodies are
url-encoded and already capped by the security middleware.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import throttle
from app.auth.accounts import (
    AccountError,
    authenticate,
    change_password,
    create_user,
    normal_email,
    normal_name,
)
from app.auth.passwords import check_password_rules
from app.auth.sessions import COOKIE_NAME, create_session, revoke_all, revoke_session
from app.config import Settings
from app.db.models import User, audit
from app.db.roster import claim_invites
from app.web.auth_deps import DbDep, RequiredUser, current_user, now
from app.web.pages import templates

router = APIRouter()
MAX_FIELDS = 20
NOTICES = {
    "name": "Your name was saved.",
    "password": "Your password was changed; every other session was logged out.",
    "sessions": "Every other session was logged out.",
}


async def read_form(request: Request) -> dict[str, str]:
    """The url-encoded form of a POST (first value of each field); 415/400 otherwise."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(415, "send the form url-encoded (application/x-www-form-urlencoded)")
    try:
        fields = parse_qs(
            (await request.body()).decode(),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(400, f"unreadable form: {exc}") from None
    return {key: values[0] for key, values in fields.items()}


FormDep = Annotated[dict[str, str], Depends(read_form)]


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site (not a login page), else "/"."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(c in target for c in "\\\r\n\t") or target.split("?")[0] in ("/login", "/signup"):
        return "/"
    return target


def client_address(request: Request) -> str | None:
    """The address the request came from (what the proxy headers say, if trusted)."""
    return request.client.host if request.client else None


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure over https or when configured."""
    settings: Settings = request.app.state.settings
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=settings.session_absolute_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies or request.url.scheme == "https",
    )


def start_session(request: Request, db: DbDep, user: User, target: str) -> Response:
    """Rotate: end the session the request came with, open a new one, commit, redirect."""
    settings: Settings = request.app.state.settings
    t = now(request)
    revoke_session(db, request.cookies.get(COOKIE_NAME), now=t)
    token = create_session(
        db,
        user,
        settings,
        now=t,
        address=client_address(request),
        user_agent=request.headers.get("user-agent"),
    )
    db.commit()
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, token)
    return response


def render(
    request: Request, name: str, context: dict[str, Any], status: int = 200, **headers: str
) -> HTMLResponse:
    """One of templates/auth/*.html."""
    response = templates.TemplateResponse(request, f"auth/{name}", context, status_code=status)
    response.headers.update(headers)
    return response


def signup_closed(request: Request) -> HTMLResponse | None:
    """The page saying sign-up is closed, when the operator closed it."""
    if request.app.state.settings.signup_open:
        return None
    return render(request, "signup_closed.html", {}, 403)


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-up form."""
    if closed := signup_closed(request):
        return closed
    return render(request, "signup.html", {"next": safe_next(next), "form": {}, "errors": {}})


def signup_errors(form: dict[str, str]) -> dict[str, str]:
    """Every field's problem at once (the taken email is found by create_user)."""
    errors: dict[str, str] = {}
    checks = [
        ("email", lambda: normal_email(form.get("email", ""))),
        ("display_name", lambda: normal_name(form.get("display_name", ""))),
        ("password", lambda: check_password_rules(form.get("password", ""))),
    ]
    for field, check in checks:
        try:
            check()
        except ValueError as exc:
            errors[field] = str(exc)
    if "password" not in errors and form.get("password") != form.get("password_confirm"):
        errors["password_confirm"] = "the two passwords differ"
    return errors


@router.post("/signup")
def signup(request: Request, form: FormDep, db: DbDep) -> Response:
    """Create a learner account and log it in; errors come back beside their fields."""
    if closed := signup_closed(request):
        return closed
    settings: Settings = request.app.state.settings
    target = safe_next(form.get("next"))
    password = form.get("password", "")
    errors = signup_errors(form)
    if not errors:
        try:
            user = create_user(
                db,
                settings,
                email=form.get("email", ""),
                password=password,
                display_name=form.get("display_name", ""),
            )
        except AccountError as exc:
            db.rollback()
            errors[exc.field] = exc.message
    if errors:
        context = {"next": target, "form": {k: form.get(k, "") for k in ("email", "display_name")}}
        return render(request, "signup.html", {**context, "errors": errors}, status=400)
    audit(db, user.id, "user.signup", "user", user.id)
    claim_invites(db, user=user, now=now(request))  # a roster may have invited them
    return start_session(request, db, user, target)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The login form."""
    return render(request, "login.html", {"next": safe_next(next), "email": "", "error": None})


@router.post("/login")
def login(request: Request, form: FormDep, db: DbDep) -> Response:
    """Check the password (throttled per account and per address) and open a new session."""
    settings: Settings = request.app.state.settings
    t = now(request)
    email = form.get("email", "").strip().lower()[:254]
    address = client_address(request)
    context = {"next": safe_next(form.get("next")), "email": email}
    wait = throttle.retry_after(db, settings, email=email, address=address, now=t)
    if wait is not None:
        minutes = math.ceil(wait / 60)
        error = f"Too many failed logins. Try again in {minutes} minute{'s' * (minutes != 1)}."
        return render(
            request, "login.html", {**context, "error": error}, 429, **{"Retry-After": str(wait)}
        )
    user = authenticate(db, settings, email=email, password=form.get("password", ""))
    if user is None:
        throttle.record_failure(db, settings, email=email, address=address, now=t)
        db.commit()
        error = "That email and password do not match an account."
        return render(request, "login.html", {**context, "error": error}, 401)
    throttle.clear_account(db, email=email)
    audit(db, user.id, "user.login", "user", user.id, now=t)
    claim_invites(db, user=user, now=t)
    return start_session(request, db, user, context["next"])


@router.post("/logout")
def logout(request: Request, db: DbDep) -> Response:
    """End this session and forget its cookie."""
    user = current_user(request)
    revoke_session(db, request.cookies.get(COOKIE_NAME), now=now(request))
    if user is not None:
        audit(db, user.id, "user.logout", "user", user.id)
    db.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return response


def account_page(
    request: Request, user: User, status: int = 200, errors: dict[str, str] | None = None
) -> HTMLResponse:
    """The account page with the user's details and any errors."""
    notice = NOTICES.get(request.query_params.get("done", ""))
    context = {"user": user, "errors": errors or {}, "notice": notice}
    return render(request, "account.html", context, status)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: RequiredUser) -> HTMLResponse:
    """The signed-in user's account: display name, password, sessions."""
    return account_page(request, user)


@router.post("/account/name")
def account_name(request: Request, user: RequiredUser, form: FormDep, db: DbDep) -> Response:
    """Change the display name."""
    try:
        name = normal_name(form.get("display_name", ""))
    except AccountError as exc:
        return account_page(request, user, 400, {exc.field: exc.message})
    row = db.get(User, user.id)
    assert row is not None
    row.display_name = name
    audit(db, user.id, "user.rename", "user", user.id)
    db.commit()
    return RedirectResponse("/account?done=name", status_code=303)


@router.post("/account/password")
def account_password(request: Request, user: RequiredUser, form: FormDep, db: DbDep) -> Response:
    """Change the password; every other session ends and this one is rotated."""
    settings: Settings = request.app.state.settings
    row = db.get(User, user.id)
    assert row is not None
    new = form.get("new_password", "")
    try:
        if new != form.get("new_password_confirm", ""):
            raise AccountError("new_password_confirm", "the two new passwords differ")
        change_password(db, settings, row, current=form.get("current_password", ""), new=new)
    except AccountError as exc:
        db.rollback()
        return account_page(request, user, 400, {exc.field: exc.message})
    revoke_all(db, row.id, now=now(request))
    return start_session(request, db, row, "/account?done=password")


@router.post("/account/sessions")
def account_sessions(request: Request, user: RequiredUser, db: DbDep) -> Response:
    """Log out every other session of this account."""
    revoke_all(db, user.id, now=now(request), keep=request.cookies.get(COOKIE_NAME))
    audit(db, user.id, "user.revoke_sessions", "user", user.id)
    db.commit()
    return RedirectResponse("/account?done=sessions", status_code=303)
