"""Learning records: append-only attempts, mastery per concept, unlocks and issued variants.

An attempt is never changed or deleted once written (the ORM refuses it); mastery is the
state derived from attempts and reviews, kept so pages and instructors read it cheaply.
Repository functions are keyword-only and leave committing to the caller, so a grade, its
attempt and the mastery it changes are committed together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    delete,
    event,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db.base import Base, utcnow

ID_LENGTH = 100  # lesson, check and concept ids
OPEN_VARIANTS = 5  # unanswered variants kept per learner and check


class Attempt(Base):
    """One answer to one check (or one item of a mixed review), as graded when it came in."""

    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_user_lesson", "user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lesson_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    check_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    kind: Mapped[str] = mapped_column(String(20))
    variant_seed: Mapped[int | None] = mapped_column(BigInteger)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float)
    correct: Mapped[bool] = mapped_column(Boolean)
    review: Mapped[bool] = mapped_column(Boolean, default=False)
    run_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mastery(Base):
    """A learner's standing on one concept: level, score and spaced-review state."""

    __tablename__ = "mastery"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    concept_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    level: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    proficient_at: Mapped[datetime | None]
    mastered_at: Mapped[datetime | None]
    review_card: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # an FSRS card's dict
    due_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LessonUnlock(Base):
    """A lesson opened for one learner by an instructor, whatever its prerequisites."""

    __tablename__ = "lesson_unlocks"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IssuedVariant(Base):
    """A variant seed the server handed out: the only seeds an attempt may be graded under."""

    __tablename__ = "issued_variants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    check_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    seed: Mapped[int] = mapped_column(BigInteger)
    # A mixed review's items share a batch token and name the concept each one reviews.
    batch: Mapped[str | None] = mapped_column(String(32), index=True)
    concept_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]


@event.listens_for(Attempt, "before_update")
@event.listens_for(Attempt, "before_delete")
def _append_only(mapper: Any, connection: Any, target: Attempt) -> None:
    raise ValueError(f"attempt {target.id} is append-only: it cannot be changed or deleted")


# -- attempts ---------------------------------------------------------------------------------


def record_attempt(
    db: Session,
    *,
    user_id: int,
    lesson_id: str,
    check_id: str,
    kind: str,
    response: dict[str, Any],
    score: float,
    correct: bool,
    variant_seed: int | None = None,
    review: bool = False,
    run_id: str | None = None,
    now: datetime | None = None,
) -> Attempt:
    """Add an attempt to the session (flushed, so it has its id); the caller commits."""
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"an attempt's score must lie in [0, 1], not {score}")
    attempt = Attempt(
        user_id=user_id,
        lesson_id=lesson_id,
        check_id=check_id,
        kind=kind,
        variant_seed=variant_seed,
        response=response,
        score=score,
        correct=correct,
        review=review,
        run_id=run_id,
        created_at=now or utcnow(),
    )
    db.add(attempt)
    db.flush()
    return attempt


def list_attempts(
    db: Session, *, user_id: int, lesson_id: str | None = None, limit: int = 200
) -> list[Attempt]:
    """A learner's attempts, newest first (optionally of one lesson)."""
    query = select(Attempt).where(Attempt.user_id == user_id)
    if lesson_id is not None:
        query = query.where(Attempt.lesson_id == lesson_id)
    query = query.order_by(Attempt.created_at.desc(), Attempt.id.desc()).limit(limit)
    return list(db.scalars(query))


def best_scores(db: Session, *, user_id: int) -> dict[tuple[str, str], float]:
    """(lesson id, check id) → the learner's best score on that check (lesson attempts only)."""
    query = (
        select(Attempt.lesson_id, Attempt.check_id, func.max(Attempt.score))
        .where(Attempt.user_id == user_id, Attempt.review.is_(False))
        .group_by(Attempt.lesson_id, Attempt.check_id)
    )
    return {(lesson, check): float(best) for lesson, check, best in db.execute(query)}


def count_attempts(db: Session, *, user_id: int) -> int:
    """How many attempts a learner has made."""
    query = select(func.count()).select_from(Attempt).where(Attempt.user_id == user_id)
    return int(db.scalar(query) or 0)


# -- mastery ----------------------------------------------------------------------------------


def get_mastery(db: Session, *, user_id: int) -> dict[str, Mastery]:
    """concept id → the learner's mastery row (concepts never touched have none)."""
    rows = db.scalars(select(Mastery).where(Mastery.user_id == user_id))
    return {row.concept_id: row for row in rows}


