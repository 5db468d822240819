"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 09:33:59.121867
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Trigram indexes back the case-insensitive partner search on name and username.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "job_markers",
        sa.Column("job_name", sa.Text(), nullable=False),
        sa.Column("scope_key", sa.Text(), nullable=False),
        sa.Column("period_key", sa.Text(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("job_name", "scope_key", "period_key", name=op.f("pk_job_markers")),
    )
    op.create_table(
        "subscription_plans",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("monthly_price", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("annual_price", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("active_goal_limit", sa.Integer(), nullable=False),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("is_popular", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("has_trial", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("trial_days", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("product_id_ios_monthly", sa.Text(), nullable=True),
        sa.Column("product_id_ios_annual", sa.Text(), nullable=True),
        sa.Column("product_id_android_monthly", sa.Text(), nullable=True),
        sa.Column("product_id_android_annual", sa.Text(), nullable=True),
        sa.Column("exit_offer_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("exit_offer_monthly_price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("exit_offer_annual_price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("id IN ('free', 'premium')", name=op.f("ck_subscription_plans_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_plans")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("auth_provider", sa.Text(), server_default="email", nullable=False),
        sa.Column("email_verified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("profile_picture_url", sa.Text(), nullable=True),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("timezone", sa.Text(), server_default="UTC", nullable=False),
        sa.Column("language", sa.Text(), server_default="en", nullable=False),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("role", sa.Text(), server_default="user", nullable=False),
        sa.Column("motivation_style", sa.Text(), server_default="supportive", nullable=False),
        sa.Column("morning_motivation_enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("morning_motivation_time", sa.Time(), server_default=sa.text("'08:00'"), nullable=False),
        sa.Column("next_morning_motivation_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("plan", sa.Text(), server_default="free", nullable=False),
        sa.Column("referral_code", sa.Text(), nullable=True),
        sa.Column("referred_by_user_id", sa.UUID(), nullable=True),
        sa.Column("referral_bonus_granted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("onboarding_completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_active_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "auth_provider IN ('email', 'google', 'apple')", name=op.f("ck_users_auth_provider")
        ),
        sa.CheckConstraint(
            "motivation_style IN ('supportive', 'tough_love', 'calm')", name=op.f("ck_users_motivation_style")
        ),
        sa.CheckConstraint("plan IN ('free', 'premium')", name=op.f("ck_users_plan")),
        sa.CheckConstraint("role IN ('user', 'admin')", name=op.f("ck_users_role")),
        sa.CheckConstraint("status IN ('active', 'disabled', 'suspended')", name=op.f("ck_users_status")),
        sa.ForeignKeyConstraint(
            ["referred_by_user_id"],
            ["users.id"],
            name=op.f("fk_users_referred_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("referral_code", name=op.f("uq_users_referral_code")),
    )
    op.create_index(
        "ix_users_name_trgm",
        "users",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_users_next_morning_motivation_at",
        "users",
        ["next_morning_motivation_at"],
        unique=False,
        postgresql_where=sa.text("next_morning_motivation_at IS NOT NULL"),
    )
    op.create_index("ix_users_status", "users", ["status"], unique=False)
    op.create_index(
        "ix_users_username_trgm",
        "users",
        ["username"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"username": "gin_trgm_ops"},
    )
    op.create_index("uq_users_lower_email", "users", [sa.literal_column("lower(email)")], unique=True)
    op.create_index("uq_users_lower_username", "users", [sa.literal_column("lower(username)")], unique=True)
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("app_user_id", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("retry_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'completed', 'failed')",
            name=op.f("ck_webhook_events_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_webhook_events_event_id")),
    )
    op.create_index(
        "ix_webhook_events_failed_retryable",
        "webhook_events",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'failed' AND retry_count < 5"),
    )
    op.create_table(
        "device_tokens",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("fcm_token", sa.Text(), nullable=False),
        sa.Column("device_type", sa.Text(), nullable=False),
        sa.Column("device_id", sa.Text(), nullable=False),
        sa.Column("timezone", sa.Text(), server_default="UTC", nullable=False),
        sa.Column("app_version", sa.Text(), nullable=False),
        sa.Column("os_version", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deactivation_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("device_type IN ('ios', 'android')", name=op.f("ck_device_tokens_device_type")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_device_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_tokens")),
        sa.UniqueConstraint("fcm_token", name=op.f("uq_device_tokens_fcm_token")),
    )
    op.create_index(
        "ix_device_tokens_active_user",
        "device_tokens",
        ["user_id"],
        unique=False,
        postgresql_where=sa.text("is_active"),
    )
    op.create_table(
        "goals",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("frequency_type", sa.Text(), nullable=False),
        sa.Column("frequency_count", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("target_days", postgresql.ARRAY(sa.SmallInteger()), nullable=True),
        sa.Column(
            "reminder_times",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{18:00}'::text[]"),
            nullable=False,
        ),
        sa.Column("why_statement", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("current_streak", sa.Integer(), server_default="0", nullable=False),
        sa.Column("longest_streak", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_completions", sa.Integer(), server_default="0", nullable=False),
        sa.Column("streak_start_date", sa.Date(), nullable=True),
        sa.Column("last_completed_date", sa.Date(), nullable=True),
        sa.Column("last_checkin_date", sa.Date(), nullable=True),
        sa.Column("week_completions", sa.Integer(), server_default="0", nullable=False),
        sa.Column("week_start_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(frequency_type = 'daily' AND frequency_count = 1 AND target_days IS NULL) OR (frequency_type = 'weekly' AND frequency_count BETWEEN 1 AND 7 AND target_days IS NOT NULL AND cardinality(target_days) = frequency_count AND target_days <@ '{0,1,2,3,4,5,6}'::smallint[])",
            name=op.f("ck_goals_schedule"),
        ),
        sa.CheckConstraint("frequency_type IN ('daily', 'weekly')", name=op.f("ck_goals_frequency_type")),
        sa.CheckConstraint("status IN ('active', 'paused', 'archived')", name=op.f("ck_goals_status")),
        sa.CheckConstraint(
            "cardinality(reminder_times) BETWEEN 1 AND 5", name=op.f("ck_goals_reminder_times_count")
        ),
        sa.CheckConstraint(
            "current_streak >= 0 AND total_completions >= 0 AND week_completions >= 0 AND longest_streak >= current_streak",
            name=op.f("ck_goals_counters"),
        ),
        sa.CheckConstraint("length(btrim(title)) > 0", name=op.f("ck_goals_title_not_blank")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_goals_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
    )
    op.create_index(
        "ix_goals_active_streak",
        "goals",
        ["status", sa.literal_column("current_streak DESC")],
        unique=False,
        postgresql_where=sa.text("status = 'active' AND current_streak > 0"),
    )
    op.create_index(op.f("ix_goals_user_id_status"), "goals", ["user_id", "status"], unique=False)
    op.create_table(
        "notification_history",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("notification_type", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("entity_type", sa.Text(), nullable=True),
        sa.Column("entity_id", sa.UUID(), nullable=True),
        sa.Column("dedupe_key", sa.Text(), nullable=True),
        sa.Column("ios_category", sa.Text(), nullable=True),
        sa.Column("push_status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "entity_type IS NULL OR entity_type IN ('goal', 'checkin', 'achievement', 'partner_request', 'partner_accepted', 'nudge', 'user', 'weekly_recap', 'challenge')",
            name=op.f("ck_notification_history_entity_type"),
        ),
        sa.CheckConstraint(
            "notification_type IN ('ai_motivation', 'reminder', 'streak_milestone', 'achievement', 'goal_complete', 'partner_request', 'partner_accepted', 'partner_nudge', 'partner_cheer', 'partner_milestone', 'partner_inactive', 'reengagement', 'adaptive_nudge', 'weekly_recap', 'subscription', 'general', 'social', 'challenge_invite', 'challenge', 'challenge_ending', 'challenge_ended', 'challenge_starting', 'challenge_joined', 'challenge_overtaken', 'challenge_lead', 'challenge_nudge')",
            name=op.f("ck_notification_history_notification_type"),
        ),
        sa.CheckConstraint(
            "push_status IN ('pending', 'sent', 'skipped', 'failed')",
            name=op.f("ck_notification_history_push_status"),
        ),
        sa.CheckConstraint(
            "skip_reason IS NULL OR skip_reason IN ('disabled', 'push_off', 'category_off', 'quiet_hours', 'no_device')",
            name=op.f("ck_notification_history_skip_reason"),
        ),
        sa.CheckConstraint(
            "(entity_type IS NULL) = (entity_id IS NULL)", name=op.f("ck_notification_history_entity_pair")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_history_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_history")),
    )
    op.create_index(
        "ix_notification_history_entity",
        "notification_history",
        ["entity_type", "entity_id"],
        unique=False,
        postgresql_where=sa.text("entity_type IS NOT NULL"),
    )
    op.create_index(
        "ix_notification_history_pending_created",
        "notification_history",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("push_status = 'pending'"),
    )
    op.create_index(
        "ix_notification_history_user_sent",
        "notification_history",
        ["user_id", sa.literal_column("sent_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_index(
        "ix_notification_history_user_type_sent",
        "notification_history",
        ["user_id", "notification_type", sa.literal_column("sent_at DESC")],
        unique=False,
    )
    op.create_index(
        "uq_notification_history_dedupe_key",
        "notification_history",
        ["dedupe_key"],
        unique=True,
        postgresql_where=sa.text("dedupe_key IS NOT NULL"),
    )
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("push_notifications", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("email_notifications", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("ai_motivation", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("reminders", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("achievements", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("weekly_recap", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("reengagement", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("partners", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("challenges", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("quiet_hours_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("quiet_hours_start", sa.Time(), server_default=sa.text("'22:00'"), nullable=False),
        sa.Column("quiet_hours_end", sa.Time(), server_default=sa.text("'08:00'"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "plan_features",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("plan_id", sa.Text(), nullable=False),
        sa.Column("feature_key", sa.Text(), nullable=False),
        sa.Column("feature_name", sa.Text(), nullable=False),
        sa.Column("feature_description", sa.Text(), nullable=True),
        sa.Column("feature_value", sa.Integer(), nullable=True),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("minimum_tier", sa.SmallInteger(), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ai_description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["subscription_plans.id"], name=op.f("fk_plan_features_plan_id_subscription_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_features")),
        sa.UniqueConstraint("plan_id", "feature_key", name=op.f("uq_plan_features_plan_id_feature_key")),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("token_family", sa.String(length=32), nullable=False),
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("device_name", sa.String(length=100), nullable=True),
        sa.Column("device_id", sa.String(length=100), nullable=True),
        sa.Column("device_type", sa.Text(), nullable=True),
        sa.Column("ip_address", postgresql.INET(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "device_type IS NULL OR device_type IN ('ios', 'android', 'web')",
            name=op.f("ck_refresh_tokens_device_type"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_refresh_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_family", "token_id", name=op.f("uq_refresh_tokens_token_family_token_id")),
    )
    op.create_index(op.f("ix_refresh_tokens_expires_at"), "refresh_tokens", ["expires_at"], unique=False)
    op.create_index(op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"], unique=False)
    op.create_table(
        "subscription_deactivation_logs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("previous_plan", sa.Text(), nullable=False),
        sa.Column("new_plan", sa.Text(), server_default="free", nullable=False),
        sa.Column("deactivation_reason", sa.Text(), nullable=False),
        sa.Column("goals_deactivated", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "deactivated_goal_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("partner_requests_deleted", sa.Integer(), server_default="0", nullable=False),
        sa.Column("challenges_cancelled", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "cancelled_challenge_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("challenges_left", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "left_challenge_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("webhook_event_id", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "deactivation_reason IN ('subscription_expired', 'subscription_expired_cleanup', 'manual', 'transfer')",
            name=op.f("ck_subscription_deactivation_logs_deactivation_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_subscription_deactivation_logs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_deactivation_logs")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("plan", sa.Text(), server_default="free", nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("platform", sa.Text(), nullable=True),
        sa.Column("product_id", sa.Text(), nullable=True),
        sa.Column("original_transaction_id", sa.Text(), nullable=True),
        sa.Column("provider", sa.Text(), nullable=True),
        sa.Column("provider_subscription_id", sa.Text(), nullable=True),
        sa.Column("purchase_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("current_period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("current_period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trial_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("auto_renew", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("grace_period_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_event_id", sa.Text(), nullable=True),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("environment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "environment IS NULL OR environment IN ('SANDBOX', 'PRODUCTION')",
            name=op.f("ck_subscriptions_environment"),
        ),
        sa.CheckConstraint(
            "platform IS NULL OR platform IN ('ios', 'android', 'web')",
            name=op.f("ck_subscriptions_platform"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'trial', 'grace_period', 'expired')", name=op.f("ck_subscriptions_status")
        ),
        sa.ForeignKeyConstraint(
            ["plan"], ["subscription_plans.id"], name=op.f("fk_subscriptions_plan_subscription_plans")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_subscriptions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("user_id", name=op.f("uq_subscriptions_user_id")),
    )
    op.create_index(
        "ix_subscriptions_expiring",
        "subscriptions",
        ["expires_date"],
        unique=False,
        postgresql_where=sa.text("auto_renew = false AND status IN ('active', 'trial')"),
    )
    op.create_index(
        "ix_subscriptions_grace_period_ends_at",
        "subscriptions",
        ["grace_period_ends_at"],
        unique=False,
        postgresql_where=sa.text("grace_period_ends_at IS NOT NULL"),
    )
    op.create_index(op.f("ix_subscriptions_status"), "subscriptions", ["status"], unique=False)
    op.create_table(
        "check_ins",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("goal_id", sa.UUID(), nullable=False),
        sa.Column("check_in_date", sa.Date(), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("mood", sa.Text(), nullable=True),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("voice_note_url", sa.Text(), nullable=True),
        sa.Column("voice_note_transcript", sa.Text(), nullable=True),
        sa.Column("ai_response", sa.Text(), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("prompt_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("followup_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "mood IS NULL OR (mood IN ('tough', 'good', 'amazing') AND status IN ('completed', 'skipped', 'rest_day'))",
            name=op.f("ck_check_ins_mood"),
        ),
        sa.CheckConstraint(
            "skip_reason IS NULL OR (skip_reason IN ('work', 'tired', 'sick', 'schedule', 'other') AND status = 'skipped')",
            name=op.f("ck_check_ins_skip_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'completed', 'skipped', 'missed', 'rest_day')",
            name=op.f("ck_check_ins_status"),
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_check_ins_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_check_ins_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_ins")),
        sa.UniqueConstraint(
            "user_id", "goal_id", "check_in_date", name=op.f("uq_check_ins_user_id_goal_id_check_in_date")
        ),
    )
    op.create_index(
        "ix_check_ins_followup_due_at",
        "check_ins",
        ["followup_due_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending' AND followup_due_at IS NOT NULL"),
    )
    op.create_index(
        "ix_check_ins_goal_date",
        "check_ins",
        ["goal_id", sa.literal_column("check_in_date DESC")],
        unique=False,
    )
    op.create_index(
        "ix_check_ins_pending_date",
        "check_ins",
        ["check_in_date"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_check_ins_prompt_due_at",
        "check_ins",
        ["prompt_due_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending' AND prompt_due_at IS NOT NULL"),
    )
    op.create_index(
        "ix_check_ins_user_date",
        "check_ins",
        ["user_id", sa.literal_column("check_in_date DESC")],
        unique=False,
    )
    op.create_index(
        "ix_check_ins_user_status_date", "check_ins", ["user_id", "status", "check_in_date"], unique=False
    )
    op.create_table(
        "push_deliveries",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("notification_id", sa.UUID(), nullable=False),
        sa.Column("device_token_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("ticket_id", sa.Text(), nullable=True),
        sa.Column("ticket_error", sa.Text(), nullable=True),
        sa.Column("receipt_status", sa.Text(), nullable=True),
        sa.Column("receipt_error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "receipt_status IS NULL OR receipt_status IN ('ok', 'error')",
            name=op.f("ck_push_deliveries_receipt"),
        ),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f("ck_push_deliveries_status")),
        sa.ForeignKeyConstraint(
            ["device_token_id"],
            ["device_tokens.id"],
            name=op.f("fk_push_deliveries_device_token_id_device_tokens"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification_history.id"],
            name=op.f("fk_push_deliveries_notification_id_notification_history"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_deliveries")),
        sa.UniqueConstraint(
            "notification_id",
            "device_token_id",
            name=op.f("uq_push_deliveries_notification_id_device_token_id"),
        ),
    )
    op.create_index(
        "ix_push_deliveries_awaiting_receipt",
        "push_deliveries",
        ["sent_at"],
        unique=False,
        postgresql_where=sa.text("ticket_id IS NOT NULL AND receipt_checked_at IS NULL"),
    )
    op.create_index(
        op.f("ix_push_deliveries_device_token_id"), "push_deliveries", ["device_token_id"], unique=False
    )
    op.create_index(
        "ix_push_deliveries_due",
        "push_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_push_deliveries_pending_created",
        "push_deliveries",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "reminder_slots",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("goal_id", sa.UUID(), nullable=True),
        sa.Column("challenge_id", sa.UUID(), nullable=True),
        sa.Column("reminder_time", sa.Text(), nullable=False),
        sa.Column("next_fire_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(goal_id IS NULL) <> (challenge_id IS NULL)", name=op.f("ck_reminder_slots_one_owner")
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_reminder_slots_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reminder_slots_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_slots")),
    )
    op.create_index(op.f("ix_reminder_slots_next_fire_at"), "reminder_slots", ["next_fire_at"], unique=False)
    op.create_index(
        "uq_reminder_slots_challenge_user_time",
        "reminder_slots",
        ["challenge_id", "user_id", "reminder_time"],
        unique=True,
        postgresql_where=sa.text("challenge_id IS NOT NULL"),
    )
    op.create_index(
        "uq_reminder_slots_goal_time",
        "reminder_slots",
        ["goal_id", "reminder_time"],
        unique=True,
        postgresql_where=sa.text("goal_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_reminder_slots_goal_time",
        table_name="reminder_slots",
        postgresql_where=sa.text("goal_id IS NOT NULL"),
    )
    op.drop_index(
        "uq_reminder_slots_challenge_user_time",
        table_name="reminder_slots",
        postgresql_where=sa.text("challenge_id IS NOT NULL"),
    )
    op.drop_index(op.f("ix_reminder_slots_next_fire_at"), table_name="reminder_slots")
    op.drop_table("reminder_slots")
    op.drop_index(
        "ix_push_deliveries_pending_created",
        table_name="push_deliveries",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(
        "ix_push_deliveries_due", table_name="push_deliveries", postgresql_where=sa.text("status = 'pending'")
    )
    op.drop_index(op.f("ix_push_deliveries_device_token_id"), table_name="push_deliveries")
    op.drop_index(
        "ix_push_deliveries_awaiting_receipt",
        table_name="push_deliveries",
        postgresql_where=sa.text("ticket_id IS NOT NULL AND receipt_checked_at IS NULL"),
    )
    op.drop_table("push_deliveries")
    op.drop_index("ix_check_ins_user_status_date", table_name="check_ins")
    op.drop_index("ix_check_ins_user_date", table_name="check_ins")
    op.drop_index(
        "ix_check_ins_prompt_due_at",
        table_name="check_ins",
        postgresql_where=sa.text("status = 'pending' AND prompt_due_at IS NOT NULL"),
    )
    op.drop_index(
        "ix_check_ins_pending_date", table_name="check_ins", postgresql_where=sa.text("status = 'pending'")
    )
    op.drop_index("ix_check_ins_goal_date", table_name="check_ins")
    op.drop_index(
        "ix_check_ins_followup_due_at",
        table_name="check_ins",
        postgresql_where=sa.text("status = 'pending' AND followup_due_at IS NOT NULL"),
    )
    op.drop_table("check_ins")
    op.drop_index(op.f("ix_subscriptions_status"), table_name="subscriptions")
    op.drop_index(
        "ix_subscriptions_grace_period_ends_at",
        table_name="subscriptions",
        postgresql_where=sa.text("grace_period_ends_at IS NOT NULL"),
    )
    op.drop_index(
        "ix_subscriptions_expiring",
        table_name="subscriptions",
        postgresql_where=sa.text("auto_renew = false AND status IN ('active', 'trial')"),
    )
    op.drop_table("subscriptions")
    op.drop_table("subscription_deactivation_logs")
    op.drop_index(op.f("ix_refresh_tokens_user_id"), table_name="refresh_tokens")
    op.drop_index(op.f("ix_refresh_tokens_expires_at"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_table("plan_features")
    op.drop_table("notification_preferences")
    op.drop_index(
        "uq_notification_history_dedupe_key",
        table_name="notification_history",
        postgresql_where=sa.text("dedupe_key IS NOT NULL"),
    )
    op.drop_index("ix_notification_history_user_type_sent", table_name="notification_history")
    op.drop_index("ix_notification_history_user_sent", table_name="notification_history")
    op.drop_index(
        "ix_notification_history_pending_created",
        table_name="notification_history",
        postgresql_where=sa.text("push_status = 'pending'"),
    )
    op.drop_index(
        "ix_notification_history_entity",
        table_name="notification_history",
        postgresql_where=sa.text("entity_type IS NOT NULL"),
    )
    op.drop_table("notification_history")
    op.drop_index(op.f("ix_goals_user_id_status"), table_name="goals")
    op.drop_index(
        "ix_goals_active_streak",
        table_name="goals",
        postgresql_where=sa.text("status = 'active' AND current_streak > 0"),
    )
    op.drop_table("goals")
    op.drop_index(
        "ix_device_tokens_active_user", table_name="device_tokens", postgresql_where=sa.text("is_active")
    )
    op.drop_table("device_tokens")
    op.drop_index(
        "ix_webhook_events_failed_retryable",
        table_name="webhook_events",
        postgresql_where=sa.text("status = 'failed' AND retry_count < 5"),
    )
    op.drop_table("webhook_events")
    op.drop_index("uq_users_lower_username", table_name="users")
    op.drop_index("uq_users_lower_email", table_name="users")
    op.drop_index(
        "ix_users_username_trgm",
        table_name="users",
        postgresql_using="gin",
        postgresql_ops={"username": "gin_trgm_ops"},
    )
    op.drop_index("ix_users_status", table_name="users")
    op.drop_index(
        "ix_users_next_morning_motivation_at",
        table_name="users",
        postgresql_where=sa.text("next_morning_motivation_at IS NOT NULL"),
    )
    op.drop_index(
        "ix_users_name_trgm",
        table_name="users",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_table("users")
    op.drop_table("subscription_plans")
    op.drop_table("job_markers")
