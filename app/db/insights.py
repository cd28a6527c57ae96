"""What an instructor reads about a class and its learners: read-only queries.

For a class: its learners, their mastery per concept, attempt counts and scores, lab
challenges passed and time per lesson. For one learner: attempts, lab challenges, time per
lesson and lessons unlocked by hand. Nothing here writes; the curriculum (which lesson
teaches which concept) is joined in by the routes (app/web/dashboard.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.classes import Assignment, AssignmentExtension, LessonTime, Membership
from app.db.models import User
from app.db.progress import Attempt, LessonUnlock, Mastery


@dataclass(frozen=True)
class AttemptStats:
    """How many attempts, their mean score and when the last one came in."""

    count: int
    mean_score: float
    last_at: datetime | None


@dataclass(frozen=True)
class LabRecord:
    """One lab challenge a learner tried: how often, and when first passed (None: not yet)."""

    lesson_id: str
    check_id: str
    tries: int
    passed_at: datetime | None


# -- a class ----------------------------------------------------------------------------------


def class_learners(db: Session, *, class_id: int) -> list[User]:
    """The class's learners, by display name."""
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.class_id == class_id, Membership.role == "learner")
        .order_by(User.display_name, User.id)
    )
    return list(db.scalars(query))


def joined_at(db: Session, *, class_id: int) -> dict[int, datetime]:
    """user id → when they became a member of the class."""
    query = select(Membership.user_id, Membership.created_at).where(Membership.class_id == class_id)
    return {user_id: at for user_id, at in db.execute(query)}


def learner_of(db: Session, *, class_id: int, user_id: int) -> User | None:
    """The user if they are a learner of the class, else None."""
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.class_id == class_id,
            Membership.user_id == user_id,
            Membership.role == "learner",
        )
    )
    return db.scalar(query)


def class_assignments(db: Session, *, class_id: int) -> list[Assignment]:
    """The class's assignments, soonest due first."""
    query = (
        select(Assignment)
        .where(Assignment.class_id == class_id)
        .order_by(Assignment.due_at, Assignment.id)
    )
    return list(db.scalars(query))


def class_extensions(db: Session, *, class_id: int) -> dict[tuple[int, int], AssignmentExtension]:
    """(assignment id, user id) → that learner's extension, for the class's assignments."""
    query = (
        select(AssignmentExtension)
        .join(Assignment, Assignment.id == AssignmentExtension.assignment_id)
        .where(Assignment.class_id == class_id)
    )
    return {(row.assignment_id, row.user_id): row for row in db.scalars(query)}


def mastery_table(
    db: Session, *, user_ids: Collection[int]
) -> dict[int, dict[str, tuple[str, float]]]:
    """user id → concept id → (level, score); concepts never touched are absent."""
    table: dict[int, dict[str, tuple[str, float]]] = {uid: {} for uid in user_ids}
    if not user_ids:
        return table
    query = select(Mastery.user_id, Mastery.concept_id, Mastery.level, Mastery.score).where(
        Mastery.user_id.in_(list(user_ids))
    )
    for user_id, concept_id, level, score in db.execute(query):
        table[user_id][concept_id] = (level, float(score))
    return table


def attempt_stats(
    db: Session, *, user_ids: Collection[int], since: datetime | None = None
) -> dict[int, AttemptStats]:
    """user id → attempts (count, mean score, last time), since ``since`` if given.

    Learners without attempts get count 0, mean 0 and no last time.
    """
    stats = {uid: AttemptStats(0, 0.0, None) for uid in user_ids}
    if not user_ids:
        return stats
    query = select(
        Attempt.user_id, func.count(), func.avg(Attempt.score), func.max(Attempt.created_at)
    ).where(Attempt.user_id.in_(list(user_ids)))
    if since is not None:
        query = query.where(Attempt.created_at >= since)
    for user_id, count, mean, last in db.execute(query.group_by(Attempt.user_id)):
        stats[user_id] = AttemptStats(int(count), float(mean), _aware(last))
    return stats


