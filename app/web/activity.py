"""Time spent: a lesson page reports the seconds it was in view, and they add up per lesson.

The page (static/js/learn/activity.js) posts every 30 s while it is visible and once more
when it is hidden. The server counts at most one report per learner and lesson every
MIN_GAP (by the app's clock) and never more seconds than have passed since the last one
counted, so a script posting in a loop cannot make a lesson look longer studied than it was.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.classes import LessonTime
from app.web.auth_deps import DbDep, RequiredUser, now
from app.web.learn_state import get_curriculum, lesson_or_404

router = APIRouter(prefix="/api")

MIN_GAP = timedelta(seconds=20)  # the least time between two counted reports
MAX_REPORT = 60  # seconds one report may carry (the page reports every 30 s)


class TimeIn(BaseModel):
    """One report: the seconds the page was in view since its last report."""

    model_config = ConfigDict(extra="forbid")

    seconds: int = Field(ge=1, le=MAX_REPORT, strict=True)


def add_time(db: Session, *, user_id: int, lesson_id: str, seconds: int, now: datetime) -> bool:
    """Add ``seconds`` to the learner's time on a lesson; False when the report is not counted.

    A report within MIN_GAP of the last counted one is dropped; a later one counts at most the
    seconds elapsed since it. The update is conditional on the row being as read, so two
    reports at once cannot both count. The caller commits (a lost race rolls back, and the
    session holds nothing else of this request's).
    """
    row = db.get(LessonTime, (user_id, lesson_id))
    if row is None:
        db.add(
            LessonTime(
                user_id=user_id,
                lesson_id=lesson_id,
                seconds=seconds,
                first_seen_at=now,
                last_seen_at=now,
            )
        )
        try:
            db.flush()
        except IntegrityError:  # another report made the row first: this one is not counted
            db.rollback()
            return False
        return True
    elapsed = now - row.last_seen_at
    if elapsed < MIN_GAP:
        return False
    credited = min(seconds, int(elapsed.total_seconds()))
    counted = db.execute(
        update(LessonTime)
        .where(
            LessonTime.user_id == user_id,
            LessonTime.lesson_id == lesson_id,
            LessonTime.last_seen_at == row.last_seen_at,
        )
        .values(seconds=LessonTime.seconds + credited, last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    return counted.rowcount == 1


@router.post("/lessons/{lesson_id}/time")
def report_time(
    request: Request, lesson_id: str, body: TimeIn, db: DbDep, user: RequiredUser
) -> dict[str, object]:
    """Count seconds a lesson page was in view; answers the total and whether this counted."""
    lesson = lesson_or_404(get_curriculum(request), lesson_id)
    counted = add_time(
        db, user_id=user.id, lesson_id=lesson.id, seconds=body.seconds, now=now(request)
    )
    db.commit()
    row = db.get(LessonTime, (user.id, lesson.id), populate_existing=True)
    return {"lesson": lesson.id, "counted": counted, "seconds": row.seconds if row else 0}
