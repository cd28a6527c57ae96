"""The instructor's read-only queries on SQLite and PostgreSQL, against rows written by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.db import insights, progress
from app.db.classes import Assignment, AssignmentExtension, Class, LessonTime, Membership
from app.db.models import User
from tests.dbtools import write_level

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _user(db: Session, name: str, role: str = "learner") -> User:
    user = User(email=f"{name}@example.org", display_name=name, password_hash="x", role=role)
    db.add(user)
    db.flush()
    return user


def _class(db: Session, name: str, members: dict[User, str]) -> Class:
    klass = Class(name=name, join_code=name[:8].upper())
    db.add(klass)
    db.flush()
    for user, role in members.items():
        db.add(Membership(class_id=klass.id, user_id=user.id, role=role))
    db.flush()
    return klass


def _attempt(
    db: Session,
    user: User,
    lesson: str,
    check: str,
    score: float,
    at: datetime,
    kind: str = "choice",
    correct: bool | None = None,
) -> None:
    progress.record_attempt(
        db,
        user_id=user.id,
        lesson_id=lesson,
        check_id=check,
        kind=kind,
        response={},
        score=score,
        correct=score == 1.0 if correct is None else correct,
        now=at,
    )


def test_class_queries_cover_only_its_learners(db_session: Session) -> None:
    db = db_session
    zoe, ada, teach, other = (
        _user(db, "zoe"),
        _user(db, "ada"),
        _user(db, "teach", "instructor"),
        _user(db, "other"),
    )
    klass = _class(db, "Deep 101", {zoe: "learner", ada: "learner", teach: "instructor"})
    _class(db, "Elsewhere", {other: "learner"})
    write_level(db, ada.id, "composition", "familiar", 0.75)
    write_level(db, ada.id, "softmax-ce", "attempted", 0.25)
    write_level(db, other.id, "composition", "mastered", 1.0)
    db.commit()

    assert [u.display_name for u in insights.class_learners(db, class_id=klass.id)] == [
        "ada",
        "zoe",
    ]
    assert insights.learner_of(db, class_id=klass.id, user_id=ada.id) == ada
    assert insights.learner_of(db, class_id=klass.id, user_id=teach.id) is None  # staff
    assert insights.learner_of(db, class_id=klass.id, user_id=other.id) is None
    table = insights.mastery_table(db, user_ids=[ada.id, zoe.id])
    assert table == {
        ada.id: {"composition": ("familiar", 0.75), "softmax-ce": ("attempted", 0.25)},
        zoe.id: {},
    }


def test_attempt_stats_count_mean_and_last(db_session: Session) -> None:
    db = db_session
    ada, zoe = _user(db, "ada"), _user(db, "zoe")
    _attempt(db, ada, "composition", "c1", 1.0, T0 - timedelta(days=10))
    _attempt(db, ada, "softmax", "s1", 0.5, T0 - timedelta(days=2))
    _attempt(db, ada, "softmax", "s1", 0.0, T0 - timedelta(days=1))
    db.commit()

    stats = insights.attempt_stats(db, user_ids=[ada.id, zoe.id])
    assert stats[ada.id].count == 3
    assert abs(stats[ada.id].mean_score - 0.5) < 1e-9  # (1 + 0.5 + 0) / 3
    assert stats[ada.id].last_at == T0 - timedelta(days=1)
    assert stats[zoe.id] == insights.AttemptStats(0, 0.0, None)

    recent = insights.attempt_stats(db, user_ids=[ada.id], since=T0 - timedelta(days=7))
    assert recent[ada.id].count == 2
    assert abs(recent[ada.id].mean_score - 0.25) < 1e-9

    per_lesson = insights.lesson_attempt_stats(db, user_ids=[ada.id])
    assert per_lesson[(ada.id, "composition")].count == 1
    assert per_lesson[(ada.id, "softmax")].count == 2
    assert abs(per_lesson[(ada.id, "softmax")].mean_score - 0.25) < 1e-9
    assert per_lesson[(ada.id, "softmax")].last_at == T0 - timedelta(days=1)


def test_lab_challenges_passed_count_distinct_checks(db_session: Session) -> None:
    db = db_session
    ada, zoe = _user(db, "ada"), _user(db, "zoe")
    _attempt(db, ada, "composition", "c4", 0.0, T0, kind="lab")
    _attempt(db, ada, "composition", "c4", 1.0, T0 + timedelta(minutes=5), kind="lab")
    _attempt(db, ada, "composition", "c4", 1.0, T0 + timedelta(minutes=9), kind="lab")
    _attempt(db, ada, "deep", "d9", 0.0, T0, kind="lab")
    _attempt(db, ada, "composition", "c1", 1.0, T0)  # not a lab challenge
    db.commit()

    assert insights.labs_passed(db, user_ids=[ada.id, zoe.id]) == {ada.id: 1, zoe.id: 0}
    assert insights.learner_labs(db, user_id=ada.id) == [
        insights.LabRecord("composition", "c4", 3, T0 + timedelta(minutes=5)),
        insights.LabRecord("deep", "d9", 1, None),
    ]


def test_learner_records_time_unlocks_and_attempts(db_session: Session) -> None:
    db = db_session
    ada, teach = _user(db, "ada"), _user(db, "teach", "instructor")
    db.add(LessonTime(user_id=ada.id, lesson_id="softmax", seconds=95, first_seen_at=T0,
                      last_seen_at=T0 + timedelta(hours=1)))  # fmt: skip
    db.add(LessonTime(user_id=ada.id, lesson_id="composition", seconds=600, first_seen_at=T0,
                      last_seen_at=T0 + timedelta(hours=2)))  # fmt: skip
    progress.unlock_lesson(db, user_id=ada.id, lesson_id="softmax", by_user_id=teach.id, now=T0)
    _attempt(db, ada, "composition", "c1", 1.0, T0)
    _attempt(db, ada, "composition", "c2", 0.0, T0 + timedelta(minutes=1))
    db.commit()

    assert insights.time_table(db, user_ids=[ada.id]) == {
        ada.id: {"softmax": 95, "composition": 600}
    }
    assert [t.lesson_id for t in insights.learner_time(db, user_id=ada.id)] == [
        "composition",
        "softmax",
    ]
    unlocks = insights.learner_unlocks(db, user_id=ada.id)
    assert [(u.lesson_id, u.by_user_id, u.created_at) for u in unlocks] == [
        ("softmax", teach.id, T0)
    ]
    attempts = insights.learner_attempts(db, user_id=ada.id)
    assert [(a.check_id, a.score) for a in attempts] == [("c2", 0.0), ("c1", 1.0)]


def test_assignments_and_extensions_of_one_class(db_session: Session) -> None:
    db = db_session
    ada = _user(db, "ada")
    mine, theirs = _class(db, "Mine", {ada: "learner"}), _class(db, "Theirs", {})
    later = Assignment(class_id=mine.id, title="Later", lesson_ids=[], due_at=T0 + timedelta(9))
    sooner = Assignment(class_id=mine.id, title="Sooner", lesson_ids=[], due_at=T0)
    foreign = Assignment(class_id=theirs.id, title="Foreign", lesson_ids=[], due_at=T0)
    db.add_all([later, sooner, foreign])
    db.flush()
    db.add(AssignmentExtension(assignment_id=sooner.id, user_id=ada.id, due_at=T0 + timedelta(2)))
    db.add(AssignmentExtension(assignment_id=foreign.id, user_id=ada.id, due_at=T0))
    db.commit()

    assert [a.title for a in insights.class_assignments(db, class_id=mine.id)] == [
        "Sooner",
        "Later",
    ]
    extensions = insights.class_extensions(db, class_id=mine.id)
    assert list(extensions) == [(sooner.id, ada.id)]
    assert extensions[(sooner.id, ada.id)].due_at == T0 + timedelta(days=2)