def lesson_attempt_stats(
    db: Session, *, user_ids: Collection[int], since: datetime | None = None
) -> dict[tuple[int, str], AttemptStats]:
    """(user id, lesson id) → attempts at that lesson's checks (and its review items)."""
    if not user_ids:
        return {}
    query = select(
        Attempt.user_id,
        Attempt.lesson_id,
        func.count(),
        func.avg(Attempt.score),
        func.max(Attempt.created_at),
    ).where(Attempt.user_id.in_(list(user_ids)))
    if since is not None:
        query = query.where(Attempt.created_at >= since)
    rows = db.execute(query.group_by(Attempt.user_id, Attempt.lesson_id))
    return {
        (user_id, lesson_id): AttemptStats(int(count), float(mean), _aware(last))
        for user_id, lesson_id, count, mean, last in rows
    }


def labs_passed(db: Session, *, user_ids: Collection[int]) -> dict[int, int]:
    """user id → how many distinct lab challenges the learner has passed."""
    counts = dict.fromkeys(user_ids, 0)
    if not user_ids:
        return counts
    passed = (
        select(Attempt.user_id, Attempt.lesson_id, Attempt.check_id)
        .where(
            Attempt.user_id.in_(list(user_ids)),
            Attempt.kind == "lab",
            Attempt.correct.is_(True),
        )
        .distinct()
        .subquery()
    )
    query = select(passed.c.user_id, func.count()).group_by(passed.c.user_id)
    for user_id, count in db.execute(query):
        counts[user_id] = int(count)
    return counts


def time_table(db: Session, *, user_ids: Collection[int]) -> dict[int, dict[str, int]]:
    """user id → lesson id → seconds spent with the lesson in view."""
    table: dict[int, dict[str, int]] = {uid: {} for uid in user_ids}
    if not user_ids:
        return table
    query = select(LessonTime.user_id, LessonTime.lesson_id, LessonTime.seconds).where(
        LessonTime.user_id.in_(list(user_ids))
    )
    for user_id, lesson_id, seconds in db.execute(query):
        table[user_id][lesson_id] = int(seconds)
    return table


# -- one learner ------------------------------------------------------------------------------


def learner_attempts(db: Session, *, user_id: int, limit: int = 100) -> list[Attempt]:
    """The learner's latest attempts, newest first."""
    query = (
        select(Attempt)
        .where(Attempt.user_id == user_id)
        .order_by(Attempt.created_at.desc(), Attempt.id.desc())
        .limit(limit)
    )
    return list(db.scalars(query))


def learner_labs(db: Session, *, user_id: int) -> list[LabRecord]:
    """Every lab challenge the learner tried, by lesson and check."""
    first_pass = func.min(Attempt.created_at).filter(Attempt.correct.is_(True))
    query = (
        select(Attempt.lesson_id, Attempt.check_id, func.count(), first_pass)
        .where(Attempt.user_id == user_id, Attempt.kind == "lab")
        .group_by(Attempt.lesson_id, Attempt.check_id)
        .order_by(Attempt.lesson_id, Attempt.check_id)
    )
    return [
        LabRecord(lesson_id, check_id, int(tries), _aware(passed))
        for lesson_id, check_id, tries, passed in db.execute(query)
    ]


def learner_time(db: Session, *, user_id: int) -> list[LessonTime]:
    """The learner's time per lesson, most recently seen first."""
    query = (
        select(LessonTime)
        .where(LessonTime.user_id == user_id)
        .order_by(LessonTime.last_seen_at.desc(), LessonTime.lesson_id)
    )
    return list(db.scalars(query))


def learner_unlocks(db: Session, *, user_id: int) -> list[LessonUnlock]:
    """Lessons opened for the learner by hand, oldest first."""
    query = (
        select(LessonUnlock)
        .where(LessonUnlock.user_id == user_id)
        .order_by(LessonUnlock.created_at, LessonUnlock.lesson_id)
    )
    return list(db.scalars(query))


def by_lesson(stats: dict[tuple[int, str], AttemptStats]) -> dict[int, dict[str, AttemptStats]]:
    """Regroup lesson_attempt_stats as user id → lesson id → stats."""
    grouped: dict[int, dict[str, AttemptStats]] = defaultdict(dict)
    for (user_id, lesson_id), value in stats.items():
        grouped[user_id][lesson_id] = value
    return dict(grouped)


def _aware(value: datetime | str | None) -> datetime | None:
    """An aggregate's timestamp as an aware UTC datetime (SQLite hands back text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
