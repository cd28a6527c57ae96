"""Learning records on SQLite and PostgreSQL: attempts append-only, mastery, unlocks, variants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import progress
from app.db.models import User
from app.db.progress import Attempt, IssuedVariant, Mastery

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _user(db: Session, email: str) -> User:
    user = User(email=email, display_name=email.split("@")[0], password_hash="x", role="learner")
    db.add(user)
    db.flush()
    return user


def _attempt(db: Session, user: User, check: str, score: float, **extra) -> Attempt:
    return progress.record_attempt(
        db,
        user_id=user.id,
        lesson_id="composition",
        check_id=check,
        kind="choice",
        response={"choice": 1},
        score=score,
        correct=score == 1.0,
        **extra,
    )


def test_record_attempt_round_trips(db_session: Session) -> None:
    ada = _user(db_session, "ada@example.org")
    attempt = progress.record_attempt(
        db_session,
        user_id=ada.id,
        lesson_id="composition",
        check_id="c3",
        kind="generated",
        variant_seed=2**40 + 7,
        response={"values": {"y": 0.349}},
        score=0.5,
        correct=False,
        run_id="r1",
        now=T0,
    )
    db_session.commit()
    db_session.expunge_all()
    row = db_session.get(Attempt, attempt.id)
    assert (row.lesson_id, row.check_id, row.kind, row.variant_seed) == (
        "composition",
        "c3",
        "generated",
        2**40 + 7,
    )
    assert row.response == {"values": {"y": 0.349}}
    assert (row.score, row.correct, row.review, row.run_id) == (0.5, False, False, "r1")
    assert row.created_at == T0 and row.created_at.tzinfo is not None


def test_attempts_are_append_only(db_session: Session) -> None:
    ada = _user(db_session, "ada@example.org")
    attempt = _attempt(db_session, ada, "c1", 0.0)
    db_session.commit()
    attempt.score = 1.0
    with pytest.raises(ValueError, match="append-only"):
        db_session.flush()
    db_session.rollback()
    with pytest.raises(ValueError, match="append-only"):
        db_session.delete(db_session.get(Attempt, attempt.id))
        db_session.flush()


def test_record_attempt_refuses_a_score_outside_unit_interval(db_session: Session) -> None:
    ada = _user(db_session, "ada@example.org")
    with pytest.raises(ValueError, match=r"score must lie in \[0, 1\]"):
        _attempt(db_session, ada, "c1", 1.5)


def test_best_scores_are_per_learner_and_skip_reviews(db_session: Session) -> None:
    ada = _user(db_session, "ada@example.org")
    bob = _user(db_session, "bob@example.org")
    _attempt(db_session, ada, "c1", 0.0)
    _attempt(db_session, ada, "c1", 1.0)
    _attempt(db_session, ada, "c1", 0.5)
    _attempt(db_session, ada, "c2", 1.0, review=True)
    _attempt(db_session, bob, "c2", 1.0)
    db_session.commit()
    assert progress.best_scores(db_session, user_id=ada.id) == {("composition", "c1"): 1.0}
    assert progress.best_scores(db_session, user_id=bob.id) == {("composition", "c2"): 1.0}
    assert progress.count_attempts(db_session, user_id=ada.id) == 4


def test_list_attempts_newest_first_and_only_the_learners(db_session: Session) -> None:
    ada = _user(db_session, "ada@example.org")
    bob = _user(db_session, "bob@example.org")
    for minute, check in enumerate(["c1", "c2", "c3"]):
        _attempt(db_session, ada, check, 1.0, now=T0 + timedelta(minutes=minute))
    _attempt(db_session, bob, "c9", 1.0, now=T0 + timedelta(hours=1))
    db_session.commit()
    rows = progress.list_attempts(db_session, user_id=ada.id)
    assert [row.check_id for row in rows] == ["c3", "c2", "c1"]
    assert progress.list_attempts(db_session, user_id=ada.id, lesson_id="other") == []
    assert len(progress.list_attempts(db_session, user_id=ada.id, limit=2)) == 2


def test_save_mastery_inserts_then_updates(db_session: Session) -> None:
    ada = _user(db_session, "ada@example.org")
    card = {"card_id": 1, "state": 2, "due": "2026-03-04T09:00:00+00:00"}
    progress.save_mastery(
        db_session,
        user_id=ada.id,
        concept_id="composition",
        level="familiar",
        score=0.75,
        proficient_at=None,
        mastered_at=None,
        review_card=card,
        due_at=T0 + timedelta(days=2),
        now=T0,
    )
    db_session.commit()
    progress.save_mastery(
        db_session,
        user_id=ada.id,
        concept_id="composition",
        level="proficient",
        score=1.0,
        proficient_at=T0 + timedelta(hours=1),
        mastered_at=None,
        review_card=card,
        due_at=T0 + timedelta(days=2),
        now=T0 + timedelta(hours=1),
    )
    db_session.commit()
    db_session.expunge_all()
    rows = progress.get_mastery(db_session, user_id=ada.id)
    assert list(rows) == ["composition"]
    row = rows["composition"]
    assert (row.level, row.score, row.review_card) == ("proficient", 1.0, card)
    assert row.proficient_at == T0 + timedelta(hours=1)
    assert row.due_at == T0 + timedelta(days=2)
    assert len(db_session.scalars(select(Mastery)).all()) == 1


def test_unlock_lesson_is_idempotent_and_per_learner(db_session: Session) -> None:
    ada = _user(db_session, "ada@example.org")
    bob = _user(db_session, "bob@example.org")
    teacher = _user(db_session, "teacher@example.org")
    progress.unlock_lesson(db_session, user_id=ada.id, lesson_id="rnn", by_user_id=teacher.id)
    progress.unlock_lesson(db_session, user_id=ada.id, lesson_id="rnn", by_user_id=teacher.id)
    db_session.commit()
    assert progress.unlocked_lessons(db_session, user_id=ada.id) == {"rnn"}
    assert progress.unlocked_lessons(db_session, user_id=bob.id) == set()


def test_issued_variant_is_taken_once_by_its_own_learner(db_session: Session) -> None:
    ada = _user(db_session, "ada@example.org")
    bob = _user(db_session, "bob@example.org")
    variant = progress.issue_variant(
        db_session, user_id=ada.id, lesson_id="composition", check_id="c3", seed=123456789
    )
    db_session.commit()
    where = {"variant_id": variant.id, "lesson_id": "composition", "check_id": "c3"}
    assert progress.take_variant(db_session, user_id=bob.id, **where) is None
    wrong_check = {**where, "check_id": "c4"}
    assert progress.take_variant(db_session, user_id=ada.id, **wrong_check) is None
    taken = progress.take_variant(db_session, user_id=ada.id, **where)
    assert taken is not None and taken.seed == 123456789 and taken.answered_at is not None
    db_session.commit()
    assert progress.take_variant(db_session, user_id=ada.id, **where) is None


def test_attempt_needs_an_existing_user(db_session: Session) -> None:
    db_session.add(
        Attempt(
            user_id=999,
            lesson_id="x",
            check_id="c1",
            kind="choice",
            response={},
            score=0.0,
            correct=False,
            review=False,
        )
    )
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_only_the_newest_unanswered_variants_stay_open(db_session: Session) -> None:
    ada = _user(db_session, "ada@example.org")
    where = {"user_id": ada.id, "lesson_id": "composition", "check_id": "c3"}
    ids = [progress.issue_variant(db_session, seed=s, **where).id for s in range(7)]
    db_session.commit()
    assert progress.OPEN_VARIANTS == 5
    for old in ids[:2]:
        assert progress.take_variant(db_session, variant_id=old, **where) is None
    for recent in ids[2:]:
        assert progress.take_variant(db_session, variant_id=recent, **where) is not None
    db_session.commit()
    # Answered variants are kept (attempts name their seeds); other checks are untouched.
    other = progress.issue_variant(db_session, **{**where, "check_id": "c9"}, seed=1)
    assert db_session.get(IssuedVariant, ids[2]) is not None and other.id > ids[-1]


def test_a_new_review_drops_the_unanswered_one(db_session: Session) -> None:
    ada = _user(db_session, "ada@example.org")
    bob = _user(db_session, "bob@example.org")
    item = {"lesson_id": "composition", "check_id": "c1", "seed": 0, "concept_id": "composition"}
    progress.issue_variant(db_session, user_id=ada.id, batch="first", **item)
    progress.issue_variant(db_session, user_id=bob.id, batch="bobs", **item)
    db_session.commit()
    assert progress.drop_open_reviews(db_session, user_id=ada.id) == 1
    db_session.commit()
    assert progress.review_batch(db_session, user_id=ada.id, batch="first") == []
    assert len(progress.review_batch(db_session, user_id=bob.id, batch="bobs")) == 1
