"""What the class's assignment pages show and read: their contexts and their forms.

The routes in app.web.assignments call these; dates are read and shown as wall time in the
class's zone (app.web.classtime), a class whose zone is unknown shows UTC and refuses dates.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from app.db import coursework_repo as repo
from app.db.classes import TARGET_LEVELS, Assignment, Class
from app.web import classtime, coursework
from app.web.auth_deps import now
from app.web.class_access import ClassAccess
from app.web.learn_state import get_curriculum

MAX_FORM_FIELDS = 400  # one checkbox per lesson and concept, and a few more


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


def one(form: dict[str, list[str]], name: str) -> str:
    """The first value of a field, stripped ("" when absent)."""
    return (form.get(name) or [""])[0].strip()


def zone_problem(klass: Class) -> str | None:
    """What is wrong with the class's time zone, or None when it is a known one."""
    try:
        classtime.zone(klass.timezone)
    except ValueError as exc:
        return f"this class's {exc}; fix it on the roster page before entering dates"
    return None


def shown_zone(klass: Class) -> str:
    """The class's zone, or UTC to show dates in while the class's is unknown."""
    return classtime.shown_zone(klass.timezone)


def form_fields(form: dict[str, list[str]], klass: Class) -> tuple[dict[str, Any], dict[str, str]]:
    """The assignment form as repository fields, and the errors of its dates by field."""
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {
        "title": one(form, "title"),
        "lesson_ids": [v for v in form.get("lessons", []) if v],
        "concept_ids": [v for v in form.get("concepts", []) if v],
        "required_level": one(form, "level"),
        "opens_at": None,
        "due_at": None,
    }
    if problem := zone_problem(klass):
        return fields, {"due": problem}
    for name, key in (("opens", "opens_at"), ("due", "due_at")):
        value = one(form, name)
        if not value and name == "opens":
            continue
        try:
            fields[key] = classtime.to_utc(value, klass.timezone)
        except ValueError as exc:
            errors[name] = str(exc)
    return fields, errors


def summary(request: Request, klass: Class, assignment: Assignment) -> dict[str, Any]:
    """An assignment as the class's pages and API show it."""
    curriculum, tz = get_curriculum(request), shown_zone(klass)
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


def learner_rows(
    request: Request,
    klass: Class,
    assignment: Assignment,
    learners: list[repo.Learner],
    levels: dict[int, dict[str, str]],
    extensions: dict[int, Any],
) -> list[dict[str, Any]]:
    """Each learner of the class on ``assignment``: status, due date, extension."""
    curriculum, tz, t = get_curriculum(request), shown_zone(klass), now(request)
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


def class_learners(db: Session, klass: Class) -> tuple[list[repo.Learner], dict]:
    learners = repo.class_learners(db, class_id=klass.id)
    return learners, repo.levels_by_learner(db, user_ids=[x.user_id for x in learners])


def list_context(request: Request, db: Session, access: ClassAccess) -> dict[str, Any]:
    klass = access.klass
    learners, levels = class_learners(db, klass)
    rows = []
    for assignment in repo.class_assignments(db, class_id=klass.id):
        extensions = repo.extensions_of(db, assignment_id=assignment.id)
        statuses = learner_rows(request, klass, assignment, learners, levels, extensions)
        row = summary(request, klass, assignment)
        row["done"] = sum(learner["status"].state == "done" for learner in statuses)
        row["learners"] = len(statuses)
        rows.append(row)
    return {
        "klass": klass,
        "tab": "assignments",
        "access": access,
        "rows": rows,
        "groups": coursework.lesson_groups(get_curriculum(request)),
        "levels": TARGET_LEVELS,
        "zone": shown_zone(klass),
        "zone_problem": zone_problem(klass),
        "form": {},
        "errors": {},
    }


def form_values(form: dict[str, list[str]]) -> dict[str, Any]:
    """What the user typed, to show again next to the errors."""
    return {
        "title": one(form, "title"),
        "lessons": form.get("lessons", []),
        "concepts": form.get("concepts", []),
        "level": one(form, "level"),
        "opens": one(form, "opens"),
        "due": one(form, "due"),
    }


def detail_context(
    request: Request, db: Session, access: ClassAccess, assignment: Assignment
) -> dict[str, Any]:
    tz = shown_zone(access.klass)
    opens = assignment.opens_at
    return {
        "klass": access.klass,
        "tab": "assignments",
        "access": access,
        "a": summary(request, access.klass, assignment),
        "learners": learner_rows(
            request,
            access.klass,
            assignment,
            *class_learners(db, access.klass),
            repo.extensions_of(db, assignment_id=assignment.id),
        ),
        "groups": coursework.lesson_groups(get_curriculum(request)),
        "levels": TARGET_LEVELS,
        "zone": tz,
        "zone_problem": zone_problem(access.klass),
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
