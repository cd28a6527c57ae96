"""Learning records: attempts, mastery, lesson unlocks, issued variants.

Revision ID: 0002_progress
Revises: 0001_accounts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.base import UTCDateTime

revision = "0002_progress"
down_revision = "0001_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("lesson_id", sa.String(100), nullable=False),
        sa.Column("check_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("variant_seed", sa.BigInteger, nullable=True),
        sa.Column("response", sa.JSON, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("review", sa.Boolean, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_attempts_user_lesson", "attempts", ["user_id", "lesson_id"])

    op.create_table(
        "mastery",
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("concept_id", sa.String(100), primary_key=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("proficient_at", UTCDateTime, nullable=True),
        sa.Column("mastered_at", UTCDateTime, nullable=True),
        sa.Column("review_card", sa.JSON, nullable=True),
        sa.Column("due_at", UTCDateTime, nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )

    op.create_table(
        "lesson_unlocks",
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("lesson_id", sa.String(100), primary_key=True),
        sa.Column(
            "by_user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )

    op.create_table(
        "issued_variants",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("lesson_id", sa.String(100), nullable=False),
        sa.Column("check_id", sa.String(100), nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("batch", sa.String(32), nullable=True),
        sa.Column("concept_id", sa.String(100), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("answered_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_issued_variants_user_id", "issued_variants", ["user_id"])
    op.create_index("ix_issued_variants_batch", "issued_variants", ["batch"])


def downgrade() -> None:
    op.drop_index("ix_issued_variants_batch", table_name="issued_variants")
    op.drop_index("ix_issued_variants_user_id", table_name="issued_variants")
    op.drop_table("issued_variants")
    op.drop_table("lesson_unlocks")
    op.drop_table("mastery")
    op.drop_index("ix_attempts_user_lesson", table_name="attempts")
    op.drop_table("attempts")
