"""The instructor's view of a class: the dashboard, one learner's drill-down, unlocks, preview.

Every route goes through the one staff gate (app.web.class_access): a learner account gets
403, a class that is not yours 404, and a user who is not a learner of the class 404 too.
Instructors and assistants alike may look, unlock a lesson and preview; the grade export is
in grades.py and the learner's time reports in activity.py (both included here).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.curriculum import mastery
from app.db import insights, progress
from app.db.classes import Class
from app.db.models import User, audit
from app.web import activity, classtime, grades
from app.web.accounts import FormDep
from app.web.auth_deps import DbDep, now
from app.web.class_access import Staff, class_for
from app.web.class_report import build_report, completion, heatmap, stuck
from app.web.learn import render_lesson
from app.web.learn_state import get_curriculum, lesson_or_404, standing
from app.web.pages import templates

router = APIRouter()
router.include_router(activity.router)
router.include_router(grades.router)

LEVEL_NAMES = {level: level.replace("_", " ") for level in mastery.LEVELS}
STATE_NAMES = {"upcoming": "upcoming", "open": "open", "done": "done", "overdue": "overdue"}


def shown_in(klass: Class) -> Any:
    """A function showing a UTC time in the class's zone (UTC if the zone is unknown)."""

    def show(utc: Any) -> str:
        if utc is None:
            return "—"
        try:
            return classtime.show(utc, klass.timezone)
        except ValueError:
            return classtime.show(utc, "UTC")

    return show


def dashboard_data(request: Request, db: DbDep, class_id: int, user: User) -> dict[str, Any]:
    """Everything the dashboard shows, for its page and its JSON."""
    access = class_for(db, class_id, user)
    curriculum = get_curriculum(request)
    at = now(request)
    report = build_report(db, curriculum, access.klass, at)
    ids = [u.id for u in report.learners]
    attempts = insights.attempt_stats(db, user_ids=ids)
    labs = insights.labs_passed(db, user_ids=ids)
    times = insights.time_table(db, user_ids=ids)
    summary = [
        {
            "learner": u,
            "attempts": attempts[u.id],
            "labs": labs[u.id],
            "minutes": round(sum(times[u.id].values()) / 60, 1),
        }
        for u in report.learners
    ]
    return {
        "klass": access.klass,
        "heatmap": heatmap(curriculum, report),
        "completion": completion(report),
        "stuck": stuck(db, curriculum, report, attempts, at),
        "summary": summary,
    }


