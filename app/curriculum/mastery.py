"""Mastery: a learner's level per concept, the gates it opens and its spaced reviews.

Levels rise with a learner's best score per check over a concept's lessons:
not started → attempted (< 70 %) → familiar (≥ 70 %) → proficient (100 %, lab challenges
included) → mastered (proficient, then a mixed review passed at least 12 hours later).
Levels never fall: a bad later answer or a missed review leaves them, so nothing re-locks.
Reviews are scheduled with FSRS (the ``fsrs`` package); a concept gets its card when it
first becomes familiar. Pure functions: no database, no clock of their own (``now`` is
passed in), so tests freeze time by passing it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from fsrs import Card, Rating, Scheduler

LEVELS = ("not_started", "attempted", "familiar", "proficient", "mastered")
FAMILIAR_SCORE = 0.7
REVIEW_PASS_SCORE = 0.8
MASTERY_DELAY = timedelta(hours=12)
# Concepts are reviewed over days, not minutes: no intra-day (re)learning steps.
SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


class CurriculumLike(Protocol):
    """What mastery reads of a curriculum: concepts (needs, lessons) and lessons (checks)."""

    concepts: Mapping[str, Any]
    lessons: Mapping[str, Any]


@dataclass(frozen=True)
class ConceptState:
    """Where a learner stands on one concept (what the mastery table stores)."""

    level: str = "not_started"
    score: float = 0.0
    proficient_at: datetime | None = None
    mastered_at: datetime | None = None
    card: dict[str, Any] | None = None
    due_at: datetime | None = None

    def review_due(self, now: datetime) -> bool:
        """Whether FSRS says this concept is due for review at ``now``."""
        return self.due_at is not None and self.due_at <= now

    def ripe(self, now: datetime) -> bool:
        """Whether a passed review at ``now`` would make this concept mastered: proficient
        for at least MASTERY_DELAY."""
        return (
            self.level == "proficient"
            and self.proficient_at is not None
            and now - self.proficient_at >= MASTERY_DELAY
        )


def rank(level: str) -> int:
    """The level's place in LEVELS (a higher rank is further along)."""
    try:
        return LEVELS.index(level)
    except ValueError:
        raise ValueError(f"unknown mastery level {level!r}; one of {', '.join(LEVELS)}") from None


def at_least(level: str, required: str) -> bool:
    """Whether ``level`` is ``required`` or further along."""
    return rank(level) >= rank(required)


def concept_checks(curriculum: CurriculumLike, concept_id: str) -> list[tuple[str, str]]:
    """(lesson id, check id) of every check in the lessons that teach a concept."""
    concept = curriculum.concepts[concept_id]
    return [
        (lesson_id, check.id)
        for lesson_id in concept.lessons
        for check in curriculum.lessons[lesson_id].checks
    ]


def concept_score(
    curriculum: CurriculumLike, concept_id: str, best: Mapping[tuple[str, str], float]
) -> tuple[float, bool]:
    """(mean best score over the concept's checks, whether any of them was attempted)."""
    checks = concept_checks(curriculum, concept_id)
    if not checks:
        return 0.0, False
    attempted = any(key in best for key in checks)
    return sum(best.get(key, 0.0) for key in checks) / len(checks), attempted


def level_for(score: float, attempted: bool) -> str:
    """The level a score earns by itself (mastered needs a review on top)."""
    if not attempted:
        return "not_started"
    if score >= 1.0 - 1e-9:
        return "proficient"
    if score >= FAMILIAR_SCORE:
        return "familiar"
    return "attempted"


def _review(card: dict[str, Any] | None, rating: Rating, now: datetime) -> dict[str, Any]:
    current = Card.from_dict(card) if card is not None else Card(card_id=1, due=now)
    reviewed, _log = SCHEDULER.review_card(current, rating, now)
    return reviewed.to_dict()


def _due(card: dict[str, Any]) -> datetime:
    return Card.from_dict(card).due