def save_mastery(
    db: Session,
    *,
    user_id: int,
    concept_id: str,
    level: str,
    score: float,
    proficient_at: datetime | None,
    mastered_at: datetime | None,
    review_card: dict[str, Any] | None,
    due_at: datetime | None,
    now: datetime | None = None,
) -> Mastery:
    """Insert or update a learner's mastery of one concept; the caller commits."""
    row = db.get(Mastery, (user_id, concept_id))
    if row is None:
        row = Mastery(user_id=user_id, concept_id=concept_id)
        db.add(row)
    row.level = level
    row.score = score
    row.proficient_at = proficient_at
    row.mastered_at = mastered_at
    row.review_card = review_card
    row.due_at = due_at
    row.updated_at = now or utcnow()
    db.flush()
    return row


# -- unlocks ----------------------------------------------------------------------------------


def unlocked_lessons(db: Session, *, user_id: int) -> set[str]:
    """The lessons opened for this learner by hand."""
    query = select(LessonUnlock.lesson_id).where(LessonUnlock.user_id == user_id)
    return set(db.scalars(query))


def unlock_lesson(
    db: Session,
    *,
    user_id: int,
    lesson_id: str,
    by_user_id: int | None,
    now: datetime | None = None,
) -> LessonUnlock:
    """Open a lesson for one learner (idempotent); the caller commits."""
    row = db.get(LessonUnlock, (user_id, lesson_id))
    if row is None:
        row = LessonUnlock(
            user_id=user_id, lesson_id=lesson_id, by_user_id=by_user_id, created_at=now or utcnow()
        )
        db.add(row)
        db.flush()
    return row


# -- issued variants --------------------------------------------------------------------------


def issue_variant(
    db: Session,
    *,
    user_id: int,
    lesson_id: str,
    check_id: str,
    seed: int,
    batch: str | None = None,
    concept_id: str | None = None,
    now: datetime | None = None,
) -> IssuedVariant:
    """Remember a seed handed to a learner for one check; the caller commits.

    Only the newest OPEN_VARIANTS unanswered variants of a check stay answerable (a few open
    tabs), so asking again and again cannot grow the table without bound.
    """
    stale = (
        select(IssuedVariant.id)
        .where(
            IssuedVariant.user_id == user_id,
            IssuedVariant.lesson_id == lesson_id,
            IssuedVariant.check_id == check_id,
            IssuedVariant.batch.is_(None) if batch is None else IssuedVariant.batch == batch,
            IssuedVariant.answered_at.is_(None),
        )
        .order_by(IssuedVariant.id.desc())
        .offset(OPEN_VARIANTS - 1)
    )
    old = list(db.scalars(stale))
    if old:
        db.execute(
            delete(IssuedVariant)
            .where(IssuedVariant.id.in_(old))
            .execution_options(synchronize_session=False)
        )
    variant = IssuedVariant(
        user_id=user_id,
        lesson_id=lesson_id,
        check_id=check_id,
        seed=seed,
        batch=batch,
        concept_id=concept_id,
        created_at=now or utcnow(),
    )
    db.add(variant)
    db.flush()
    return variant


def take_variant(
    db: Session,
    *,
    variant_id: int,
    user_id: int,
    lesson_id: str,
    check_id: str,
    now: datetime | None = None,
) -> IssuedVariant | None:
    """The unanswered variant issued to this learner for this check, marked answered; or None.

    One conditional UPDATE takes it, so two concurrent answers cannot both use one variant.
    """
    taken = db.execute(
        update(IssuedVariant)
        .where(
            IssuedVariant.id == variant_id,
            IssuedVariant.user_id == user_id,
            IssuedVariant.lesson_id == lesson_id,
            IssuedVariant.check_id == check_id,
            IssuedVariant.answered_at.is_(None),
        )
        .values(answered_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return None
    return db.get(IssuedVariant, variant_id, populate_existing=True)


def review_batch(db: Session, *, user_id: int, batch: str) -> list[IssuedVariant]:
    """The unanswered items of one of this learner's mixed reviews, in the order issued."""
    query = (
        select(IssuedVariant)
        .where(
            IssuedVariant.user_id == user_id,
            IssuedVariant.batch == batch,
            IssuedVariant.answered_at.is_(None),
        )
        .order_by(IssuedVariant.id)
    )
    return list(db.scalars(query))


def drop_open_reviews(db: Session, *, user_id: int) -> int:
    """Forget this learner's unanswered review items (a new review replaces them)."""
    dropped = db.execute(
        delete(IssuedVariant)
        .where(
            IssuedVariant.user_id == user_id,
            IssuedVariant.batch.is_not(None),
            IssuedVariant.answered_at.is_(None),
        )
        .execution_options(synchronize_session=False)
    )
    return int(dropped.rowcount or 0)
