"""A learner's assignments: every assignment of their non-archived classes, with their status.

Open and overdue first, then upcoming, then done; due dates in each class's time zone, an
extension in place of the class's date. The page is /assignments, the JSON /api/assignments;
the router is included by app.web.assignments.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.db import coursework_repo as repo
from app.db.classes import Class
from app.db.roster import membership
from app.web import classtime, coursework
from app.web.auth_deps import DbDep, RequiredUser, now
from app.web.learn_state import get_curriculum, levels_of, states_of
from app.web.pages import templates

router = APIRouter()


def learner_items(request: Request, db: Session, user_id: int) -> list[dict[str, Any]]:
    """The learner's assignments, open and overdue first, then upcoming, then done."""
    curriculum, t = get_curriculum(request), now(request)
    levels = levels_of(states_of(db, user_id))
    items = []
    for row in repo.learner_assignments(db, user_id=user_id):
        assignment, tz = row.assignment, classtime.shown_zone(row.klass.timezone)
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
                "opens_shown": classtime.show(assignment.opens_at, tz)
                if assignment.opens_at
                else None,
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
def learner_assignments_page(
    request: Request, user: RequiredUser, db: DbDep, joined: int | None = None
) -> Response:
    """Every assignment of the signed-in learner's classes (``?joined=`` after /join says so)."""
    items = learner_items(request, db, user.id)
    klass = db.get(Class, joined) if joined is not None else None
    if klass is not None and membership(db, class_id=klass.id, user_id=user.id) is None:
        klass = None  # only a class one is in is named
    context = {"items": items, "joined": klass}
    return templates.TemplateResponse(request, "learn/assignments.html", context)


@router.get("/api/assignments")
def learner_assignments_api(request: Request, user: RequiredUser, db: DbDep) -> dict:
    """The signed-in learner's assignments (times in UTC, ISO 8601), in the page's order."""
    return {"assignments": learner_items(request, db, user.id)}
