"""ai coach: conversations, messages, daily usage, rewarded-ad unlocks

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

docs client-behaviour §7: conversations, their messages as rows of their own (a turn appends one
row; pages are index scans; the worker claims a pending user message by its row, and the sweeper
finds the ones left waiting through the partial index), the daily quota on the local date, and one
row per rewarded ad claimed, so a repeated unlock adds nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ai_coach_ad_rewards",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("reward_id", sa.Text(), nullable=False),
        sa.Column("usage_date", sa.Date(), nullable=False),
        sa.Column("messages_unlocked", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("messages_unlocked > 0", name=op.f("ck_ai_coach_ad_rewards_messages_unlocked")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ai_coach_ad_rewards_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "reward_id", name=op.f("pk_ai_coach_ad_rewards")),
    )
    op.create_table(
        "ai_coach_conversations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("message_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_tokens_used", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "last_message_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("is_archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "message_count >= 0 AND total_tokens_used >= 0", name=op.f("ck_ai_coach_conversations_counts")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_ai_coach_conversations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_coach_conversations")),
    )
    op.create_index(
        "ix_ai_coach_conversations_user_activity",
        "ai_coach_conversations",
        ["user_id", sa.literal_column("last_message_at DESC"), sa.literal_column("id DESC")],
        unique=False,
        postgresql_where=sa.text("NOT is_archived"),
    )
    op.create_table(
        "ai_coach_daily_usage",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("usage_date", sa.Date(), nullable=False),
        sa.Column("message_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tokens_used", sa.Integer(), server_default="0", nullable=False),
        sa.Column("bonus_messages", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "message_count >= 0 AND tokens_used >= 0 AND bonus_messages >= 0",
            name=op.f("ck_ai_coach_daily_usage_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ai_coach_daily_usage_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "usage_date", name=op.f("pk_ai_coach_daily_usage")),
    )
    op.create_table(
        "ai_coach_messages",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="completed", nullable=False),
        sa.Column("tokens_used", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tool_calls", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("claim_id", sa.UUID(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("goal_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("quota_date", sa.Date(), nullable=True),
        sa.CheckConstraint("role IN ('user', 'assistant')", name=op.f("ck_ai_coach_messages_role")),
        sa.CheckConstraint(
            "status IN ('pending', 'completed', 'failed')", name=op.f("ck_ai_coach_messages_status")
        ),
        sa.CheckConstraint(
            "position >= 0 AND tokens_used >= 0 AND attempts >= 0", name=op.f("ck_ai_coach_messages_counts")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["ai_coach_conversations.id"],
            name=op.f("fk_ai_coach_messages_conversation_id_ai_coach_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_ai_coach_messages_goal_id_goals"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ai_coach_messages_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_coach_messages")),
        sa.UniqueConstraint(
            "conversation_id", "position", name=op.f("uq_ai_coach_messages_conversation_id_position")
        ),
    )
    op.create_index(
        op.f("ix_ai_coach_messages_created_at"),
        "ai_coach_messages",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(op.f("ix_ai_coach_messages_user_id"), "ai_coach_messages", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ai_coach_messages_user_id"), table_name="ai_coach_messages")
    op.drop_index(
        op.f("ix_ai_coach_messages_created_at"),
        table_name="ai_coach_messages",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("ai_coach_messages")
    op.drop_table("ai_coach_daily_usage")
    op.drop_index(
        "ix_ai_coach_conversations_user_activity",
        table_name="ai_coach_conversations",
        postgresql_where=sa.text("NOT is_archived"),
    )
    op.drop_table("ai_coach_conversations")
    op.drop_table("ai_coach_ad_rewards")
