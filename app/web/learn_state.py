"""A learner's standing read from the database and brought up to date after an attempt.

Joins the pure mastery rules (app.curriculum.mastery) to the learning tables
(app.db.progress); the routes in learn.py and learn_api.py call it, and commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.curriculum import mastery
from app.curriculum.checks import present
from app.curriculum.loader import Curriculum, load_curriculum
from app.curriculum.mastery import ConceptState
from app.curriculum.render import render_inline, render_markdown
from app.db import progress
from app.db.models import TEACHING_ROLES, User
from app.db.progress import Mastery

# The level a prerequisite must reach before what depends on it opens. A class may ask for
# "proficient"; learners outside one get the curriculum's own rule.
DEFAULT_REQUIRED = "familiar"


def lock_learner(db: Session, user_id: int) -> None:
    """Serialise one learner's writes (PostgreSQL row lock; SQLite has one writer anyway).

    Two attempts at once (a double click) then cannot both insert the same mastery row.
    """
    db.execute(select(User.id).where(User.id == user_id).with_for_update())


def get_curriculum(request: Request) -> Curriculum:
    """The app's curriculum, loaded once from settings.curriculum_dir (default: curriculum/)."""
    state = request.app.state
    curriculum = getattr(state, "curriculum", None)
    if curriculum is None:
        curriculum = load_curriculum(state.settings.curriculum_dir)
        state.curriculum = curriculum
    return curriculum


def lesson_or_404(curriculum: Curriculum, lesson_id: str) -> Any:
    """The lesson named in the path, or 404."""
    lesson = curriculum.lessons.get(lesson_id)
    if lesson is None:
        raise HTTPException(404, f"no lesson {lesson_id!r}; see /map")
    return lesson


def check_or_404(lesson: Any, check_id: str) -> Any:
    """The lesson's check named in the path, or 404."""
    for check in lesson.checks:
        if check.id == check_id:
            return check
    raise HTTPException(404, f"lesson {lesson.id!r} has no check {check_id!r}")


def shown(check: Any, seed: int | None, variant: int | None) -> dict[str, Any]:
    """present() plus the prompt and choices as safe HTML and the issued variant's id.

    ``seed`` picks the variant to show; it stays on the server (issued_variants), never in here.
    """
    body = present(check, seed)
    body["prompt_html"] = render_markdown(body["prompt"])
    if "choices" in body:
        body["choices_html"] = [render_inline(choice) for choice in body["choices"]]
    for field in body.get("fields", []):
        field["label_html"] = render_inline(field["label"]) if field["label"] else ""
    body["variant"] = variant
    return body


def state_of(row: Mastery | None) -> ConceptState:
    """A mastery row as the pure rules see it (no row: not started)."""
    if row is None:
        return ConceptState()
    return ConceptState(
        level=row.level,
        score=row.score,
        proficient_at=row.proficient_at,
        mastered_at=row.mastered_at,
        card=row.review_card,
        due_at=row.due_at,
    )


def states_of(db: Session, user_id: int | None) -> dict[str, ConceptState]:
    """concept id → the learner's state (anonymous visitors: none)."""
    if user_id is None:
        return {}
    rows = progress.get_mastery(db, user_id=user_id)
    return {concept_id: state_of(row) for concept_id, row in rows.items()}


def levels_of(states: dict[str, ConceptState]) -> dict[str, str]:
    """concept id → level."""
    return {concept_id: state.level for concept_id, state in states.items()}


def save_state(
    db: Session, user_id: int, concept_id: str, state: ConceptState, now: datetime
) -> None:
    """Write a concept's state back (the caller commits)."""
    progress.save_mastery(
        db,
        user_id=user_id,
        concept_id=concept_id,
        level=state.level,
        score=state.score,
        proficient_at=state.proficient_at,
        mastered_at=state.mastered_at,
        review_card=state.card,
        due_at=state.due_at,
        now=now,
    )


