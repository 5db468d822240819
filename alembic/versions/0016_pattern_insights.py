"""goal insights: pattern_insights, one row per goal

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

docs/domain.md §2.7 and §3.14: the insights of one goal, their status (the state
machine of GET /goals/{id}/insights), the metrics they were built from and the previous ones (the
trend), and the summary. claim_id names the generation holding a `generating` row, so a late or
doubled generation cannot overwrite a newer one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pattern_insights",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("goal_id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("insights", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("nudge_config", JSONB(), nullable=True),
        sa.Column("current_metrics", JSONB(), nullable=True),
        sa.Column("previous_metrics", JSONB(), nullable=True),
        sa.Column("checkins_analyzed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_id", UUID(as_uuid=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'generating', 'completed', 'failed', 'insufficient_data')",
            name=op.f("ck_pattern_insights_status"),
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_pattern_insights_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_pattern_insights_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pattern_insights")),
        sa.UniqueConstraint("goal_id", name=op.f("uq_pattern_insights_goal_id")),
    )
    op.create_index(op.f("ix_pattern_insights_user_id"), "pattern_insights", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pattern_insights_user_id"), table_name="pattern_insights")
    op.drop_table("pattern_insights")
