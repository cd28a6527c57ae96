"""Assignments: the class's list and one assignment (staff), and each learner's own list.

Dates are typed and shown as wall time in the class's zone (app.web.classtime) and stored in
UTC. Only a class's instructors change assignments and extensions; assistants may look.
Learners see every assignment of their non-archived classes at /assignments. The hook
``required_level`` (app.state.required_level) makes a class's gate apply to its learners.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.accounts import audit
from app.curriculum.mastery import rank
from app.db import coursework_repo as repo
from app.db.classes import GATE_LEVELS, TARGET_LEVELS, Assignment, Class, Membership
from app.db.coursework_repo import CourseworkError
from app.db.models import User
from app.web import classtime, coursework
from app.web.auth_deps import DbDep, RequiredUser, now
from app.web.class_access import ClassAccess, Staff, class_for
from app.web.learn_state import DEFAULT_REQUIRED, get_curriculum, levels_of, states_of
from app.web.pages import templates

router = APIRouter()
MAX_FORM_FIELDS = 400  # one checkbox per lesson and concept, and a few more


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


async def read_lists(request: Request) -> dict[str, list[str]]:
    """A url-encoded form keeping every value of a repeated field (checkbox lists)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(415, "send the form url-encoded (application/x-www-form-urlencoded)")
    try:
        return parse_qs(
            (await request.body()).decode(), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(400, f"unreadable form: {exc}") from None


ListForm = Annotated[dict[str, list[str]], Depends(read_lists)]


def _one(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def _zone_problem(klass: Class) -> str | None:
    try:
        classtime.zone(klass.timezone)
    except ValueError as exc:
        return f"this class's {exc}; fix it on the roster page before entering dates"
    return None


def _zone(klass: Class) -> str:
    """The class's zone, or UTC to show dates in while the class's is unknown."""
    return "UTC" if _zone_problem(klass) else klass.timezone


def _fields(form: dict[str, list[str]], klass: Class) -> tuple[dict[str, Any], dict[str, str]]:
    """The assignment form as repository fields, and the errors of its dates by field."""
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {
        "title": _one(form, "title"),
        "lesson_ids": [v for v in form.get("lessons", []) if v],
        "concept_ids": [v for v in form.get("concepts", []) if v],
        "required_level": _one(form, "level"),
        "opens_at": None,
        "due_at": None,
    }
    if problem := _zone_problem(klass):
        return fields, {"due": problem}
    for name, key in (("opens", "opens_at"), ("due", "due_at")):
        value = _one(form, name)
        if not value and name == "opens":
            continue
        try:
            fields[key] = classtime.to_utc(value, klass.timezone)
        except ValueError as exc:
            errors[name] = str(exc)
    return fields, errors


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


def _summary(request: Request, klass: Class, assignment: Assignment) -> dict[str, Any]:
    """An assignment as the class's pages and API show it."""
    curriculum, tz = get_curriculum(request), _zone(klass)
    opens = assignment.opens_at
    return {
        "id": assignment.id,
        "title": assignment.title,
        "lesson_ids": list(assignment.lesson_ids),
        "concept_ids": list(assignment.concept_ids),
        "lessons": coursework.titles(curriculum, assignment.lesson_ids, "lessons"),
        "concepts": coursework.titles(curriculum, assignment.concept_ids, "concepts"),
        "required_level": assignment.required_level,
        "opens_at": opens.isoformat() if opens else None,
        "due_at": assignment.due_at.isoformat(),
        "opens_shown": classtime.show(opens, tz) if opens else None,
        "due_shown": classtime.show(assignment.due_at, tz),
    }


def _learner_rows(
    request: Request,
    klass: Class,
    assignment: Assignment,
    learners: list[repo.Learner],
    levels: dict[int, dict[str, str]],
    extensions: dict[int, Any],
) -> list[dict[str, Any]]:
    """Each learner of the class on ``assignment``: status, due date, extension."""
    curriculum, tz, t = get_curriculum(request), _zone(klass), now(request)
    rows = []
    for learner in learners:
        extension = extensions.get(learner.user_id)
        due = coursework.effective_due(assignment, extension)
        status = coursework.learner_status(curriculum, assignment, levels[learner.user_id], due, t)
        rows.append(
            {
                "learner": learner,
                "status": status,
                "due_shown": classtime.show(due, tz),
                "extension": extension,
                "extension_input": classtime.to_local_input(due, tz) if extension else "",
            }
        )
    return rows


def _class_learners(db: Session, klass: Class) -> tuple[list[repo.Learner], dict]:
    learners = repo.class_learners(db, class_id=klass.id)
    return learners, repo.levels_by_learner(db, user_ids=[x.user_id for x in learners])


def _list_context(request: Request, db: Session, access: ClassAccess) -> dict[str, Any]:
    klass = access.klass
    learners, levels = _class_learners(db, klass)
    rows = []
    for assignment in repo.class_assignments(db, class_id=klass.id):
        extensions = repo.extensions_of(db, assignment_id=assignment.id)
        statuses = _learner_rows(request, klass, assignment, learners, levels, extensions)
        summary = _summary(request, klass, assignment)
        summary["done"] = sum(row["status"].state == "done" for row in statuses)
        summary["learners"] = len(statuses)
        rows.append(summary)
    return {
        "klass": klass,
        "tab": "assignments",
        "access": access,
        "rows": rows,
        "groups": coursework.lesson_groups(get_curriculum(request)),
        "levels": TARGET_LEVELS,
        "zone": _zone(klass),
        "zone_problem": _zone_problem(klass),
        "form": {},
        "errors": {},
    }


def _form_values(form: dict[str, list[str]]) -> dict[str, Any]:
    """What the user typed, to show again next to the errors."""
    return {
        "title": _one(form, "title"),
        "lessons": form.get("lessons", []),
        "concepts": form.get("concepts", []),
        "level": _one(form, "level"),
        "opens": _one(form, "opens"),
        "due": _one(form, "due"),
    }


@router.get("/classes/{class_id}/assignments", response_class=HTMLResponse)
def class_assignments_page(request: Request, class_id: int, user: Staff, db: DbDep) -> Response:
    """The class's assignments and, for instructors, the form to make one."""
    access = class_for(db, class_id, user)
    return _page(request, "classes/assignments.html", _list_context(request, db, access))


@router.post("/classes/{class_id}/assignments")
def create_assignment(
    request: Request, class_id: int, user: Staff, db: DbDep, form: ListForm
) -> Response:
    """Make an assignment; 303 to it, or the form again with the errors by field (422)."""
    access = class_for(db, class_id, user, need="instructor")
    fields, errors = _fields(form, access.klass)
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
        context = _list_context(request, db, access)
        context.update(form=_form_values(form), errors=errors)
        return _page(request, "classes/assignments.html", context, 422)
    _audit(request, db, user, change)
    db.commit()
    target = f"/classes/{class_id}/assignments/{change.assignment_id}"
    return RedirectResponse(target, status_code=303)


def _detail_context(
    request: Request, db: Session, access: ClassAccess, assignment: Assignment
) -> dict[str, Any]:
    tz = _zone(access.klass)
    opens = assignment.opens_at
    return {
        "klass": access.klass,
        "tab": "assignments",
        "access": access,
        "a": _summary(request, access.klass, assignment),
        "learners": _learner_rows(
            request,
            access.klass,
            assignment,
            *_class_learners(db, access.klass),
            repo.extensions_of(db, assignment_id=assignment.id),
        ),
        "groups": coursework.lesson_groups(get_curriculum(request)),
        "levels": TARGET_LEVELS,
        "zone": tz,
        "zone_problem": _zone_problem(access.klass),
        "form": {
            "title": assignment.title,
            "lessons": list(assignment.lesson_ids),
            "concepts": list(assignment.concept_ids),
            "level": assignment.required_level,
            "opens": classtime.to_local_input(opens, tz) if opens else "",
            "due": classtime.to_local_input(assignment.due_at, tz),
        },
        "errors": {},
        "ext_errors": {},
    }


@router.get("/classes/{class_id}/assignments/{assignment_id}", response_class=HTMLResponse)
def assignment_page(
    request: Request, class_id: int, assignment_id: int, user: Staff, db: DbDep
) -> Response:
    """One assignment: each learner's status and due date, extensions, edit and delete."""
    access = class_for(db, class_id, user)
    assignment = _assignment_or_404(db, access, assignment_id)
    context = _detail_context(request, db, access, assignment)
    return _page(request, "classes/assignment.html", context)


@router.post("/classes/{class_id}/assignments/{assignment_id}/edit")
def edit_assignment(
    request: Request, class_id: int, assignment_id: int, user: Staff, db: DbDep, form: ListForm
) -> Response:
    """Change an assignment; 303 back to it, or its page with the errors (422)."""
    access = class_for(db, class_id, user, need="instructor")
    assignment = _assignment_or_404(db, access, assignment_id)
    fields, errors = _fields(form, access.klass)
    if not errors:
        try:
            change = repo.edit_assignment(
                db, curriculum=get_curriculum(request), assignment=assignment, **fields
            )
        except CourseworkError as exc:
            errors[exc.field] = exc.message
    if errors:
        db.rollback()
        context = _detail_context(request, db, access, assignment)
        context.update(form=_form_values(form), errors=errors)
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
    request: Request, class_id: int, assignment_id: int, user: Staff, db: DbDep, form: ListForm
) -> Response:
    """Give one learner a later due date (or change it); errors shown on their row (422)."""
    access = class_for(db, class_id, user, need="instructor")
    assignment = _assignment_or_404(db, access, assignment_id)
    raw_user = _one(form, "user_id")
    error, where = None, "form"  # an error shows on the learner's row, or above the table
    try:
        learner_id = where = int(raw_user)
    except ValueError:
        error = f"user_id must be a learner's number, not {raw_user!r}"
    if error is None:
        try:
            problem = _zone_problem(access.klass)
            if problem:
                raise ValueError(problem)
            due = classtime.to_utc(_one(form, "due"), access.klass.timezone)
            change = repo.grant_extension(
                db,
                assignment=assignment,
                user_id=learner_id,
                due_at=due,
                reason=_one(form, "reason"),
                actor_id=user.id,
                now=now(request),
            )
        except CourseworkError as exc:
            error, where = exc.message, "form" if exc.field == "user_id" else learner_id
        except ValueError as exc:
            error = str(exc)
    if error is not None:
        db.rollback()
        context = _detail_context(request, db, access, assignment)
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
    context = _list_context(request, db, class_for(db, class_id, user))
    keep = ("opens_shown", "due_shown")
    rows = [{k: v for k, v in row.items() if k not in keep} for row in context["rows"]]
    return {"class_id": class_id, "timezone": context["zone"], "assignments": rows}


def _learner_items(request: Request, db: Session, user_id: int) -> list[dict[str, Any]]:
    """The learner's assignments, open and overdue first, then upcoming, then done."""
    curriculum, t = get_curriculum(request), now(request)
    levels = levels_of(states_of(db, user_id))
    items = []
    for row in repo.learner_assignments(db, user_id=user_id):
        assignment, tz = row.assignment, _zone(row.klass)
        due = coursework.effective_due(assignment, row.extension)
        status = coursework.learner_status(curriculum, assignment, levels, due, t)
        items.append(
            {
                "id": assignment.id,
                "class_id": row.klass.id,
                "class_name": row.klass.name,
                "title": assignment.title,
                "lessons": [
                    {"id": i, "title": title}
                    for i, title in coursework.lesson_links(curriculum, assignment)
                ],
                "required_level": assignment.required_level,
                "opens_at": assignment.opens_at.isoformat() if assignment.opens_at else None,
                "due_at": due.isoformat(),
                "due_shown": classtime.show(due, tz),
                "due_relative": classtime.relative(due, t),
                "extended": row.extension is not None,
                "original_due_shown": classtime.show(assignment.due_at, tz),
                "state": status.state,
                "done": status.done,
                "total": status.total,
                "fraction": status.fraction,
                "missing": coursework.titles(curriculum, status.missing, "concepts"),
                "_order": coursework.learner_order(status, due),
            }
        )
    items.sort(key=lambda item: item["_order"])
    for item in items:
        del item["_order"]
    return items


@router.get("/assignments", response_class=HTMLResponse)
def learner_assignments_page(request: Request, user: RequiredUser, db: DbDep) -> Response:
    """Every assignment of the signed-in learner's classes."""
    items = _learner_items(request, db, user.id)
    return _page(request, "learn/assignments.html", {"items": items})


@router.get("/api/assignments")
def learner_assignments_api(request: Request, user: RequiredUser, db: DbDep) -> dict:
    """The signed-in learner's assignments (times in UTC, ISO 8601), in the page's order."""
    return {"assignments": _learner_items(request, db, user.id)}
