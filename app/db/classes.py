"""Teaching tables: classes, their members and invitations, assignments, extensions, time spent.

A class belongs to its staff (instructors and assistants, any number of each) and holds
learners, who join with the class's code or are imported from a roster. An assignment asks
the class's learners to bring lessons' or concepts' mastery to a level by a due date; times
are stored in UTC and shown in the class's time zone. Repository functions live beside the
routes that use them (app/web/classes*.py); these are only the tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, utcnow

ID_LENGTH = 100  # lesson and concept ids, as in app.db.progress

MemberRole = Literal["learner", "assistant", "instructor"]
MEMBER_ROLES: tuple[str, ...] = get_args(MemberRole)
STAFF_ROLES: tuple[str, ...] = ("assistant", "instructor")

# Levels a class may ask prerequisites to reach before a lesson opens (the gate), and the
# levels an assignment may ask its lessons' concepts to reach (completion).
GATE_LEVELS: tuple[str, ...] = ("familiar", "proficient")
TARGET_LEVELS: tuple[str, ...] = ("attempted", "familiar", "proficient", "mastered")


class Class(Base):
    """A class: a name, a time zone for its dates, a join code and the gate it asks for."""

    __tablename__ = "classes"
    __table_args__ = (
        CheckConstraint("required_level IN ('familiar', 'proficient')", name="required_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # An IANA zone name (Europe/Paris); due dates are shown and entered in it.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Learners type this to join; unique while set. join_enabled=False keeps it but refuses it.
    join_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    join_enabled: Mapped[bool] = mapped_column(default=True)
    # The level every prerequisite must reach before a lesson opens for this class's learners.
    required_level: Mapped[str] = mapped_column(String(20), default="familiar")
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"Class(id={self.id}, name={self.name!r})"


class Membership(Base):
    """One person in one class, as a learner, an assistant (TA) or an instructor."""

    __tablename__ = "class_members"
    __table_args__ = (
        CheckConstraint("role IN ('learner', 'assistant', 'instructor')", name="role"),
        Index("ix_class_members_user_id", "user_id"),
    )

    class_id: Mapped[int] = mapped_column(
        ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), default="learner")
    added_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClassInvite(Base):
    """A roster line whose email has no account yet: the person joins when they sign up."""

    __tablename__ = "class_invites"
    __table_args__ = (UniqueConstraint("class_id", "email", name="uq_class_invites_class_email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254), index=True)  # stored lower-case
    display_name: Mapped[str | None] = mapped_column(String(80), default=None)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Assignment(Base):
    """Lessons and/or concepts a class must bring to ``required_level`` by ``due_at`` (UTC)."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint(
            "required_level IN ('attempted', 'familiar', 'proficient', 'mastered')",
            name="required_level",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    lesson_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    concept_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    required_level: Mapped[str] = mapped_column(String(20), default="familiar")
    opens_at: Mapped[datetime | None] = mapped_column(default=None)
    due_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssignmentExtension(Base):
    """A later due date for one learner on one assignment."""

    __tablename__ = "assignment_extensions"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    due_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(String(200), default=None)
    by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LessonTime(Base):
    """Seconds a learner has spent with a lesson page open and in view (heartbeats add up)."""

    __tablename__ = "lesson_time"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    seconds: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
