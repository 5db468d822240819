"""accountability partners, nudges and cheers, user reports, achievements

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

docs/domain.md §2.3 and §2.4. A pair of users has at most one row, whichever way the request went
(the unique index over least/greatest); a sender nudges a recipient once per sender-local day (the
partial unique index). The achievement catalogue is seeded by the next migration.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "achievement_types",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("badge_key", sa.Text(), nullable=False),
        sa.Column("badge_name", sa.Text(), nullable=False),
        sa.Column("badge_description", sa.Text(), nullable=True),
        sa.Column("badge_icon", sa.Text(), nullable=True),
        sa.Column("unlock_condition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("rarity", sa.Text(), server_default="common", nullable=False),
        sa.Column("points", sa.Integer(), server_default="10", nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "category IN ('streak', 'milestone', 'consistency', 'social', 'special', 'engagement')",
            name=op.f("ck_achievement_types_category"),
        ),
        sa.CheckConstraint(
            "jsonb_typeof(unlock_condition -> 'type') = 'string' AND jsonb_typeof(unlock_condition -> 'value') = 'number'",
            name=op.f("ck_achievement_types_unlock_condition_shape"),
        ),
        sa.CheckConstraint(
            "rarity IN ('common', 'rare', 'epic', 'legendary')", name=op.f("ck_achievement_types_rarity")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievement_types")),
        sa.UniqueConstraint("badge_key", name=op.f("uq_achievement_types_badge_key")),
    )
    op.create_index(
        op.f("ix_achievement_types_is_active_sort_order"),
        "achievement_types",
        ["is_active", "sort_order"],
        unique=False,
    )
    op.create_table(
        "accountability_partners",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("partner_user_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("initiated_by_user_id", sa.UUID(), nullable=False),
        sa.Column("blocked_by", sa.UUID(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(status = 'accepted') = (accepted_at IS NOT NULL)",
            name=op.f("ck_accountability_partners_accepted_at_iff_accepted"),
        ),
        sa.CheckConstraint(
            "(status = 'blocked') = (blocked_by IS NOT NULL)",
            name=op.f("ck_accountability_partners_blocked_by_iff_blocked"),
        ),
        sa.CheckConstraint(
            "status = 'pending' OR expires_at IS NULL",
            name=op.f("ck_accountability_partners_expiry_only_pending"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'blocked')", name=op.f("ck_accountability_partners_status")
        ),
        sa.CheckConstraint(
            "blocked_by IS NULL OR blocked_by IN (user_id, partner_user_id)",
            name=op.f("ck_accountability_partners_blocker_is_a_party"),
        ),
        sa.CheckConstraint(
            "initiated_by_user_id = user_id", name=op.f("ck_accountability_partners_initiator_is_sender")
        ),
        sa.CheckConstraint("user_id <> partner_user_id", name=op.f("ck_accountability_partners_not_self")),
        sa.ForeignKeyConstraint(
            ["blocked_by"],
            ["users.id"],
            name=op.f("fk_accountability_partners_blocked_by_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["initiated_by_user_id"],
            ["users.id"],
            name=op.f("fk_accountability_partners_initiated_by_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_user_id"],
            ["users.id"],
            name=op.f("fk_accountability_partners_partner_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_accountability_partners_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_partners")),
    )
    op.create_index(
        op.f("ix_accountability_partners_partner_user_id_status"),
        "accountability_partners",
        ["partner_user_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_accountability_partners_pending_expiry",
        "accountability_partners",
        ["expires_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        op.f("ix_accountability_partners_user_id_status"),
        "accountability_partners",
        ["user_id", "status"],
        unique=False,
    )
    op.create_index(
        "uq_accountability_partners_pair",
        "accountability_partners",
        [
            sa.literal_column("least(user_id, partner_user_id)"),
            sa.literal_column("greatest(user_id, partner_user_id)"),
        ],
        unique=True,
    )
    op.create_table(
        "user_achievements",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("achievement_type_id", sa.UUID(), nullable=False),
        sa.Column("unlocked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("viewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_type_id"],
            ["achievement_types.id"],
            name=op.f("fk_user_achievements_achievement_type_id_achievement_types"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_achievements_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_achievements")),
        sa.UniqueConstraint(
            "user_id", "achievement_type_id", name=op.f("uq_user_achievements_user_id_achievement_type_id")
        ),
    )
    op.create_index(
        "ix_user_achievements_user_unlocked",
        "user_achievements",
        ["user_id", sa.literal_column("unlocked_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_table(
        "user_reports",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("reporter_id", sa.UUID(), nullable=False),
        sa.Column("reported_user_id", sa.UUID(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "reason IN ('inappropriate_username', 'harassment', 'spam', 'other')",
            name=op.f("ck_user_reports_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'reviewed', 'actioned', 'dismissed')", name=op.f("ck_user_reports_status")
        ),
        sa.CheckConstraint("reporter_id <> reported_user_id", name=op.f("ck_user_reports_not_self")),
        sa.ForeignKeyConstraint(
            ["reported_user_id"],
            ["users.id"],
            name=op.f("fk_user_reports_reported_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["users.id"], name=op.f("fk_user_reports_reporter_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_reports")),
    )
    op.create_index(
        "ix_user_reports_reporter_reported_created",
        "user_reports",
        ["reporter_id", "reported_user_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_table(
        "social_nudges",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("sender_id", sa.UUID(), nullable=False),
        sa.Column("recipient_id", sa.UUID(), nullable=False),
        sa.Column("partnership_id", sa.UUID(), nullable=False),
        sa.Column("goal_id", sa.UUID(), nullable=True),
        sa.Column("challenge_id", sa.UUID(), nullable=True),
        sa.Column("nudge_type", sa.Text(), nullable=False),
        sa.Column("emoji", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("nudge_date", sa.Date(), nullable=False),
        sa.Column("is_read", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "nudge_type IN ('nudge', 'cheer', 'milestone', 'competitive', 'custom')",
            name=op.f("ck_social_nudges_nudge_type"),
        ),
        sa.CheckConstraint("is_read = (read_at IS NOT NULL)", name=op.f("ck_social_nudges_read_at_iff_read")),
        sa.CheckConstraint("sender_id <> recipient_id", name=op.f("ck_social_nudges_not_self")),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_social_nudges_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["accountability_partners.id"],
            name=op.f("fk_social_nudges_partnership_id_accountability_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["users.id"],
            name=op.f("fk_social_nudges_recipient_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name=op.f("fk_social_nudges_sender_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_nudges")),
    )
    op.create_index(
        op.f("ix_social_nudges_partnership_id"), "social_nudges", ["partnership_id"], unique=False
    )
    op.create_index(
        "ix_social_nudges_recipient_created",
        "social_nudges",
        ["recipient_id", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_index(
        "ix_social_nudges_sender_created",
        "social_nudges",
        ["sender_id", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_index(
        op.f("ix_social_nudges_sender_id_recipient_id_nudge_date_nudge_type"),
        "social_nudges",
        ["sender_id", "recipient_id", "nudge_date", "nudge_type"],
        unique=False,
    )
    op.create_index(
        "ix_social_nudges_unread_recipient",
        "social_nudges",
        ["recipient_id"],
        unique=False,
        postgresql_where=sa.text("NOT is_read"),
    )
    op.create_index(
        "uq_social_nudges_daily_nudge",
        "social_nudges",
        ["sender_id", "recipient_id", "nudge_date"],
        unique=True,
        postgresql_where=sa.text("nudge_type = 'nudge'"),
    )


def downgrade() -> None:
    for table in (
        "social_nudges",
        "user_reports",
        "user_achievements",
        "accountability_partners",
        "achievement_types",
    ):
        op.drop_table(table)
