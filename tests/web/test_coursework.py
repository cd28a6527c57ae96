"""Coursework: an assignment's concepts and a learner's status on it, against hand cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.web.coursework import (
    Status,
    assignment_concepts,
    effective_due,
    learner_order,
    learner_status,
    lesson_groups,
    lesson_links,
    titles,
)


# Three lessons over four concepts: "two" teaches b and c, "three" teaches c and d.
def _concept(name: str, lessons: list[str]) -> SimpleNamespace:
    return SimpleNamespace(id=name, title=name.upper(), lessons=lessons)


def _lesson(name: str, concepts: list[str]) -> SimpleNamespace:
    return SimpleNamespace(id=name, title=name.title(), concepts=concepts)


CURRICULUM = SimpleNamespace(
    concepts={
        "a": _concept("a", ["one"]),
        "b": _concept("b", ["two"]),
        "c": _concept("c", ["two", "three"]),
        "d": _concept("d", ["three"]),
    },
    lessons={
        "one": _lesson("one", ["a"]),
        "two": _lesson("two", ["b", "c"]),
        "three": _lesson("three", ["c", "d"]),
    },
)
DUE = datetime(2026, 3, 8, 22, 59, tzinfo=UTC)
OPENS = DUE - timedelta(days=7)


def assignment(
    lessons: tuple[str, ...] | list[str] = (),
    concepts: tuple[str, ...] | list[str] = (),
    level: str = "familiar",
    opens_at: datetime | None = OPENS,
) -> SimpleNamespace:
    return SimpleNamespace(
        id=1,
        lesson_ids=list(lessons),
        concept_ids=list(concepts),
        required_level=level,
        opens_at=opens_at,
        due_at=DUE,
    )


def test_concepts_lessons_first_then_own_without_repeats() -> None:
    work = assignment(lessons=["three", "two", "gone"], concepts=["a", "c", "nope"])
    assert assignment_concepts(CURRICULUM, work) == ["c", "d", "b", "a"]


def test_effective_due_takes_the_extension() -> None:
    work = assignment(lessons=["one"])
    assert effective_due(work, None) == DUE
    later = DUE + timedelta(days=2)
    assert effective_due(work, SimpleNamespace(due_at=later)) == later
    # An extension never shortens: a date moved past it wins.
    assert effective_due(work, SimpleNamespace(due_at=DUE - timedelta(days=1))) == DUE


def test_status_open_with_progress() -> None:
    work = assignment(lessons=["two", "three"])  # b, c, d
    levels = {"b": "proficient", "c": "attempted", "a": "mastered"}
    status = learner_status(CURRICULUM, work, levels, DUE, OPENS + timedelta(days=1))
    assert status == Status(state="open", done=1, total=3, fraction=1 / 3, missing=["c", "d"])


def test_status_upcoming_before_it_opens() -> None:
    work = assignment(lessons=["one"])
    status = learner_status(CURRICULUM, work, {}, DUE, OPENS - timedelta(seconds=1))
    assert (status.state, status.done, status.total, status.missing) == ("upcoming", 0, 1, ["a"])


def test_status_without_open_date_is_open_at_once() -> None:
    work = assignment(lessons=["one"], opens_at=None)
    status = learner_status(CURRICULUM, work, {}, DUE, OPENS - timedelta(days=30))
    assert status.state == "open"


def test_status_overdue_after_due_unless_extended() -> None:
    work = assignment(concepts=["a", "b"], level="proficient")
    levels = {"a": "proficient", "b": "familiar"}
    after = DUE + timedelta(minutes=1)
    assert learner_status(CURRICULUM, work, levels, DUE, after).state == "overdue"
    # On the instant itself it is still open.
    assert learner_status(CURRICULUM, work, levels, DUE, DUE).state == "open"
    extended = DUE + timedelta(days=2)
    status = learner_status(CURRICULUM, work, levels, extended, after)
    assert (status.state, status.done, status.fraction, status.missing) == ("open", 1, 0.5, ["b"])


def test_status_done_whenever_every_concept_reaches_the_level() -> None:
    work = assignment(lessons=["two"], level="familiar")
    levels = {"b": "familiar", "c": "mastered"}
    for now in (OPENS - timedelta(days=1), OPENS, DUE + timedelta(days=5)):
        status = learner_status(CURRICULUM, work, levels, DUE, now)
        assert status == Status(state="done", done=2, total=2, fraction=1.0, missing=[])


@pytest.mark.parametrize(
    ("level", "learner", "done"),
    [
        ("attempted", "attempted", True),
        ("attempted", "not_started", False),
        ("familiar", "attempted", False),
        ("proficient", "familiar", False),
        ("proficient", "mastered", True),
        ("mastered", "proficient", False),
        ("mastered", "mastered", True),
    ],
)
def test_required_level_order(level: str, learner: str, done: bool) -> None:
    work = assignment(concepts=["a"], level=level)
    status = learner_status(CURRICULUM, work, {"a": learner}, DUE, OPENS)
    assert (status.state == "done") is done


def test_nothing_left_in_the_curriculum_counts_as_done() -> None:
    work = assignment(lessons=["gone"], concepts=["nope"])
    status = learner_status(CURRICULUM, work, {}, DUE, DUE + timedelta(days=1))
    assert (status.state, status.total, status.fraction) == ("done", 0, 1.0)


def test_unknown_level_is_named() -> None:
    work = assignment(concepts=["a"], level="expert")
    with pytest.raises(ValueError, match="unknown mastery level 'expert'"):
        learner_status(CURRICULUM, work, {}, DUE, OPENS)


def test_lesson_groups_follow_the_curriculum_once_each() -> None:
    groups = [(c.id, [lesson.id for lesson in ls]) for c, ls in lesson_groups(CURRICULUM)]
    assert groups == [("a", ["one"]), ("b", ["two"]), ("c", ["three"])]


def test_lesson_links_own_lessons_then_those_of_its_concepts() -> None:
    work = assignment(lessons=["two", "gone"], concepts=["c", "a", "nope"])
    assert lesson_links(CURRICULUM, work) == [("two", "Two"), ("three", "Three"), ("one", "One")]


def test_titles_keep_unknown_ids() -> None:
    assert titles(CURRICULUM, ["b", "zz"], "concepts") == ["B", "zz"]
    assert titles(CURRICULUM, ["three"], "lessons") == ["Three"]


def test_learner_order_open_and_overdue_then_upcoming_then_done() -> None:
    def status(state: str) -> Status:
        return Status(state=state, done=0, total=1, fraction=0.0)

    rows = [
        ("done", DUE - timedelta(days=9)),
        ("upcoming", DUE),
        ("open", DUE + timedelta(days=1)),
        ("overdue", DUE - timedelta(days=1)),
    ]
    rows.sort(key=lambda row: learner_order(status(row[0]), row[1]))
    assert [state for state, _ in rows] == ["overdue", "open", "upcoming", "done"]