def refresh(
    db: Session,
    curriculum: Curriculum,
    user_id: int,
    concept_ids: Iterable[str],
    states: dict[str, ConceptState],
    now: datetime,
) -> dict[str, ConceptState]:
    """Re-assess ``concept_ids`` from the learner's best scores; returns the updated states."""
    best = progress.best_scores(db, user_id=user_id)
    updated = dict(states)
    for concept_id in concept_ids:
        if concept_id not in curriculum.concepts:
            continue
        before = updated.get(concept_id, ConceptState())
        score, attempted = mastery.concept_score(curriculum, concept_id, best)
        after = mastery.assess(before, score, attempted, now)
        if after != before:
            save_state(db, user_id, concept_id, after, now)
        updated[concept_id] = after
    return updated


@dataclass
class Standing:
    """What a learner's pages show: states, unlocks and what is open or due."""

    states: dict[str, ConceptState]
    unlocked: set[str]
    required: str = DEFAULT_REQUIRED
    # Instructors and admins are never gated: they must see any lesson they may assign.
    open_all: bool = False

    @cached_property
    def levels(self) -> dict[str, str]:
        """concept id → level (computed once: the map asks for it once per concept)."""
        return levels_of(self.states)

    def missing_for_lesson(self, curriculum: Curriculum, lesson_id: str) -> list[str]:
        """Prerequisite concepts keeping the lesson closed (empty: open)."""
        if self.open_all:
            return []
        return mastery.missing_for_lesson(
            curriculum, lesson_id, self.levels, self.unlocked, self.required
        )

    def concept_open(self, curriculum: Curriculum, concept_id: str) -> bool:
        """Whether the concept's prerequisites are met, or one of its lessons was unlocked."""
        if self.open_all:
            return True
        if any(lesson in self.unlocked for lesson in curriculum.concepts[concept_id].lessons):
            return True
        missing = mastery.missing_for_concept(curriculum, concept_id, self.levels, self.required)
        return not missing


def standing(request: Request, db: Session, user_id: int | None) -> Standing:
    """The learner's standing (an anonymous visitor's is empty).

    The level prerequisites must reach is DEFAULT_REQUIRED unless the app has a
    ``state.required_level(db, user_id) -> str`` hook (a class asking for proficient).
    """
    if user_id is None:
        return Standing({}, set())
    hook = getattr(request.app.state, "required_level", None)
    required = hook(db, user_id) if hook is not None else DEFAULT_REQUIRED
    mastery.rank(required)  # a hook answering an unknown level is named here
    states = states_of(db, user_id)
    viewer = getattr(request.state, "user", None)  # resolved with the session cookie
    user = viewer if viewer is not None and viewer.id == user_id else db.get(User, user_id)
    staff = user is not None and user.role in TEACHING_ROLES
    return Standing(states, progress.unlocked_lessons(db, user_id=user_id), required, staff)


def concept_rows(curriculum: Curriculum, where: Standing, now: datetime) -> list[dict[str, Any]]:
    """One row per concept (curriculum order) for the map and the progress page."""
    rows = []
    for concept in curriculum.concepts.values():
        state = where.states.get(concept.id, ConceptState())
        is_open = where.concept_open(curriculum, concept.id)
        rows.append(
            {
                "id": concept.id,
                "title": concept.title,
                "summary": concept.summary,
                "needs": list(concept.needs),
                "lesson": concept.lessons[0] if concept.lessons else None,
                "level": state.level,
                "score": state.score,
                "due_at": state.due_at,
                "state": mastery.map_state(state, is_open, now),
                "missing": mastery.missing_for_concept(
                    curriculum, concept.id, where.levels, where.required
                ),
            }
        )
    titles = {row["id"]: row["title"] for row in rows}
    for row in rows:
        row["needs_titles"] = [titles.get(n, n) for n in row["needs"]]
        row["missing_titles"] = [titles.get(n, n) for n in row["missing"]]
    return rows