@router.get("/classes/{class_id}/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, class_id: int, db: DbDep, user: Staff) -> HTMLResponse:
    """The class's mastery heatmap, completion per assignment and who is stuck."""
    data = dashboard_data(request, db, class_id, user)
    context = {
        **data,
        "user": user,
        "tab": "dashboard",
        "level_names": LEVEL_NAMES,
        "show": shown_in(data["klass"]),
    }
    return templates.TemplateResponse(request, "classes/dashboard.html", context)


@router.get("/api/classes/{class_id}/dashboard")
def dashboard_json(request: Request, class_id: int, db: DbDep, user: Staff) -> dict[str, Any]:
    """The heatmap's data, completion per assignment and who is stuck, as JSON."""
    data = dashboard_data(request, db, class_id, user)
    return {
        "heatmap": data["heatmap"],
        "completion": [
            {
                "assignment": row["assignment"].id,
                "title": row["assignment"].title,
                "done": row["done"],
                "learners": row["learners"],
                "overdue": row["overdue"],
            }
            for row in data["completion"]
        ],
        "stuck": [
            {
                "learner": row["learner"].id,
                "name": row["learner"].display_name,
                "reasons": row["reasons"],
            }
            for row in data["stuck"]
        ],
    }


def learner_or_404(db: DbDep, klass: Class, user_id: int) -> User:
    """The class's learner named in the path, or 404."""
    learner = insights.learner_of(db, class_id=klass.id, user_id=user_id)
    if learner is None:
        raise HTTPException(404, f"no learner {user_id} in {klass.name!r}")
    return learner


def learner_page(
    request: Request,
    db: DbDep,
    user: User,
    klass: Class,
    learner: User,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """One learner's levels, assignments, attempts, labs, time and unlocks."""
    curriculum = get_curriculum(request)
    at = now(request)
    report = build_report(db, curriculum, klass, at)
    where = standing(request, db, learner.id)
    lessons = curriculum.lessons
    titles = {lid: lesson.title for lid, lesson in lessons.items()}
    context = {
        "user": user,
        "klass": klass,
        "tab": "dashboard",
        "learner": learner,
        "show": shown_in(klass),
        "level_names": LEVEL_NAMES,
        "concepts": [
            {
                "id": c.id,
                "title": c.title,
                "level": report.level(learner.id, c.id),
                "score": report.score(learner.id, c.id),
            }
            for c in curriculum.concepts.values()
        ],
        "assignments": [
            {
                "assignment": a,
                "due": report.due[(a.id, learner.id)],
                "extended": (a.id, learner.id) in report.extended,
                "status": report.status[(a.id, learner.id)],
            }
            for a in report.assignments
        ],
        "attempts": insights.learner_attempts(db, user_id=learner.id),
        "labs": insights.learner_labs(db, user_id=learner.id),
        "times": insights.learner_time(db, user_id=learner.id),
        "unlocks": insights.learner_unlocks(db, user_id=learner.id),
        "titles": titles,
        "locked": [
            lesson for lesson in lessons.values() if where.missing_for_lesson(curriculum, lesson.id)
        ],
        "error": error,
    }
    return templates.TemplateResponse(
        request, "classes/learner.html", context, status_code=status_code
    )


@router.get("/classes/{class_id}/learners/{user_id}", response_class=HTMLResponse)
def learner_detail(
    request: Request, class_id: int, user_id: int, db: DbDep, user: Staff
) -> HTMLResponse:
    """The drill-down into one learner of the class."""
    klass = class_for(db, class_id, user).klass
    return learner_page(request, db, user, klass, learner_or_404(db, klass, user_id))


@router.post("/classes/{class_id}/learners/{user_id}/unlock", response_class=HTMLResponse)
def unlock(
    request: Request, class_id: int, user_id: int, form: FormDep, db: DbDep, user: Staff
) -> Response:
    """Open one lesson for one learner, whatever its prerequisites (audit-logged)."""
    klass = class_for(db, class_id, user).klass
    learner = learner_or_404(db, klass, user_id)
    curriculum = get_curriculum(request)
    lesson_id = form.get("lesson_id", "").strip()
    if lesson_id not in curriculum.lessons:
        error = (
            f"There is no lesson {lesson_id!r}; pick one from the list."
            if lesson_id
            else "Pick the lesson to unlock."
        )
        return learner_page(request, db, user, klass, learner, error=error, status_code=422)
    at = now(request)
    progress.unlock_lesson(db, user_id=learner.id, lesson_id=lesson_id, by_user_id=user.id, now=at)
    audit(
        db,
        user.id,
        "lesson.unlock",
        "user",
        learner.id,
        {"class": klass.id, "lesson": lesson_id},
        now=at,
    )
    db.commit()
    return RedirectResponse(f"/classes/{klass.id}/learners/{learner.id}#unlocks", status_code=303)


@router.get("/classes/{class_id}/preview/{lesson_id}", response_class=HTMLResponse)
def preview(request: Request, class_id: int, lesson_id: str, db: DbDep, user: Staff) -> Response:
    """A lesson as a learner sees it (staff accounts are never gated); answers count for
    the viewer."""
    klass = class_for(db, class_id, user).klass
    curriculum = get_curriculum(request)
    lesson = lesson_or_404(curriculum, lesson_id)
    where = standing(request, db, user.id)
    return render_lesson(
        request,
        db,
        user,
        lesson,
        where,
        [],
        path=f"/classes/{klass.id}/preview/{lesson.id}",
        extra={"preview": {"klass": klass}},
    )
