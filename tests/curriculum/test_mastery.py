"""Mastery levels, gating and spaced review, with a frozen clock and a three-concept chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.curriculum import mastery
from app.curriculum.mastery import ConceptState, assess, record_review

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _lesson(lesson_id: str, concept: str, checks: list[str]) -> SimpleNamespace:
    return SimpleNamespace(
        id=lesson_id,
        concepts=[concept],
        checks=[SimpleNamespace(id=c, kind="lab" if c == "lab" else "choice") for c in checks],
    )


@pytest.fixture
def curriculum() -> SimpleNamespace:
    """a → b → c, and d needing both a and b; a has one lesson of four checks (one a lab)."""
    concepts = {
        "a": SimpleNamespace(id="a", needs=[], lessons=["la"]),
        "b": SimpleNamespace(id="b", needs=["a"], lessons=["lb"]),
        "c": SimpleNamespace(id="c", needs=["b"], lessons=["lc"]),
        "d": SimpleNamespace(id="d", needs=["a", "b"], lessons=["ld"]),
    }
    lessons = {
        "la": _lesson("la", "a", ["c1", "c2", "c3", "lab"]),
        "lb": _lesson("lb", "b", ["c1", "c2"]),
        "lc": _lesson("lc", "c", ["c1"]),
        "ld": _lesson("ld", "d", ["c1"]),
    }
    return SimpleNamespace(concepts=concepts, lessons=lessons)


def _score(curriculum: SimpleNamespace, best: dict) -> tuple[float, bool]:
    return mastery.concept_score(curriculum, "a", best)


def test_levels_rise_through_attempted_familiar_proficient(curriculum) -> None:
    state = ConceptState()
    assert state.level == "not_started"
    state = assess(state, *_score(curriculum, {("la", "c1"): 1.0, ("la", "c2"): 0.0}), now=T0)
    assert (state.level, state.score) == ("attempted", 0.25)  # 1 of 4 checks right
    assert state.card is None and state.due_at is None
    best = {("la", "c1"): 1.0, ("la", "c2"): 1.0, ("la", "c3"): 1.0, ("la", "lab"): 0.0}
    state = assess(state, *_score(curriculum, best), now=T0 + timedelta(minutes=5))
    assert (state.level, state.score) == ("familiar", 0.75)
    assert state.card is not None and state.due_at > T0 + timedelta(minutes=5)
    assert state.proficient_at is None
    best[("la", "lab")] = 1.0  # the lab challenge completes it
    at = T0 + timedelta(minutes=9)
    state = assess(state, *_score(curriculum, best), now=at)
    assert (state.level, state.score, state.proficient_at) == ("proficient", 1.0, at)


def test_familiar_threshold_is_seventy_percent() -> None:
    assert mastery.level_for(0.69, True) == "attempted"
    assert mastery.level_for(0.70, True) == "familiar"
    assert mastery.level_for(0.99, True) == "familiar"
    assert mastery.level_for(1.0, True) == "proficient"
    assert mastery.level_for(0.0, False) == "not_started"
    assert mastery.level_for(0.0, True) == "attempted"


def test_level_never_falls_after_a_worse_score() -> None:
    state = assess(ConceptState(), 1.0, True, T0)
    later = assess(state, 0.2, True, T0 + timedelta(days=1))
    assert later.level == "proficient" and later.proficient_at == T0 and later.score == 1.0


def test_mastered_needs_a_review_passed_twelve_hours_after_proficient() -> None:
    state = assess(ConceptState(), 1.0, True, T0)
    early = record_review(state, 1.0, T0 + timedelta(hours=11, minutes=59))
    assert early.level == "proficient" and early.mastered_at is None
    failed = record_review(state, 0.75, T0 + timedelta(hours=13))  # below 80 %: not passed
    assert failed.level == "proficient"
    at = T0 + timedelta(hours=12)
    passed = record_review(state, 0.8, at)
    assert (passed.level, passed.mastered_at) == ("mastered", at)


def test_review_of_a_familiar_concept_never_makes_it_mastered() -> None:
    state = assess(ConceptState(), 0.8, True, T0)
    after = record_review(state, 1.0, T0 + timedelta(days=3))
    assert after.level == "familiar"


def test_fsrs_schedules_a_pass_later_than_a_failure() -> None:
    state = assess(ConceptState(), 0.8, True, T0)
    # FSRS's first Good review of a new card: stability w[2] = 2.3065 days, and at the
    # default desired retention 0.9 the interval equals the stability, rounded to 2 days.
    assert state.due_at == T0 + timedelta(days=2)
    review_at = state.due_at
    passed = record_review(state, 1.0, review_at)
    failed = record_review(state, 0.5, review_at)
    assert passed.due_at > review_at + timedelta(days=2)
    assert failed.due_at < passed.due_at
    assert failed.level == "familiar"  # a failed review lowers nothing


def test_rating_for_review_scores() -> None:
    assert mastery.rating_for(0.79) == mastery.Rating.Again
    assert mastery.rating_for(0.8) == mastery.Rating.Good
    assert mastery.rating_for(1.0) == mastery.Rating.Easy
    with pytest.raises(ValueError, match="review score"):
        record_review(ConceptState(), 1.5, T0)


def test_lesson_opens_when_prerequisites_are_familiar(curriculum) -> None:
    levels = {"a": "attempted"}
    assert mastery.missing_for_lesson(curriculum, "la", levels) == []
    assert mastery.missing_for_lesson(curriculum, "lb", levels) == ["a"]
    assert mastery.missing_for_lesson(curriculum, "ld", levels) == ["a", "b"]
    levels = {"a": "familiar"}
    assert mastery.missing_for_lesson(curriculum, "lb", levels) == []
    assert mastery.missing_for_lesson(curriculum, "ld", levels) == ["b"]


def test_class_may_require_proficient(curriculum) -> None:
    levels = {"a": "familiar"}
    assert mastery.missing_for_lesson(curriculum, "lb", levels, required="proficient") == ["a"]
    levels = {"a": "mastered"}
    assert mastery.missing_for_lesson(curriculum, "lb", levels, required="proficient") == []


def test_unlock_opens_a_lesson_whatever_its_prerequisites(curriculum) -> None:
    assert mastery.missing_for_lesson(curriculum, "lc", {}, unlocked={"lc"}) == []
    assert mastery.missing_for_lesson(curriculum, "lc", {}, unlocked={"lb"}) == ["b"]


def test_newly_open_names_what_a_level_change_unlocked(curriculum) -> None:
    before = {"a": "attempted"}
    after = {"a": "familiar"}
    assert mastery.newly_open(curriculum, before, after) == ["b"]
    assert mastery.newly_open(curriculum, after, {"a": "familiar", "b": "familiar"}) == ["c", "d"]


def test_due_review_never_relocks(curriculum) -> None:
    a = assess(ConceptState(), 0.75, True, T0)
    later = a.due_at + timedelta(days=30)  # long overdue
    assert a.review_due(later)
    levels = {"a": a.level}
    assert mastery.missing_for_lesson(curriculum, "lb", levels) == []
    assert mastery.map_state(a, True, later) == "review_due"
    failed = record_review(a, 0.0, later)
    assert failed.level == "familiar"
    assert mastery.missing_for_lesson(curriculum, "lb", {"a": failed.level}) == []


def test_map_states() -> None:
    assert mastery.map_state(ConceptState(), False, T0) == "locked"
    assert mastery.map_state(ConceptState(), True, T0) == "open"
    attempted = assess(ConceptState(), 0.3, True, T0)
    assert mastery.map_state(attempted, True, T0) == "in_progress"
    done = record_review(assess(ConceptState(), 1.0, True, T0), 1.0, T0 + timedelta(hours=12))
    assert mastery.map_state(done, True, T0 + timedelta(hours=12)) == "mastered"


def test_review_pool_holds_due_and_ripe_concepts() -> None:
    familiar = assess(ConceptState(), 0.8, True, T0)
    proficient = assess(ConceptState(), 1.0, True, T0)
    states = {"f": familiar, "p": proficient, "n": ConceptState()}
    assert mastery.review_pool(states, T0 + timedelta(hours=1)) == []
    assert mastery.review_pool(states, T0 + timedelta(hours=12)) == ["p"]
    assert sorted(mastery.review_pool(states, T0 + timedelta(days=2))) == ["f", "p"]


def test_unknown_level_is_named() -> None:
    with pytest.raises(ValueError, match="unknown mastery level 'expert'"):
        mastery.at_least("expert", "familiar")
