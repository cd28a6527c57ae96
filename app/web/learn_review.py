"""Mixed review: fresh items from every concept that is due (or ripe for mastery), shuffled.

``GET /api/review`` issues a batch: for each concept in the pool, up to two of its generated,
choice or numeric checks (generated ones with new numbers), all remembered server-side.
``POST /api/review`` answers the whole batch: each item is graded and recorded as a review
attempt, and each concept's share right becomes one FSRS review (≥ 80 % passes; a pass
12 hours or more after reaching proficient makes the concept mastered). One transaction.
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from app.curriculum import mastery
from app.curriculum.checks import CheckError, grade
from app.curriculum.render import render_markdown
from app.db import progress
from app.web.auth_deps import DbDep, RequiredUser, now
from app.web.learn_state import (
    check_or_404,
    get_curriculum,
    lock_learner,
    save_state,
    shown,
    standing,
)

router = APIRouter(prefix="/api")
REVIEW_KINDS = ("generated", "choice", "numeric")
MAX_CONCEPTS = 5
ITEMS_PER_CONCEPT = 2
SEED_LIMIT = 2**31


@router.get("/review")
def get_review(request: Request, db: DbDep, user: RequiredUser) -> dict[str, Any]:
    """A new mixed review of your due concepts (empty when nothing is due)."""
    curriculum = get_curriculum(request)
    where = standing(request, db, user.id)
    at = now(request)
    pool = mastery.review_pool(where.states, at)[:MAX_CONCEPTS]
    rng = random.Random(secrets.randbits(64))
    progress.drop_open_reviews(db, user_id=user.id)  # one open review per learner
    batch = secrets.token_hex(16)
    items = []
    for concept_id in pool:
        candidates = [
            (lesson, check)
            for lesson in curriculum.lessons_for(concept_id)
            for check in lesson.checks
            if check.kind in REVIEW_KINDS
        ]
        for lesson, check in rng.sample(candidates, min(ITEMS_PER_CONCEPT, len(candidates))):
            seed = secrets.randbelow(SEED_LIMIT) if check.kind == "generated" else 0
            issued = progress.issue_variant(
                db,
                user_id=user.id,
                lesson_id=lesson.id,
                check_id=check.id,
                seed=seed,
                batch=batch,
                concept_id=concept_id,
                now=at,
            )
            item = shown(check, seed if check.kind == "generated" else None, issued.id)
            item["concept"] = {"id": concept_id, "title": curriculum.concepts[concept_id].title}
            item["lesson"] = lesson.id
            items.append(item)
    rng.shuffle(items)
    db.commit()
    upcoming = [s.due_at for s in where.states.values() if s.due_at is not None and s.due_at > at]
    return {
        "batch": batch if items else None,
        "items": items,
        "next_due": min(upcoming).isoformat() if upcoming else None,
    }


class ReviewIn(BaseModel):
    """The answers to one review batch: variant id (as a string key) → response."""

    model_config = ConfigDict(extra="forbid")

    batch: str = Field(min_length=1, max_length=32)
    answers: dict[str, dict[str, Any]]


@router.post("/review")
def post_review(request: Request, body: ReviewIn, db: DbDep, user: RequiredUser) -> dict[str, Any]:
    """Grade a whole review batch, record it, reschedule its concepts, commit, report."""
    curriculum = get_curriculum(request)
    at = now(request)
    lock_learner(db, user.id)
    items = progress.review_batch(db, user_id=user.id, batch=body.batch)
    if not items:
        raise HTTPException(409, "no open review batch of yours by that id; start a new review")
    wanted = {str(item.id) for item in items}
    missing = sorted(wanted - set(body.answers), key=int)
    unknown = sorted(set(body.answers) - wanted)
    if missing or unknown:
        problem = f"answer every item: missing {missing}" if missing else ""
        problem += f"{'; ' if problem else ''}not in this batch: {unknown}" if unknown else ""
        raise HTTPException(422, problem)
    scores: dict[str, list[float]] = defaultdict(list)
    results = []
    for item in items:
        lesson = curriculum.lessons.get(item.lesson_id)
        if lesson is None:
            continue  # the curriculum changed since the review was issued
        check = check_or_404(lesson, item.check_id)
        seed = item.seed if check.kind == "generated" else None
        response = body.answers[str(item.id)]
        try:
            result = grade(check, seed, response)
        except CheckError as exc:
            raise HTTPException(422, f"item {item.id}: {exc}") from None
        progress.take_variant(
            db,
            variant_id=item.id,
            user_id=user.id,
            lesson_id=item.lesson_id,
            check_id=item.check_id,
            now=at,
        )
        progress.record_attempt(
            db,
            user_id=user.id,
            lesson_id=item.lesson_id,
            check_id=item.check_id,
            kind=check.kind,
            variant_seed=seed,
            response=response,
            score=result.score,
            correct=result.correct,
            review=True,
            now=at,
        )
        scores[item.concept_id or lesson.concepts[0]].append(result.score)
        results.append(
            {
                "variant": item.id,
                "score": result.score,
                "correct": result.correct,
                "feedback": result.feedback,
                "solution_html": render_markdown(result.solution),
            }
        )
    where = standing(request, db, user.id)
    concepts = []
    for concept_id, got in scores.items():
        score = sum(got) / len(got)
        after = mastery.record_review(
            where.states.get(concept_id, mastery.ConceptState()), score, at
        )
        save_state(db, user.id, concept_id, after, at)
        concepts.append(
            {
                "id": concept_id,
                "title": curriculum.concepts[concept_id].title,
                "score": score,
                "passed": score >= mastery.REVIEW_PASS_SCORE,
                "level": after.level,
                "due_at": after.due_at.isoformat() if after.due_at else None,
            }
        )
    db.commit()
    total = [s for got in scores.values() for s in got]
    overall = sum(total) / len(total) if total else 0.0
    return {
        "score": overall,
        "passed": overall >= mastery.REVIEW_PASS_SCORE,
        "items": results,
        "concepts": concepts,
    }
