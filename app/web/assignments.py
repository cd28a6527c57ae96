"""Assignments: the class's list and one assignment (staff), and each learner's own list.

Dates are typed and shown as wall time in the class's zone (app.web.classtime) and stored in
UTC. Only a class's instructors change assignments and extensions; assistants may look.
Learners see every assignment of their non-archived classes at /assignments
(app.web.my_assignments, included here). The hook ``required_level``
(app.state.required_level) makes a class's gate apply to its learners.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.curriculum.mastery import rank
from app.db import coursework_repo as repo
from app.db.classes import GATE_LEVELS, Assignment, Class, Membership
from app.db.coursework_repo import CourseworkError
from app.db.models import User, audit
from app.web import assignment_views as views
from app.web import classtime, my_assignments
from app.web.auth_deps import DbDep, now
from app.web.class_access import ClassAccess, Staff, class_for
from app.web.learn_state import DEFAULT_REQUIRED, get_curriculum
from app.web.pages import templates

router = APIRouter()
router.include_router(my_assignments.router)  # the learner's side: /assignments


def required_level(db: Session, user_id: int) -> str:
    """The strictest gate among the learner's non-archived classes ("familiar" when none)."""
    levels = db.scalars(
        select(Class.required_level)
        .join(Membership, Membership.class_id == Class.id)
        .where(Membership.user_id == user_id, Membership.role == "learner")
        .where(Class.archived_at.is_(None))
    )
    known = [level for level in levels if level in GATE_LEVELS]
    return max(known, key=rank, default=DEFAULT_REQUIRED)


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status)


def _audit(request: Request, db: Session, user: User, change: repo.Change) -> None:
    """Write an instructor's change to the audit log (committed with the change)."""
    audit(
        db,
        user.id,
        change.action,
        "assignment",
        change.assignment_id,
        change.detail,
        now=now(request),
    )


def _assignment_or_404(db: Session, access: ClassAccess, assignment_id: int) -> Assignment:
    assignment = repo.get_assignment(db, class_id=access.klass.id, assignment_id=assignment_id)
    if assignment is None:
        raise HTTPException(404, f"no assignment {assignment_id} in this class")
    return assignment


@router.get("/classes/{class_id}/assignments", response_class=HTMLResponse)
def class_assignments_page(request: Request, class_id: int, user: Staff, db: DbDep) -> Response:
    """The class's assignments and, for instructors, the form to make one."""
    access = class_for(db, class_id, user)
    return _page(request, "classes/assignments.html", views.list_context(request, db, access))


@router.post("/classes/{class_id}/assignments")
def create_assignment(
    request: Request, class_id: int, user: Staff, db: DbDep, form: views.ListForm
) -> Response:
    """Make an assignment; 303 to it, or the form again with the errors by field (422)."""
    access = class_for(db, class_id, user, need="instructor")
    fields, errors = views.form_fields(form, access.klass)
    if not errors:
        try:
            change = repo.create_assignment(
                db,
                curriculum=get_curriculum(request),
                class_id=class_id,
                actor_id=user.id,
                now=now(request),
                **fields,
            )
        except CourseworkError as exc:
            errors[exc.field] = exc.message
    if errors:
        context = views.list_context(request, db, access)
        context.update(form=views.form_values(form), errors=errors)
        return _page(request, "classes/assignments.html", context, 422)
    _audit(request, db, user, change)
    db.commit()
    target = f"/classes/{class_id}/assignments/{change.assignment_id}"
    return RedirectResponse(target, status_code=303)


@router.get("/classes/{class_id}/assignments/{assignment_id}", response_class=HTMLResponse)
def assignment_page(
    request: Request, class_id: int, assignment_id: int, user: Staff, db: DbDep
) -> Response:
    """One assignment: each learner's status and due date, extensions, edit and delete."""
    access = class_for(db, class_id, user)
    assignment = _assignment_or_404(db, access, assignment_id)
    context = views.detail_context(request, db, access, assignment)
    return _page(request, "classes/assignment.html", context)


