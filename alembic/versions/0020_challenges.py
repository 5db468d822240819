"""challenges: challenges, participants, leaderboard, check-ins, invites

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

docs/domain.md §2.8: challenges, their participants, the leaderboard (the only store of scores),
check-ins and invites; the partial indexes are the lifecycle jobs' due indexes and the public list.
reminder_slots and social_nudges already had a challenge_id column: its foreign key arrives here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "challenges",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("challenge_type", sa.Text(), nullable=False),
        sa.Column("duration_days", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("join_deadline", sa.Date(), nullable=True),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("is_public", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("max_participants", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("status", sa.Text(), server_default="upcoming", nullable=False),
        sa.Column("cancelled_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("frequency", sa.Text(), server_default="daily", nullable=False),
        sa.Column("days_of_week", postgresql.ARRAY(sa.SmallInteger()), nullable=True),
        sa.Column("target_days", sa.Integer(), nullable=True),
        sa.Column("target_checkins", sa.Integer(), nullable=True),
        sa.Column(
            "reminder_times",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column("tracking_type", sa.Text(), server_default="checkin", nullable=False),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "challenge_type <> 'checkin_count' OR target_checkins >= 1",
            name=op.f("ck_challenges_target_checkins"),
        ),
        sa.CheckConstraint(
            "challenge_type IN ('streak', 'checkin_count')", name=op.f("ck_challenges_challenge_type")
        ),
        sa.CheckConstraint(
            "frequency IN ('daily', 'weekly', 'custom')", name=op.f("ck_challenges_frequency")
        ),
        sa.CheckConstraint(
            "status IN ('upcoming', 'active', 'completed', 'cancelled')", name=op.f("ck_challenges_status")
        ),
        sa.CheckConstraint(
            "tracking_type IN ('workout', 'meal', 'hydration', 'checkin')",
            name=op.f("ck_challenges_tracking_type"),
        ),
        sa.CheckConstraint("cardinality(reminder_times) <= 5", name=op.f("ck_challenges_reminder_times")),
        sa.CheckConstraint("duration_days > 0", name=op.f("ck_challenges_duration_days")),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_challenges_dates")),
        sa.CheckConstraint(
            "join_deadline IS NULL OR join_deadline <= end_date", name=op.f("ck_challenges_join_deadline")
        ),
        sa.CheckConstraint(
            "max_participants IS NULL OR max_participants >= 2", name=op.f("ck_challenges_max_participants")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_challenges_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenges")),
    )
    op.create_index(
        "ix_challenges_active_end",
        "challenges",
        ["end_date"],
        unique=False,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "ix_challenges_creator_open",
        "challenges",
        ["created_by", "id"],
        unique=False,
        postgresql_where=sa.text("status IN ('upcoming', 'active')"),
    )
    op.create_index(
        "ix_challenges_public_open",
        "challenges",
        ["is_public", "status", "start_date"],
        unique=False,
        postgresql_where=sa.text("is_public AND status IN ('upcoming', 'active')"),
    )
    op.create_index(
        "ix_challenges_upcoming_start",
        "challenges",
        ["start_date"],
        unique=False,
        postgresql_where=sa.text("status = 'upcoming'"),
    )
    op.create_table(
        "challenge_invites",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("challenge_id", sa.UUID(), nullable=False),
        sa.Column("invite_type", sa.Text(), nullable=False),
        sa.Column("invited_by_user_id", sa.UUID(), nullable=False),
        sa.Column("invited_user_id", sa.UUID(), nullable=True),
        sa.Column("invite_code", sa.String(length=20), nullable=True),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(invite_code IS NOT NULL) = (invite_type = 'link')",
            name=op.f("ck_challenge_invites_code_for_links"),
        ),
        sa.CheckConstraint(
            "invite_type IN ('direct', 'link')", name=op.f("ck_challenge_invites_invite_type")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'expired')",
            name=op.f("ck_challenge_invites_status"),
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_challenge_invites_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_user_id"],
            ["users.id"],
            name=op.f("fk_challenge_invites_invited_by_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_user_id"],
            ["users.id"],
            name=op.f("fk_challenge_invites_invited_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_invites")),
        sa.UniqueConstraint("invite_code", name=op.f("uq_challenge_invites_invite_code")),
    )
    op.create_index(
        op.f("ix_challenge_invites_invited_by_user_id"),
        "challenge_invites",
        ["invited_by_user_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_challenge_invites_invited_user_id_status"),
        "challenge_invites",
        ["invited_user_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_challenge_invites_pending_expiry",
        "challenge_invites",
        ["expires_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "uq_challenge_invites_direct",
        "challenge_invites",
        ["challenge_id", "invited_user_id"],
        unique=True,
        postgresql_where=sa.text("invite_type = 'direct'"),
    )
    op.create_table(
        "challenge_participants",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("challenge_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_challenge_participants_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_challenge_participants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_participants")),
        sa.UniqueConstraint(
            "challenge_id", "user_id", name=op.f("uq_challenge_participants_challenge_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_challenge_participants_user_id_joined_at"),
        "challenge_participants",
        ["user_id", "joined_at"],
        unique=False,
    )
    op.create_table(
        "challenge_check_ins",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("challenge_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("check_in_date", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("mood", sa.Text(), nullable=True),
        sa.Column("photo_url", sa.Text(), nullable=True),
        sa.Column("points_awarded", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "mood IS NULL OR mood IN ('great', 'good', 'okay', 'bad', 'terrible')",
            name=op.f("ck_challenge_check_ins_mood"),
        ),
        sa.CheckConstraint("points_awarded >= 0", name=op.f("ck_challenge_check_ins_points_awarded")),
        sa.ForeignKeyConstraint(
            ["challenge_id", "user_id"],
            ["challenge_participants.challenge_id", "challenge_participants.user_id"],
            name=op.f("fk_challenge_check_ins_challenge_id_challenge_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_check_ins")),
        sa.UniqueConstraint(
            "challenge_id",
            "user_id",
            "check_in_date",
            name=op.f("uq_challenge_check_ins_challenge_id_user_id_check_in_date"),
        ),
    )
    op.create_table(
        "challenge_leaderboard",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("challenge_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("points", sa.Integer(), server_default="0", nullable=False),
        sa.Column("checkin_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_check_in", sa.Date(), nullable=True),
        sa.Column("rank", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "points >= 0 AND checkin_count >= 0 AND rank >= 1", name=op.f("ck_challenge_leaderboard_counts")
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id", "user_id"],
            ["challenge_participants.challenge_id", "challenge_participants.user_id"],
            name=op.f("fk_challenge_leaderboard_challenge_id_challenge_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_leaderboard")),
        sa.UniqueConstraint(
            "challenge_id", "user_id", name=op.f("uq_challenge_leaderboard_challenge_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_challenge_leaderboard_challenge_id_rank"),
        "challenge_leaderboard",
        ["challenge_id", "rank"],
        unique=False,
    )
    op.create_index(
        "ix_challenge_leaderboard_points",
        "challenge_leaderboard",
        ["challenge_id", sa.literal_column("points DESC")],
        unique=False,
    )
    op.create_foreign_key(
        op.f("fk_reminder_slots_challenge_id_challenges"),
        "reminder_slots",
        "challenges",
        ["challenge_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_foreign_key(
        op.f("fk_social_nudges_challenge_id_challenges"),
        "social_nudges",
        "challenges",
        ["challenge_id"],
        ["id"],
        ondelete="CASCADE",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_social_nudges_challenge_id_challenges"), "social_nudges", type_="foreignkey")
    op.drop_constraint(
        op.f("fk_reminder_slots_challenge_id_challenges"), "reminder_slots", type_="foreignkey"
    )
    op.drop_index("ix_challenge_leaderboard_points", table_name="challenge_leaderboard")
    op.drop_index(op.f("ix_challenge_leaderboard_challenge_id_rank"), table_name="challenge_leaderboard")
    op.drop_table("challenge_leaderboard")
    op.drop_table("challenge_check_ins")
    op.drop_index(op.f("ix_challenge_participants_user_id_joined_at"), table_name="challenge_participants")
    op.drop_table("challenge_participants")
    op.drop_index(
        "uq_challenge_invites_direct",
        table_name="challenge_invites",
        postgresql_where=sa.text("invite_type = 'direct'"),
    )
    op.drop_index(
        "ix_challenge_invites_pending_expiry",
        table_name="challenge_invites",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(op.f("ix_challenge_invites_invited_user_id_status"), table_name="challenge_invites")
    op.drop_index(op.f("ix_challenge_invites_invited_by_user_id"), table_name="challenge_invites")
    op.drop_table("challenge_invites")
    op.drop_index(
        "ix_challenges_upcoming_start",
        table_name="challenges",
        postgresql_where=sa.text("status = 'upcoming'"),
    )
    op.drop_index(
        "ix_challenges_public_open",
        table_name="challenges",
        postgresql_where=sa.text("is_public AND status IN ('upcoming', 'active')"),
    )
    op.drop_index(
        "ix_challenges_creator_open",
        table_name="challenges",
        postgresql_where=sa.text("status IN ('upcoming', 'active')"),
    )
    op.drop_index(
        "ix_challenges_active_end", table_name="challenges", postgresql_where=sa.text("status = 'active'")
    )
    op.drop_table("challenges")
