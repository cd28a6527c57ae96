"""The learner's JSON API: checks, attempts (graded, recorded and acknowledged), reviews.

An attempt is graded, appended, and the mastery it changes updated in one transaction that
is committed before the answer leaves the server. Generated checks are graded only under a
seed the server issued to this learner (each answered once); lab challenges only from the
learner's own run as the server last saw it.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from app.curriculum import mastery
from app.curriculum.checks import CheckError, grade
from app.curriculum.render import render_markdown
from app.db import progress
from app.db.progress import Attempt
from app.web.auth_deps import CurrentUser, DbDep, RequiredUser, now
from app.web.learn_state import (
    Standing,
    check_or_404,
    get_curriculum,
    lesson_or_404,
    lock_learner,
    refresh,
    shown,
    standing,
)

router = APIRouter(prefix="/api")
SEED_LIMIT = 2**31


def require_open(
    request: Request, db: DbDep, user_id: int | None, lesson_id: str
) -> tuple[Any, Standing]:
    """The lesson if it is open to this learner, and the learner's standing it was judged by;
    404 unknown, 403 locked (naming why)."""
    curriculum = get_curriculum(request)
    lesson = lesson_or_404(curriculum, lesson_id)
    where = standing(request, db, user_id)
    missing = where.missing_for_lesson(curriculum, lesson_id)
    if missing:
        titles = ", ".join(curriculum.concepts[c].title for c in missing)
        raise HTTPException(
            403, f"lesson {lesson_id!r} is locked: first reach {where.required} on {titles}"
        )
    return lesson, where


@router.get("/lessons/{lesson_id}/checks/{check_id}")
def get_check(
    request: Request, lesson_id: str, check_id: str, db: DbDep, user: CurrentUser
) -> dict[str, Any]:
    """A check to answer; a generated one comes with a fresh variant issued by the server."""
    lesson, _ = require_open(request, db, user.id if user else None, lesson_id)
    check = check_or_404(lesson, check_id)
    if check.kind != "generated":
        return shown(check, None, None)
    seed = secrets.randbelow(SEED_LIMIT)
    if user is None:  # anyone may try one; only a signed-in learner's answers are graded
        return shown(check, seed, None)
    issued = progress.issue_variant(
        db, user_id=user.id, lesson_id=lesson.id, check_id=check.id, seed=seed, now=now(request)
    )
    db.commit()
    return shown(check, seed, issued.id)


class AttemptIn(BaseModel):
    """An answer: ``response`` for choice/numeric/generated (plus ``variant``), ``run`` for labs."""

    model_config = ConfigDict(extra="forbid")

    response: dict[str, Any] | None = None
    variant: int | None = Field(default=None, ge=1)
    run: str | None = Field(default=None, min_length=1, max_length=64)


def run_state_for(request: Request, run_id: str | None, user_id: int) -> dict[str, Any]:
    """What the server's own run shows: lab, params, step, metrics (404 unless it is yours)."""
    if run_id is None:
        raise HTTPException(422, "a lab challenge is checked on a run: send its id as 'run'")
    run = request.app.state.runtime.runs.get(run_id)
    if run is None or run.owner_id != user_id:
        raise HTTPException(404, f"no run {run_id!r} of yours is live on this server")
    state = run.latest
    if state is None:
        raise HTTPException(409, "that run has no frame yet: start it, then check again")
    return state


@router.post("/lessons/{lesson_id}/checks/{check_id}/attempts")
def post_attempt(
    request: Request,
    lesson_id: str,
    check_id: str,
    body: AttemptIn,
    db: DbDep,
    user: RequiredUser,
) -> dict[str, Any]:
    """Grade an answer, record it and the mastery it earns, commit, then say how it went."""
    curriculum = get_curriculum(request)
    at = now(request)
    lock_learner(db, user.id)  # before the standing is read, so it stays current until commit
    lesson, where = require_open(request, db, user.id, lesson_id)
    check = check_or_404(lesson, check_id)
    seed = None
    run_state = None
    if check.kind == "generated":
        if body.variant is None:
            raise HTTPException(422, "a generated check is answered for a variant: send 'variant'")
        issued = progress.take_variant(
            db,
            variant_id=body.variant,
            user_id=user.id,
            lesson_id=lesson.id,
            check_id=check.id,
            now=at,
        )
        if issued is None:
            raise HTTPException(
                409, "that variant was not issued to you for this check, or is answered already"
            )
        seed = issued.seed
    elif check.kind == "lab":
        run_state = run_state_for(request, body.run, user.id)
    try:
        result = grade(check, seed, body.response, run_state)
    except CheckError as exc:
        raise HTTPException(422, str(exc)) from None
    before = where.levels
    attempt = progress.record_attempt(
        db,
        user_id=user.id,
        lesson_id=lesson.id,
        check_id=check.id,
        kind=check.kind,
        variant_seed=seed,
        response=body.response if check.kind != "lab" else {"run": body.run, "state": run_state},
        score=result.score,
        correct=result.correct,
        run_id=body.run if check.kind == "lab" else None,
        now=at,
    )
    states = refresh(db, curriculum, user.id, lesson.concepts, where.states, at)
    after = {concept_id: state.level for concept_id, state in states.items()}
    unlocked = mastery.newly_open(curriculum, before, after, where.required)
    db.commit()  # acknowledged only once durable
    return {
        "attempt": attempt.id,
        "score": result.score,
        "correct": result.correct,
        "feedback": result.feedback,
        "solution": result.solution,
        "solution_html": render_markdown(result.solution),
        "expected": result.expected,
        "level": {c: after.get(c, "not_started") for c in lesson.concepts},
        "unlocked": [{"id": c, "title": curriculum.concepts[c].title} for c in unlocked],
    }


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    """An attempt as its learner may see it."""
    return {
        "id": attempt.id,
        "lesson": attempt.lesson_id,
        "check": attempt.check_id,
        "kind": attempt.kind,
        "score": attempt.score,
        "correct": attempt.correct,
        "review": attempt.review,
        "created_at": attempt.created_at.isoformat(),
    }


@router.get("/attempts/{attempt_id}")
def get_attempt(attempt_id: int, db: DbDep, user: RequiredUser) -> dict[str, Any]:
    """One of your own attempts (anyone else's is 404, as if it did not exist)."""
    attempt = db.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise HTTPException(404, f"no attempt {attempt_id} of yours")
    return {**attempt_json(attempt), "response": attempt.response}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@router.get("/progress")
def get_progress(request: Request, db: DbDep, user: RequiredUser) -> dict[str, Any]:
    """Your levels per concept, what is due, and your latest attempts."""
    curriculum = get_curriculum(request)
    where = standing(request, db, user.id)
    at = now(request)
    concepts = []
    for concept_id in curriculum.concepts:
        state = where.states.get(concept_id, mastery.ConceptState())
        concepts.append(
            {
                "id": concept_id,
                "level": state.level,
                "score": state.score,
                "due_at": _iso(state.due_at),
                "review_due": state.review_due(at),
                "open": where.concept_open(curriculum, concept_id),
            }
        )
    attempts = progress.list_attempts(db, user_id=user.id, limit=50)
    return {
        "user": user.id,
        "concepts": concepts,
        "attempts": [attempt_json(a) for a in attempts],
        "reviews_due": mastery.review_pool(where.states, at),
    }