@router.post("/classes/{class_id}/assignments/{assignment_id}/edit")
def edit_assignment(
    request: Request,
    class_id: int,
    assignment_id: int,
    user: Staff,
    db: DbDep,
    form: views.ListForm,
) -> Response:
    """Change an assignment; 303 back to it, or its page with the errors (422)."""
    access = class_for(db, class_id, user, need="instructor")
    assignment = _assignment_or_404(db, access, assignment_id)
    fields, errors = views.form_fields(form, access.klass)
    if not errors:
        try:
            change = repo.edit_assignment(
                db, curriculum=get_curriculum(request), assignment=assignment, **fields
            )
        except CourseworkError as exc:
            errors[exc.field] = exc.message
    if errors:
        db.rollback()
        context = views.detail_context(request, db, access, assignment)
        context.update(form=views.form_values(form), errors=errors)
        return _page(request, "classes/assignment.html", context, 422)
    _audit(request, db, user, change)
    db.commit()
    return RedirectResponse(f"/classes/{class_id}/assignments/{assignment_id}", status_code=303)


@router.post("/classes/{class_id}/assignments/{assignment_id}/delete")
def delete_assignment(
    request: Request, class_id: int, assignment_id: int, user: Staff, db: DbDep
) -> Response:
    """Delete an assignment and its extensions; 303 to the class's list."""
    access = class_for(db, class_id, user, need="instructor")
    assignment = _assignment_or_404(db, access, assignment_id)
    _audit(request, db, user, repo.delete_assignment(db, assignment=assignment))
    db.commit()
    return RedirectResponse(f"/classes/{class_id}/assignments", status_code=303)


@router.post("/classes/{class_id}/assignments/{assignment_id}/extensions")
def grant_extension(
    request: Request,
    class_id: int,
    assignment_id: int,
    user: Staff,
    db: DbDep,
    form: views.ListForm,
) -> Response:
    """Give one learner a later due date (or change it); errors shown on their row (422)."""
    access = class_for(db, class_id, user, need="instructor")
    assignment = _assignment_or_404(db, access, assignment_id)
    raw_user = views.one(form, "user_id")
    error, where = None, "form"  # an error shows on the learner's row, or above the table
    try:
        learner_id = where = int(raw_user)
    except ValueError:
        error = f"user_id must be a learner's number, not {raw_user!r}"
    if error is None:
        try:
            problem = views.zone_problem(access.klass)
            if problem:
                raise ValueError(problem)
            due = classtime.to_utc(views.one(form, "due"), access.klass.timezone)
            change = repo.grant_extension(
                db,
                assignment=assignment,
                user_id=learner_id,
                due_at=due,
                reason=views.one(form, "reason"),
                actor_id=user.id,
                now=now(request),
            )
        except CourseworkError as exc:
            error, where = exc.message, "form" if exc.field == "user_id" else learner_id
        except ValueError as exc:
            error = str(exc)
    if error is not None:
        db.rollback()
        context = views.detail_context(request, db, access, assignment)
        context["ext_errors"] = {where: error}
        return _page(request, "classes/assignment.html", context, 422)
    _audit(request, db, user, change)
    db.commit()
    return RedirectResponse(f"/classes/{class_id}/assignments/{assignment_id}", status_code=303)


@router.post("/classes/{class_id}/assignments/{assignment_id}/extensions/{user_id}/remove")
def withdraw_extension(
    request: Request, class_id: int, assignment_id: int, user_id: int, user: Staff, db: DbDep
) -> Response:
    """Take a learner's extension back; 303 to the assignment (404 when there was none)."""
    access = class_for(db, class_id, user, need="instructor")
    assignment = _assignment_or_404(db, access, assignment_id)
    change = repo.withdraw_extension(db, assignment=assignment, user_id=user_id)
    if change is None:
        raise HTTPException(404, f"user {user_id} has no extension of this assignment")
    _audit(request, db, user, change)
    db.commit()
    return RedirectResponse(f"/classes/{class_id}/assignments/{assignment_id}", status_code=303)


@router.get("/api/classes/{class_id}/assignments")
def class_assignments_api(request: Request, class_id: int, user: Staff, db: DbDep) -> dict:
    """The class's assignments with how many learners are done (times in UTC, ISO 8601)."""
    context = views.list_context(request, db, class_for(db, class_id, user))
    keep = ("opens_shown", "due_shown")
    rows = [{k: v for k, v in row.items() if k not in keep} for row in context["rows"]]
    return {"class_id": class_id, "timezone": context["zone"], "assignments": rows}
