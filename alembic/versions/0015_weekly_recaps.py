"""weekly_recaps; the index the recap job selects its users through

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

docs/domain.md §2.7: one recap per user and local Monday (UNIQUE (user_id, week_start)), listed newest
first through (user_id, week_start DESC). §4 generate_weekly_recaps: the hourly job takes the users of
the zones at local Monday 10:00 whose plan has weekly recaps, through (plan, timezone, id), never by
scanning users.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "weekly_recaps",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("week_end", sa.Date(), nullable=False),
        sa.Column("goals_hit", sa.Integer(), nullable=False),
        sa.Column("goals_total", sa.Integer(), nullable=False),
        sa.Column("consistency_percent", sa.Numeric(5, 2)),
        sa.Column("summary", sa.Text()),
        sa.Column("win", sa.Text()),
        sa.Column("insight", sa.Text()),
        sa.Column("focus_next_week", sa.Text()),
        sa.Column("motivational_close", sa.Text()),
        sa.Column("recap_text", sa.Text()),
        sa.Column("stats", JSONB()),
        sa.Column("goal_breakdown", JSONB()),
        sa.Column("completion_rate_trend", JSONB()),
        sa.Column("achievements_unlocked", JSONB()),
        sa.Column("partner_context", JSONB()),
        sa.Column("generated_at", sa.DateTime(timezone=True)),
        sa.Column("viewed_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("week_end = week_start + 6", name=op.f("ck_weekly_recaps_week_end")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_weekly_recaps_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_recaps")),
        sa.UniqueConstraint("user_id", "week_start", name=op.f("uq_weekly_recaps_user_id_week_start")),
    )
    op.create_index(
        "ix_weekly_recaps_user_week_start",
        "weekly_recaps",
        ["user_id", sa.text("week_start DESC")],
    )
    op.create_index("ix_users_plan_timezone_id", "users", ["plan", "timezone", "id"])


def downgrade() -> None:
    op.drop_index("ix_users_plan_timezone_id", table_name="users")
    op.drop_index("ix_weekly_recaps_user_week_start", table_name="weekly_recaps")
    op.drop_table("weekly_recaps")
