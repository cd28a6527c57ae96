"""Teaching: classes, members, invitations, assignments, extensions, lesson time.

Revision ID: 0003_classes
Revises: 0002_progress
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.base import UTCDateTime

revision = "0003_classes"
down_revision = "0002_progress"
branch_labels = None
depends_on = None


def _user(name: str, *, primary_key: bool = False, ondelete: str = "CASCADE") -> sa.Column:
    return sa.Column(
        name,
        sa.Integer,
        sa.ForeignKey("users.id", ondelete=ondelete),
        primary_key=primary_key,
        nullable=not primary_key and ondelete != "CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("join_code", sa.String(16), nullable=True, unique=True),
        sa.Column("join_enabled", sa.Boolean, nullable=False),
        sa.Column("required_level", sa.String(20), nullable=False),
        sa.Column("archived_at", UTCDateTime, nullable=True),
        _user("created_by", ondelete="SET NULL"),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.CheckConstraint("required_level IN ('familiar', 'proficient')", name="required_level"),
    )

    op.create_table(
        "class_members",
        sa.Column(
            "class_id",
            sa.Integer,
            sa.ForeignKey("classes.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        _user("user_id", primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        _user("added_by", ondelete="SET NULL"),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.CheckConstraint("role IN ('learner', 'assistant', 'instructor')", name="role"),
    )
    op.create_index("ix_class_members_user_id", "class_members", ["user_id"])

    op.create_table(
        "class_invites",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(80), nullable=True),
        _user("created_by", ondelete="SET NULL"),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("class_id", "email", name="uq_class_invites_class_email"),
    )
    op.create_index("ix_class_invites_email", "class_invites", ["email"])

    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("lesson_ids", sa.JSON, nullable=False),
        sa.Column("concept_ids", sa.JSON, nullable=False),
        sa.Column("required_level", sa.String(20), nullable=False),
        sa.Column("opens_at", UTCDateTime, nullable=True),
        sa.Column("due_at", UTCDateTime, nullable=False),
        _user("created_by", ondelete="SET NULL"),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.CheckConstraint(
            "required_level IN ('attempted', 'familiar', 'proficient', 'mastered')",
            name="required_level",
        ),
    )
    op.create_index("ix_assignments_class_id", "assignments", ["class_id"])

    op.create_table(
        "assignment_extensions",
        sa.Column(
            "assignment_id",
            sa.Integer,
            sa.ForeignKey("assignments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        _user("user_id", primary_key=True),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        _user("by_user_id", ondelete="SET NULL"),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )

    op.create_table(
        "lesson_time",
        _user("user_id", primary_key=True),
        sa.Column("lesson_id", sa.String(100), primary_key=True),
        sa.Column("seconds", sa.Integer, nullable=False),
        sa.Column("first_seen_at", UTCDateTime, nullable=False),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("lesson_time")
    op.drop_table("assignment_extensions")
    op.drop_index("ix_assignments_class_id", table_name="assignments")
    op.drop_table("assignments")
    op.drop_index("ix_class_invites_email", table_name="class_invites")
    op.drop_table("class_invites")
    op.drop_index("ix_class_members_user_id", table_name="class_members")
    op.drop_table("class_members")
    op.drop_table("classes")
