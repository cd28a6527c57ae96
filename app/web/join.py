"""Learners join a class with its code at /join, see the classes they are in, and leave.

A join code makes its holder a learner of the class and nothing more (staff are added by an
instructor). Errors name the problem: an unknown code, joining turned off, an archived class.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import roster
from app.db.classes import Class
from app.db.models import AuditLog
from app.db.roster import RosterError
from app.web.accounts import FormDep
from app.web.auth_deps import DbDep, RequiredUser, now
from app.web.pages import templates

router = APIRouter()


def has_left(db: Session, user_id: int, class_id: int) -> bool:
    """Whether the user left this class (so the page may name it; other ids stay unnamed)."""
    query = select(AuditLog.id).where(
        AuditLog.actor_id == user_id,
        AuditLog.action == "class.leave",
        AuditLog.target_type == "class",
        AuditLog.target_id == str(class_id),
    )
    return db.scalar(query.limit(1)) is not None


def join_page(
    request: Request,
    db: Session,
    user: RequiredUser,
    *,
    code: str = "",
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    """The join form and the classes you are a learner in."""
    context = {
        "code": code,
        "error": error,
        "notice": notice,
        "classes": roster.learner_classes(db, user_id=user.id),
    }
    return templates.TemplateResponse(request, "learn/join.html", context, status_code=status)


@router.get("/join", response_class=HTMLResponse)
def join_form(
    request: Request, user: RequiredUser, db: DbDep, code: str = "", left: int | None = None
) -> HTMLResponse:
    """Join a class by its code (``?code=`` fills the form)."""
    klass = db.get(Class, left) if left is not None and has_left(db, user.id, left) else None
    notice = f"You left {klass.name}." if klass is not None else None
    return join_page(request, db, user, code=roster.normal_code(code)[:16], notice=notice)


@router.post("/join")
def join(request: Request, user: RequiredUser, form: FormDep, db: DbDep) -> Response:
    """Join the class whose code was typed; go to your assignments."""
    code = form.get("code", "")
    try:
        klass, joined = roster.join_by_code(db, user=user, code=code, now=now(request))
    except RosterError as exc:
        db.rollback()
        return join_page(request, db, user, code=code[:32], status=400, error=exc.message)
    if not joined:
        notice = f"You are already in {klass.name}."
        return join_page(request, db, user, code=klass.join_code or "", notice=notice)
    db.commit()
    return RedirectResponse(f"/assignments?joined={klass.id}", status_code=303)


@router.post("/join/leave/{class_id}")
def leave(request: Request, class_id: int, user: RequiredUser, db: DbDep) -> Response:
    """Leave a class you are a learner in."""
    try:
        klass = roster.leave_class(db, user_id=user.id, class_id=class_id, now=now(request))
    except RosterError as exc:
        raise HTTPException(404, exc.message) from None
    db.commit()
    return RedirectResponse(f"/join?left={klass.id}", status_code=303)