def assess(previous: ConceptState, score: float, attempted: bool, now: datetime) -> ConceptState:
    """The state after a lesson attempt: the level rises with the score and never falls.

    The first time a concept is familiar it gets an FSRS card, reviewed as Good (Easy when
    already proficient) at ``now``; the first time it is proficient, ``proficient_at`` is set.
    """
    earned = level_for(score, attempted)
    level = earned if rank(earned) > rank(previous.level) else previous.level
    state = replace(previous, level=level, score=max(score, previous.score))
    if state.card is None and at_least(level, "familiar"):
        rating = Rating.Easy if at_least(level, "proficient") else Rating.Good
        card = _review(None, rating, now)
        state = replace(state, card=card, due_at=_due(card))
    if state.proficient_at is None and at_least(level, "proficient"):
        state = replace(state, proficient_at=now)
    return state


def rating_for(score: float) -> Rating:
    """A mixed review's score as an FSRS rating."""
    if score < REVIEW_PASS_SCORE:
        return Rating.Again
    return Rating.Easy if score >= 1.0 - 1e-9 else Rating.Good


def record_review(state: ConceptState, score: float, now: datetime) -> ConceptState:
    """The state after a mixed review of this concept scored ``score`` in [0, 1].

    The FSRS card is reviewed (a failed review brings it due sooner, never re-locks);
    a passed review at least MASTERY_DELAY after becoming proficient makes it mastered.
    """
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"a review score must lie in [0, 1], not {score}")
    card = _review(state.card, rating_for(score), now)
    state = replace(state, card=card, due_at=_due(card))
    if score >= REVIEW_PASS_SCORE and state.ripe(now):
        state = replace(state, level="mastered", mastered_at=now)
    return state


# -- gating -----------------------------------------------------------------------------------


def missing_for_concept(
    curriculum: CurriculumLike,
    concept_id: str,
    levels: Mapping[str, str],
    required: str = "familiar",
) -> list[str]:
    """The prerequisites of a concept not yet at ``required`` (empty: the concept is open)."""
    needs = curriculum.concepts[concept_id].needs
    return [need for need in needs if not at_least(levels.get(need, "not_started"), required)]


def missing_for_lesson(
    curriculum: CurriculumLike,
    lesson_id: str,
    levels: Mapping[str, str],
    unlocked: Iterable[str] = (),
    required: str = "familiar",
) -> list[str]:
    """The prerequisite concepts that keep a lesson closed (empty: it is open).

    A lesson's prerequisites are the needs of the concepts it teaches, less those concepts;
    a lesson unlocked for this learner by hand is open whatever they are.
    """
    if lesson_id in set(unlocked):
        return []
    lesson = curriculum.lessons[lesson_id]
    own = set(lesson.concepts)
    missing: list[str] = []
    for concept_id in lesson.concepts:
        for need in missing_for_concept(curriculum, concept_id, levels, required):
            if need not in own and need not in missing:
                missing.append(need)
    return missing


def open_concepts(
    curriculum: CurriculumLike, levels: Mapping[str, str], required: str = "familiar"
) -> set[str]:
    """The concepts whose prerequisites are all at ``required`` or further."""
    return {
        concept_id
        for concept_id in curriculum.concepts
        if not missing_for_concept(curriculum, concept_id, levels, required)
    }


def newly_open(
    curriculum: CurriculumLike,
    before: Mapping[str, str],
    after: Mapping[str, str],
    required: str = "familiar",
) -> list[str]:
    """Concepts that a change of levels from ``before`` to ``after`` opened, in curriculum order."""
    was = open_concepts(curriculum, before, required)
    now_open = open_concepts(curriculum, after, required)
    return [concept_id for concept_id in curriculum.concepts if concept_id in now_open - was]


def map_state(state: ConceptState, is_open: bool, now: datetime) -> str:
    """How the concept map colours a concept: locked, open, in_progress, review_due, mastered.

    A due review shows as such but never closes a concept that was open.
    """
    if state.review_due(now) and state.level != "not_started":
        return "review_due"
    if state.level == "mastered":
        return "mastered"
    if state.level != "not_started":
        return "in_progress"
    return "open" if is_open else "locked"


def review_pool(states: Mapping[str, ConceptState], now: datetime) -> list[str]:
    """Concepts a mixed review draws from: those due, and proficient ones ripe for mastery."""
    pool = []
    for concept_id, state in states.items():
        if (state.review_due(now) and at_least(state.level, "familiar")) or state.ripe(now):
            pool.append(concept_id)
    return pool
