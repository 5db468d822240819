"""The schema: every table as SQLAlchemy Core, the single source Alembic compares against.

Names, enum values and constraints follow docs/domain.md §2. Enumerations are text columns
with a CHECK (not PostgreSQL enums) so adding a value is a one-line migration.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB, UUID

from domain.app_versions import VERSION_PATTERN
from domain.daily_motivation import BackgroundStyle

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

NOTIFICATION_TYPES = (
    "ai_motivation",
    "reminder",
    "streak_milestone",
    "achievement",
    "goal_complete",
    "partner_request",
    "partner_accepted",
    "partner_nudge",
    "partner_cheer",
    "partner_milestone",
    "partner_inactive",
    "reengagement",
    "adaptive_nudge",
    "weekly_recap",
    "subscription",
    "general",
    "social",
    "challenge_invite",
    "challenge",
    "challenge_ending",
    "challenge_ended",
    "challenge_starting",
    "challenge_joined",
    "challenge_overtaken",
    "challenge_lead",
    "challenge_nudge",
)
ENTITY_TYPES = (
    "goal",
    "checkin",
    "achievement",
    "partner_request",
    "partner_accepted",
    "nudge",
    "user",
    "weekly_recap",
    "challenge",
)
SKIP_REASONS = ("disabled", "push_off", "category_off", "quiet_hours", "no_device")


def one_of(column: str, values: Iterable[str]) -> str:
    """CHECK text restricting a text column to an enumeration."""
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


def uuid_pk() -> sa.Column[object]:
    return sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=sa.text("gen_random_uuid()"))


def timestamps() -> tuple[sa.Column[object], sa.Column[object]]:
    return (
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def user_fk(name: str = "user_id", *, nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column[object]:
    return sa.Column(
        name, UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete=ondelete), nullable=nullable
    )


def tstz(name: str, *, nullable: bool = True, default_now: bool = False) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=sa.func.now() if default_now else None,
    )


# --- Identity -------------------------------------------------------------------------------------

users = sa.Table(
    "users",
    metadata,
    uuid_pk(),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text),
    sa.Column("auth_provider", sa.Text, nullable=False, server_default="email"),
    sa.Column("email_verified", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("profile_picture_url", sa.Text),
    sa.Column("bio", sa.Text),
    sa.Column("timezone", sa.Text, nullable=False, server_default="UTC"),
    sa.Column("language", sa.Text, nullable=False, server_default="en"),
    sa.Column("country", sa.Text),
    sa.Column("status", sa.Text, nullable=False, server_default="active"),
    sa.Column("role", sa.Text, nullable=False, server_default="user"),
    # Bumped when the account's tokens must stop working (a status change, a new password); every
    # access and refresh token carries the version it was issued under (api/auth/access_states.py).
    sa.Column("token_version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("motivation_style", sa.Text, nullable=False, server_default="supportive"),
    sa.Column("morning_motivation_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("morning_motivation_time", sa.Time, nullable=False, server_default=sa.text("'08:00'")),
    tstz("next_morning_motivation_at"),
    sa.Column("plan", sa.Text, nullable=False, server_default="free"),
    sa.Column("referral_code", sa.Text, unique=True),
    user_fk("referred_by_user_id", nullable=True, ondelete="SET NULL"),
    tstz("referral_bonus_granted_at"),
    tstz("onboarding_completed_at"),
    tstz("last_login_at"),
    tstz("last_active_at"),
    *timestamps(),
    sa.CheckConstraint(one_of("auth_provider", ("email", "google", "apple")), name="auth_provider"),
    sa.CheckConstraint(one_of("status", ("active", "disabled", "suspended")), name="status"),
    sa.CheckConstraint(one_of("role", ("user", "admin")), name="role"),
    sa.CheckConstraint(
        one_of("motivation_style", ("supportive", "tough_love", "calm")), name="motivation_style"
    ),
    sa.CheckConstraint(one_of("plan", ("free", "premium")), name="plan"),
    # One referrer per referred account, never the account itself (§3.13).
    sa.CheckConstraint("referred_by_user_id <> id", name="not_self_referred"),
)
sa.Index("uq_users_lower_email", sa.func.lower(users.c.email), unique=True)
sa.Index("uq_users_lower_username", sa.func.lower(users.c.username), unique=True)
sa.Index("ix_users_status", users.c.status)
# GET /users/me/referrals, newest first; also what a deleted referrer's ON DELETE SET NULL looks up.
sa.Index(
    "ix_users_referred_by_created",
    users.c.referred_by_user_id,
    users.c.created_at.desc(),
    users.c.id.desc(),
    postgresql_where=users.c.referred_by_user_id.is_not(None),
)
# The day-boundary jobs walk one timezone's onboarded users in id order.
sa.Index(
    "ix_users_onboarded_timezone_id",
    users.c.timezone,
    users.c.id,
    postgresql_where=users.c.onboarding_completed_at.is_not(None),
)
# The daily clean-up of disabled and suspended accounts walks them in id order (§3.4).
sa.Index(
    "ix_users_not_active_id",
    users.c.id,
    postgresql_where=sa.text("status IN ('disabled', 'suspended')"),
)
# The daily account-age sweep walks the users created around each threshold day (§3.7).
sa.Index("ix_users_created_at_id", users.c.created_at, users.c.id)
sa.Index(
    "ix_users_next_morning_motivation_at",
    users.c.next_morning_motivation_at,
    postgresql_where=users.c.next_morning_motivation_at.is_not(None),
)
# The weekly recap job takes the users of its zones whose plan has weekly recaps (§4).
sa.Index("ix_users_plan_timezone_id", users.c.plan, users.c.timezone, users.c.id)
sa.Index("ix_users_name_trgm", users.c.name, postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"})
sa.Index(
    "ix_users_username_trgm",
    users.c.username,
    postgresql_using="gin",
    postgresql_ops={"username": "gin_trgm_ops"},
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    uuid_pk(),
    user_fk(),
    sa.Column("token_family", sa.String(32), nullable=False),
    sa.Column("token_id", sa.String(32), nullable=False),
    # Only a hash of the secret part is stored, so a database leak yields no usable token.
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    # The user's token_version at issue: a token written by a login or refresh that raced a revocation
    # is refused once the bumped version is visible.
    sa.Column("token_version", sa.Integer, nullable=False, server_default="0"),
    tstz("expires_at", nullable=False),
    tstz("last_used_at"),
    sa.Column("device_name", sa.String(100)),
    sa.Column("device_id", sa.String(100)),
    sa.Column("device_type", sa.Text),
    sa.Column("ip_address", INET),
    sa.Column("user_agent", sa.Text),
    *timestamps(),
    sa.UniqueConstraint("token_family", "token_id"),
    sa.CheckConstraint(
        "device_type IS NULL OR " + one_of("device_type", ("ios", "android", "web")), name="device_type"
    ),
    sa.Index(None, "user_id"),
    sa.Index(None, "expires_at"),
)

IDENTITY_PROVIDERS = ("google", "apple")

# The Google and Apple identities (the ID token's `sub`) an account signs in with.
user_identities = sa.Table(
    "user_identities",
    metadata,
    uuid_pk(),
    user_fk(),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    # As the provider stated it when the identity was linked; sign-in never matches on it.
    sa.Column("email", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.CheckConstraint(one_of("provider", IDENTITY_PROVIDERS), name="provider"),
    # An identity belongs to one account; an account links one identity per provider.
    sa.UniqueConstraint("provider", "subject"),
    sa.UniqueConstraint("user_id", "provider"),
)

email_verification_codes = sa.Table(
    "email_verification_codes",
    metadata,
    # One live code per user: a new one replaces the last, so an old mail's code stops working.
    sa.Column("user_id", UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # HMAC-SHA256 of the code under a server key (services/one_time_secrets.py); never the code.
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("attempts", sa.SmallInteger, nullable=False, server_default="0"),
    tstz("expires_at", nullable=False),
    tstz("sent_at", nullable=False, default_now=True),
)

password_reset_tokens = sa.Table(
    "password_reset_tokens",
    metadata,
    uuid_pk(),
    user_fk(),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    tstz("expires_at", nullable=False),
    tstz("used_at"),
    tstz("created_at", nullable=False, default_now=True),
    sa.Index(None, "user_id"),
)

# Mail waiting to leave, sent and failed (services/mail.py, workers/mail/): PostgreSQL is the source
# of truth, a Dramatiq message only says "send this row now".
outgoing_mail = sa.Table(
    "outgoing_mail",
    metadata,
    uuid_pk(),
    sa.Column("recipient", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    # Blanked once the mail is sent or given up (workers/mail/retention.py): they carry codes.
    sa.Column("text_body", sa.Text, nullable=False),
    sa.Column("html_body", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("attempts", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    tstz("next_attempt_at", nullable=False, default_now=True),
    tstz("claimed_at"),
    tstz("sent_at"),
    tstz("created_at", nullable=False, default_now=True),
    sa.CheckConstraint(one_of("status", ("pending", "sent", "failed")), name="status"),
    sa.Index("ix_outgoing_mail_due", "next_attempt_at", postgresql_where=sa.text("status = 'pending'")),
    sa.Index(
        "ix_outgoing_mail_finished_created",
        "created_at",
        postgresql_where=sa.text("status <> 'pending' AND text_body <> ''"),
    ),
)

# --- Goals and check-ins ---------------------------------------------------------------------------

goals = sa.Table(
    "goals",
    metadata,
    uuid_pk(),
    user_fk(),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("frequency_type", sa.Text, nullable=False),
    sa.Column("frequency_count", sa.SmallInteger, nullable=False, server_default="1"),
    sa.Column("target_days", ARRAY(sa.SmallInteger)),
    sa.Column("reminder_times", ARRAY(sa.Text), nullable=False, server_default=sa.text("'{18:00}'::text[]")),
    sa.Column("why_statement", sa.Text),
    sa.Column("status", sa.Text, nullable=False, server_default="active"),
    sa.Column("current_streak", sa.Integer, nullable=False, server_default="0"),
    sa.Column("longest_streak", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total_completions", sa.Integer, nullable=False, server_default="0"),
    sa.Column("streak_start_date", sa.Date),
    sa.Column("last_completed_date", sa.Date),
    sa.Column("last_checkin_date", sa.Date),
    sa.Column("week_completions", sa.Integer, nullable=False, server_default="0"),
    sa.Column("week_start_date", sa.Date),
    *timestamps(),
    sa.CheckConstraint("length(btrim(title)) > 0", name="title_not_blank"),
    sa.CheckConstraint(one_of("frequency_type", ("daily", "weekly")), name="frequency_type"),
    sa.CheckConstraint(one_of("status", ("active", "paused", "archived")), name="status"),
    sa.CheckConstraint(
        "(frequency_type = 'daily' AND frequency_count = 1 AND target_days IS NULL) OR "
        "(frequency_type = 'weekly' AND frequency_count BETWEEN 1 AND 7 AND target_days IS NOT NULL "
        "AND cardinality(target_days) = frequency_count AND target_days <@ '{0,1,2,3,4,5,6}'::smallint[])",
        name="schedule",
    ),
    sa.CheckConstraint("cardinality(reminder_times) BETWEEN 1 AND 5", name="reminder_times_count"),
    sa.CheckConstraint(
        "current_streak >= 0 AND total_completions >= 0 AND week_completions >= 0 "
        "AND longest_streak >= current_streak",
        name="counters",
    ),
    sa.Index(None, "user_id", "status"),
)
sa.Index(
    "ix_goals_active_streak",
    goals.c.status,
    goals.c.current_streak.desc(),
    postgresql_where=sa.text("status = 'active' AND current_streak > 0"),
)

reminder_slots = sa.Table(
    "reminder_slots",
    metadata,
    uuid_pk(),
    user_fk(),
    sa.Column("goal_id", UUID(as_uuid=True), sa.ForeignKey("goals.id", ondelete="CASCADE")),
    sa.Column("challenge_id", UUID(as_uuid=True), sa.ForeignKey("challenges.id", ondelete="CASCADE")),
    sa.Column("reminder_time", sa.Text, nullable=False),
    tstz("next_fire_at", nullable=False),
    # Set when a reminders tick hands the due slot to a chunk message; another tick leaves it alone
    # until the lease runs out, so a busy peak is not enqueued twice (workers/jobs/reminders.py).
    tstz("claimed_at"),
    # The text prepared ahead for one occurrence (reminder_texts.prepare): valid only while text_fire_at
    # equals next_fire_at, so an advanced or rebuilt slot never carries it to another occurrence.
    sa.Column("text_title", sa.Text),
    sa.Column("text_body", sa.Text),
    tstz("text_fire_at"),
    # The preparation's claim (a lease), cleared once the occurrence is handled
    # (workers/jobs/reminder_texts.py).
    tstz("text_claimed_at"),
    *timestamps(),
    sa.CheckConstraint("(goal_id IS NULL) <> (challenge_id IS NULL)", name="one_owner"),
    sa.Index(
        "uq_reminder_slots_goal_time",
        "goal_id",
        "reminder_time",
        unique=True,
        postgresql_where=sa.text("goal_id IS NOT NULL"),
    ),
    sa.Index(
        "uq_reminder_slots_challenge_user_time",
        "challenge_id",
        "user_id",
        "reminder_time",
        unique=True,
        postgresql_where=sa.text("challenge_id IS NOT NULL"),
    ),
    sa.Index(None, "next_fire_at"),
    # The slots whose next occurrence still needs its text prepared, or is claimed for it.
    sa.Index(
        "ix_reminder_slots_text_pending",
        "next_fire_at",
        postgresql_where=sa.text(
            "goal_id IS NOT NULL AND "
            "(text_fire_at IS DISTINCT FROM next_fire_at OR text_claimed_at IS NOT NULL)"
        ),
    ),
)

check_ins = sa.Table(
    "check_ins",
    metadata,
    uuid_pk(),
    user_fk(),
    sa.Column("goal_id", UUID(as_uuid=True), sa.ForeignKey("goals.id", ondelete="CASCADE"), nullable=False),
    sa.Column("check_in_date", sa.Date, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("mood", sa.Text),
    sa.Column("skip_reason", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("voice_note_url", sa.Text),
    sa.Column("voice_note_transcript", sa.Text),
    sa.Column("ai_response", sa.Text),
    tstz("responded_at"),
    tstz("prompt_due_at"),
    tstz("followup_due_at"),
    # A pending row's end of day: the start of the owner's next local day, when it turns missed.
    tstz("missed_due_at"),
    *timestamps(),
    sa.UniqueConstraint("user_id", "goal_id", "check_in_date"),
    sa.CheckConstraint(
        one_of("status", ("pending", "completed", "skipped", "missed", "rest_day")), name="status"
    ),
    sa.CheckConstraint(
        "mood IS NULL OR ("
        + one_of("mood", ("tough", "good", "amazing"))
        + " AND status IN ('completed', 'skipped', 'rest_day'))",
        name="mood",
    ),
    sa.CheckConstraint(
        "skip_reason IS NULL OR ("
        + one_of("skip_reason", ("work", "tired", "sick", "schedule", "other"))
        + " AND status = 'skipped')",
        name="skip_reason",
    ),
)
sa.Index("ix_check_ins_user_date", check_ins.c.user_id, check_ins.c.check_in_date.desc())
sa.Index("ix_check_ins_goal_date", check_ins.c.goal_id, check_ins.c.check_in_date.desc())
sa.Index("ix_check_ins_user_status_date", check_ins.c.user_id, check_ins.c.status, check_ins.c.check_in_date)
sa.Index(
    "ix_check_ins_pending_date",
    check_ins.c.check_in_date,
    postgresql_where=sa.text("status = 'pending'"),
)
# A goal's pending rows (about one per active goal), for the answer's lock statement and the overdue
# sweep: the (user_id, goal_id, check_in_date) key would make them filter the goal's whole history.
sa.Index(
    "ix_check_ins_pending_goal_date",
    check_ins.c.goal_id,
    check_ins.c.check_in_date,
    postgresql_where=sa.text("status = 'pending'"),
)
sa.Index(
    "ix_check_ins_missed_due_at",
    check_ins.c.missed_due_at,
    postgresql_where=sa.text("status = 'pending' AND missed_due_at IS NOT NULL"),
)
sa.Index(
    "ix_check_ins_prompt_due_at",
    check_ins.c.prompt_due_at,
    postgresql_where=sa.text("status = 'pending' AND prompt_due_at IS NOT NULL"),
)
sa.Index(
    "ix_check_ins_followup_due_at",
    check_ins.c.followup_due_at,
    postgresql_where=sa.text("status = 'pending' AND followup_due_at IS NOT NULL"),
)

# --- Goal insights ---------------------------------------------------------------------------------

INSIGHT_STATUSES = ("pending", "generating", "completed", "failed", "insufficient_data")

# One row per goal (docs/domain.md §3.14), overwritten by every generation: the request's, the
# finishing actor's and the weekly detect_patterns job's. claim_id names the generation that holds a
# `generating` row: only that generation may store its result (services/goal_insights.py).
pattern_insights = sa.Table(
    "pattern_insights",
    metadata,
    uuid_pk(),
    sa.Column(
        "goal_id",
        UUID(as_uuid=True),
        sa.ForeignKey("goals.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    user_fk(),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("insights", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("nudge_config", JSONB),
    sa.Column("current_metrics", JSONB),
    sa.Column("previous_metrics", JSONB),
    sa.Column("checkins_analyzed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error_message", sa.Text),
    sa.Column("summary", sa.Text),
    tstz("generated_at"),
    sa.Column("claim_id", UUID(as_uuid=True)),
    *timestamps(),
    sa.CheckConstraint(one_of("status", INSIGHT_STATUSES), name="status"),
    sa.Index(None, "user_id"),
)

# --- Notifications and push ------------------------------------------------------------------------

notification_preferences = sa.Table(
    "notification_preferences",
    metadata,
    sa.Column("user_id", UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    *(
        sa.Column(switch, sa.Boolean, nullable=False, server_default=sa.true())
        for switch in (
            "enabled",
            "push_notifications",
            "email_notifications",
            "ai_motivation",
            "reminders",
            "achievements",
            "weekly_recap",
            "reengagement",
            "partners",
            "challenges",
        )
    ),
    sa.Column("quiet_hours_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("quiet_hours_start", sa.Time, nullable=False, server_default=sa.text("'22:00'")),
    sa.Column("quiet_hours_end", sa.Time, nullable=False, server_default=sa.text("'08:00'")),
    *timestamps(),
)

device_tokens = sa.Table(
    "device_tokens",
    metadata,
    uuid_pk(),
    user_fk(),
    sa.Column("fcm_token", sa.Text, nullable=False, unique=True),
    sa.Column("device_type", sa.Text, nullable=False),
    sa.Column("device_id", sa.Text, nullable=False),
    sa.Column("timezone", sa.Text, nullable=False, server_default="UTC"),
    sa.Column("app_version", sa.Text, nullable=False),
    sa.Column("os_version", sa.Text, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    tstz("last_used_at"),
    tstz("deactivated_at"),
    sa.Column("deactivation_reason", sa.Text),
    *timestamps(),
    sa.CheckConstraint(one_of("device_type", ("ios", "android")), name="device_type"),
    sa.Index("ix_device_tokens_active_user", "user_id", postgresql_where=sa.text("is_active")),
)

notification_history = sa.Table(
    "notification_history",
    metadata,
    uuid_pk(),
    user_fk(),
    sa.Column("notification_type", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("data", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("entity_type", sa.Text),
    sa.Column("entity_id", UUID(as_uuid=True)),
    sa.Column("dedupe_key", sa.Text),
    # The interactive iOS category the push carries (Expo categoryId), e.g. partner_activity.
    sa.Column("ios_category", sa.Text),
    sa.Column("push_status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("skip_reason", sa.Text),
    tstz("sent_at", nullable=False, default_now=True),
    tstz("delivered_at"),
    tstz("opened_at"),
    tstz("failed_at"),
    sa.Column("failure_reason", sa.Text),
    *timestamps(),
    sa.CheckConstraint(one_of("notification_type", NOTIFICATION_TYPES), name="notification_type"),
    sa.CheckConstraint("entity_type IS NULL OR " + one_of("entity_type", ENTITY_TYPES), name="entity_type"),
    sa.CheckConstraint("(entity_type IS NULL) = (entity_id IS NULL)", name="entity_pair"),
    sa.CheckConstraint(one_of("push_status", ("pending", "sent", "skipped", "failed")), name="push_status"),
    sa.CheckConstraint("skip_reason IS NULL OR " + one_of("skip_reason", SKIP_REASONS), name="skip_reason"),
    sa.Index(
        "uq_notification_history_dedupe_key",
        "dedupe_key",
        unique=True,
        postgresql_where=sa.text("dedupe_key IS NOT NULL"),
    ),
    sa.Index(
        "ix_notification_history_entity",
        "entity_type",
        "entity_id",
        postgresql_where=sa.text("entity_type IS NOT NULL"),
    ),
    sa.Index(
        "ix_notification_history_pending_created",
        "created_at",
        postgresql_where=sa.text("push_status = 'pending'"),
    ),
)
sa.Index(
    "ix_notification_history_user_sent",
    notification_history.c.user_id,
    notification_history.c.sent_at.desc(),
    notification_history.c.id.desc(),
)
sa.Index(
    "ix_notification_history_user_type_sent",
    notification_history.c.user_id,
    notification_history.c.notification_type,
    notification_history.c.sent_at.desc(),
)

push_deliveries = sa.Table(
    "push_deliveries",
    metadata,
    uuid_pk(),
    sa.Column(
        "notification_id",
        UUID(as_uuid=True),
        sa.ForeignKey("notification_history.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "device_token_id",
        UUID(as_uuid=True),
        sa.ForeignKey("device_tokens.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("ticket_id", sa.Text),
    sa.Column("ticket_error", sa.Text),
    sa.Column("receipt_status", sa.Text),
    sa.Column("receipt_error", sa.Text),
    sa.Column("attempts", sa.SmallInteger, nullable=False, server_default="0"),
    # Scheduling state of the delivery worker: when the row may next be tried (backoff) and when a
    # worker took it (a claim older than the stale bound belongs to a worker that died).
    tstz("next_attempt_at", nullable=False, default_now=True),
    tstz("claimed_at"),
    # The claim's fencing token (one per claimed batch) and the worker process holding it.
    sa.Column("claim_id", UUID(as_uuid=True)),
    sa.Column("claimed_by", sa.Text),
    tstz("sent_at"),
    tstz("receipt_checked_at"),
    *timestamps(),
    sa.UniqueConstraint("notification_id", "device_token_id"),
    sa.CheckConstraint(one_of("status", ("pending", "sent", "failed")), name="status"),
    sa.CheckConstraint(
        "receipt_status IS NULL OR " + one_of("receipt_status", ("ok", "error")), name="receipt"
    ),
    sa.Index(
        "ix_push_deliveries_pending_created", "created_at", postgresql_where=sa.text("status = 'pending'")
    ),
    sa.Index("ix_push_deliveries_due", "next_attempt_at", postgresql_where=sa.text("status = 'pending'")),
    # The rows in flight, by owner: the sweeper takes back a dead worker's claims through it.
    sa.Index(
        "ix_push_deliveries_in_flight",
        "claimed_by",
        postgresql_where=sa.text("status = 'pending' AND sent_at IS NOT NULL"),
    ),
    # Retention deletes the oldest finished rows first (workers/push/retention.py).
    sa.Index(
        "ix_push_deliveries_finished_created", "created_at", postgresql_where=sa.text("status <> 'pending'")
    ),
    sa.Index(
        "ix_push_deliveries_awaiting_receipt",
        "sent_at",
        postgresql_where=sa.text("ticket_id IS NOT NULL AND receipt_checked_at IS NULL"),
    ),
    sa.Index(None, "device_token_id"),
)

# --- Plans and billing -----------------------------------------------------------------------------

subscription_plans = sa.Table(
    "subscription_plans",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("monthly_price", sa.Numeric(10, 2), nullable=False),
    sa.Column("annual_price", sa.Numeric(10, 2), nullable=False),
    sa.Column("active_goal_limit", sa.Integer, nullable=False),
    sa.Column("tier", sa.SmallInteger, nullable=False),
    sa.Column("is_popular", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("has_trial", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("trial_days", sa.Integer),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("sort_order", sa.Integer, nullable=False, server_default="0"),
    sa.Column("product_id_ios_monthly", sa.Text),
    sa.Column("product_id_ios_annual", sa.Text),
    sa.Column("product_id_android_monthly", sa.Text),
    sa.Column("product_id_android_annual", sa.Text),
    sa.Column("exit_offer_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("exit_offer_monthly_price", sa.Numeric(10, 2)),
    sa.Column("exit_offer_annual_price", sa.Numeric(10, 2)),
    *timestamps(),
    sa.CheckConstraint(one_of("id", ("free", "premium")), name="id"),
)

plan_features = sa.Table(
    "plan_features",
    metadata,
    uuid_pk(),
    sa.Column("plan_id", sa.Text, sa.ForeignKey("subscription_plans.id"), nullable=False),
    sa.Column("feature_key", sa.Text, nullable=False),
    sa.Column("feature_name", sa.Text, nullable=False),
    sa.Column("feature_description", sa.Text),
    sa.Column("feature_value", sa.Integer),
    sa.Column("is_enabled", sa.Boolean, nullable=False),
    sa.Column("minimum_tier", sa.SmallInteger, nullable=False),
    sa.Column("sort_order", sa.Integer, nullable=False, server_default="0"),
    sa.Column("ai_description", sa.Text),
    *timestamps(),
    sa.UniqueConstraint("plan_id", "feature_key"),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    uuid_pk(),
    sa.Column(
        "user_id",
        UUID(as_uuid=True),
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    sa.Column("plan", sa.Text, sa.ForeignKey("subscription_plans.id"), nullable=False, server_default="free"),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("platform", sa.Text),
    sa.Column("product_id", sa.Text),
    sa.Column("original_transaction_id", sa.Text),
    sa.Column("provider", sa.Text),
    sa.Column("provider_subscription_id", sa.Text),
    tstz("purchase_date"),
    tstz("expires_date"),
    tstz("current_period_start"),
    tstz("current_period_end"),
    tstz("trial_end"),
    sa.Column("auto_renew", sa.Boolean, nullable=False, server_default=sa.true()),
    tstz("cancelled_at"),
    sa.Column("cancel_reason", sa.Text),
    tstz("grace_period_ends_at"),
    sa.Column("last_event_id", sa.Text),
    tstz("last_event_at"),
    sa.Column("environment", sa.Text),
    *timestamps(),
    sa.CheckConstraint(one_of("status", ("active", "trial", "grace_period", "expired")), name="status"),
    sa.CheckConstraint(
        "platform IS NULL OR " + one_of("platform", ("ios", "android", "web")), name="platform"
    ),
    sa.CheckConstraint(
        "environment IS NULL OR " + one_of("environment", ("SANDBOX", "PRODUCTION")), name="environment"
    ),
    sa.Index(None, "status"),
    sa.Index(
        "ix_subscriptions_expiring",
        "expires_date",
        postgresql_where=sa.text("auto_renew = false AND status IN ('active', 'trial')"),
    ),
    sa.Index(
        "ix_subscriptions_grace_period_ends_at",
        "grace_period_ends_at",
        postgresql_where=sa.text("grace_period_ends_at IS NOT NULL"),
    ),
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    uuid_pk(),
    sa.Column("event_id", sa.Text, nullable=False, unique=True),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("app_user_id", sa.Text),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("payload", JSONB, nullable=False),
    tstz("processed_at"),
    sa.Column("error_message", sa.Text),
    sa.Column("retry_count", sa.Integer, nullable=False, server_default="0"),
    *timestamps(),
    sa.CheckConstraint(one_of("status", ("pending", "processing", "completed", "failed")), name="status"),
    sa.Index(
        "ix_webhook_events_failed_retryable",
        "created_at",
        postgresql_where=sa.text("status = 'failed' AND retry_count < 5"),
    ),
)

subscription_deactivation_logs = sa.Table(
    "subscription_deactivation_logs",
    metadata,
    uuid_pk(),
    user_fk(),
    sa.Column("previous_plan", sa.Text, nullable=False),
    sa.Column("new_plan", sa.Text, nullable=False, server_default="free"),
    sa.Column("deactivation_reason", sa.Text, nullable=False),
    sa.Column("goals_deactivated", sa.Integer, nullable=False, server_default="0"),
    sa.Column("deactivated_goal_ids", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("partner_requests_deleted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("challenges_cancelled", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cancelled_challenge_ids", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("challenges_left", sa.Integer, nullable=False, server_default="0"),
    sa.Column("left_challenge_ids", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("webhook_event_id", sa.Text),
    *timestamps(),
    sa.CheckConstraint(
        one_of(
            "deactivation_reason",
            ("subscription_expired", "subscription_expired_cleanup", "manual", "transfer"),
        ),
        name="deactivation_reason",
    ),
)

# --- App configuration ----------------------------------------------------------------------------

# Values the app reads at start (store, legal and help URLs): changed by an UPDATE, not a release.
app_config = sa.Table(
    "app_config",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("is_public", sa.Boolean, nullable=False, server_default=sa.true()),
    *timestamps(),
)

# One row per store platform: what the app's update prompt compares its own version with.
app_versions = sa.Table(
    "app_versions",
    metadata,
    sa.Column("platform", sa.Text, primary_key=True),
    sa.Column("latest_version", sa.Text, nullable=False),
    sa.Column("minimum_version", sa.Text, nullable=False),
    sa.Column("force_update", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("release_notes", sa.Text),
    sa.Column("store_url", sa.Text),
    *timestamps(),
    sa.CheckConstraint(one_of("platform", ("ios", "android")), name="platform"),
    sa.CheckConstraint(f"latest_version ~ '{VERSION_PATTERN}'", name="latest_version"),
    sa.CheckConstraint(f"minimum_version ~ '{VERSION_PATTERN}'", name="minimum_version"),
)

# --- Blog ------------------------------------------------------------------------------------------

BLOG_POST_STATUSES = ("draft", "published", "archived")

blog_categories = sa.Table(
    "blog_categories",
    metadata,
    uuid_pk(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("slug", sa.Text, nullable=False, unique=True),
    sa.Column("description", sa.Text),
    *timestamps(),
)

blog_tags = sa.Table(
    "blog_tags",
    metadata,
    uuid_pk(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("slug", sa.Text, nullable=False, unique=True),
    *timestamps(),
)

blog_posts = sa.Table(
    "blog_posts",
    metadata,
    uuid_pk(),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("slug", sa.Text, nullable=False, unique=True),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("excerpt", sa.Text),
    sa.Column("featured_image_url", sa.Text),
    sa.Column("status", sa.Text, nullable=False, server_default="draft"),
    sa.Column("is_featured", sa.Boolean, nullable=False, server_default=sa.false()),
    # The byline survives its author's account: the post keeps the name, the link goes.
    user_fk("author_id", nullable=True, ondelete="SET NULL"),
    sa.Column("author_name", sa.Text, nullable=False),
    # Derived from content on every write, so a list never reads the bodies.
    sa.Column("reading_time_minutes", sa.Integer, nullable=False),
    sa.Column("view_count", sa.BigInteger, nullable=False, server_default="0"),
    tstz("published_at"),
    *timestamps(),
    sa.CheckConstraint(one_of("status", BLOG_POST_STATUSES), name="status"),
    sa.CheckConstraint("status <> 'published' OR published_at IS NOT NULL", name="published_at"),
)
# The app's list: published posts, newest first.
sa.Index(
    "ix_blog_posts_published",
    blog_posts.c.published_at.desc(),
    blog_posts.c.id.desc(),
    postgresql_where=blog_posts.c.status == "published",
)

blog_post_categories = sa.Table(
    "blog_post_categories",
    metadata,
    sa.Column(
        "post_id", UUID(as_uuid=True), sa.ForeignKey("blog_posts.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "category_id",
        UUID(as_uuid=True),
        sa.ForeignKey("blog_categories.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)
sa.Index("ix_blog_post_categories_category_id", blog_post_categories.c.category_id)

blog_post_tags = sa.Table(
    "blog_post_tags",
    metadata,
    sa.Column(
        "post_id", UUID(as_uuid=True), sa.ForeignKey("blog_posts.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "tag_id", UUID(as_uuid=True), sa.ForeignKey("blog_tags.id", ondelete="CASCADE"), primary_key=True
    ),
)
sa.Index("ix_blog_post_tags_tag_id", blog_post_tags.c.tag_id)

# --- Jobs ------------------------------------------------------------------------------------------

# Data exports (docs/api.md, "Data export"): one per user per local day (requested_on is the user's
# date when asked), built by the exports.build actor into data_export_chunks, served by a signed link.
data_exports = sa.Table(
    "data_exports",
    metadata,
    uuid_pk(),
    user_fk(),
    sa.Column("requested_on", sa.Date, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    # Build attempts started (committed before each build), so the sweep can give up on a poison export.
    sa.Column("attempts", sa.SmallInteger, nullable=False, server_default="0"),
    tstz("completed_at"),
    tstz("expires_at"),
    *timestamps(),
    sa.CheckConstraint(one_of("status", ("pending", "completed", "failed")), name="status"),
    sa.UniqueConstraint("user_id", "requested_on"),
)

# The JSON document of a completed export, in order: every process can serve it (no shared disk), and
# neither the build nor the download holds more than one chunk in memory.
data_export_chunks = sa.Table(
    "data_export_chunks",
    metadata,
    sa.Column(
        "export_id",
        UUID(as_uuid=True),
        sa.ForeignKey("data_exports.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("export_id", "seq"),
)

job_markers = sa.Table(
    "job_markers",
    metadata,
    sa.Column("job_name", sa.Text, primary_key=True),
    sa.Column("scope_key", sa.Text, primary_key=True),
    sa.Column("period_key", sa.Text, primary_key=True),
    tstz("done_at", nullable=False, default_now=True),
)

# --- Social ------------------------------------------------------------------------------------------

PARTNERSHIP_STATUSES = ("pending", "accepted", "blocked")
NUDGE_TYPES = ("nudge", "cheer", "milestone", "competitive", "custom")
REPORT_REASONS = ("inappropriate_username", "harassment", "spam", "other")

accountability_partners = sa.Table(
    "accountability_partners",
    metadata,
    uuid_pk(),
    user_fk(),
    user_fk("partner_user_id"),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    user_fk("initiated_by_user_id"),
    user_fk("blocked_by", nullable=True),
    tstz("accepted_at"),
    tstz("expires_at"),
    *timestamps(),
    sa.CheckConstraint("user_id <> partner_user_id", name="not_self"),
    sa.CheckConstraint("initiated_by_user_id = user_id", name="initiator_is_sender"),
    sa.CheckConstraint(one_of("status", PARTNERSHIP_STATUSES), name="status"),
    sa.CheckConstraint("(status = 'blocked') = (blocked_by IS NOT NULL)", name="blocked_by_iff_blocked"),
    sa.CheckConstraint(
        "blocked_by IS NULL OR blocked_by IN (user_id, partner_user_id)", name="blocker_is_a_party"
    ),
    sa.CheckConstraint("status = 'pending' OR expires_at IS NULL", name="expiry_only_pending"),
    sa.CheckConstraint("(status = 'accepted') = (accepted_at IS NOT NULL)", name="accepted_at_iff_accepted"),
    sa.Index(None, "user_id", "status"),
    sa.Index(None, "partner_user_id", "status"),
    sa.Index(
        "ix_accountability_partners_pending_expiry",
        "expires_at",
        "id",
        postgresql_where=sa.text("status = 'pending'"),
    ),
)
# One row per unordered pair: two opposite requests racing leave one row and one unique violation.
sa.Index(
    "uq_accountability_partners_pair",
    sa.func.least(accountability_partners.c.user_id, accountability_partners.c.partner_user_id),
    sa.func.greatest(accountability_partners.c.user_id, accountability_partners.c.partner_user_id),
    unique=True,
)

social_nudges = sa.Table(
    "social_nudges",
    metadata,
    uuid_pk(),
    user_fk("sender_id"),
    user_fk("recipient_id"),
    sa.Column(
        "partnership_id",
        UUID(as_uuid=True),
        sa.ForeignKey("accountability_partners.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("goal_id", UUID(as_uuid=True), sa.ForeignKey("goals.id", ondelete="CASCADE")),
    sa.Column("challenge_id", UUID(as_uuid=True), sa.ForeignKey("challenges.id", ondelete="CASCADE")),
    sa.Column("nudge_type", sa.Text, nullable=False),
    sa.Column("emoji", sa.Text),
    sa.Column("message", sa.Text),
    # The sender's local date: the daily limits count per sender-local day (§3.5).
    sa.Column("nudge_date", sa.Date, nullable=False),
    sa.Column("is_read", sa.Boolean, nullable=False, server_default=sa.false()),
    tstz("read_at"),
    *timestamps(),
    sa.CheckConstraint(one_of("nudge_type", NUDGE_TYPES), name="nudge_type"),
    sa.CheckConstraint("sender_id <> recipient_id", name="not_self"),
    sa.CheckConstraint("is_read = (read_at IS NOT NULL)", name="read_at_iff_read"),
    sa.Index(
        "uq_social_nudges_daily_nudge",
        "sender_id",
        "recipient_id",
        "nudge_date",
        unique=True,
        postgresql_where=sa.text("nudge_type = 'nudge'"),
    ),
    sa.Index(None, "sender_id", "recipient_id", "nudge_date", "nudge_type"),
    sa.Index(None, "partnership_id"),
    sa.Index("ix_social_nudges_unread_recipient", "recipient_id", postgresql_where=sa.text("NOT is_read")),
)
sa.Index(
    "ix_social_nudges_recipient_created",
    social_nudges.c.recipient_id,
    social_nudges.c.created_at.desc(),
    social_nudges.c.id.desc(),
)
sa.Index(
    "ix_social_nudges_sender_created",
    social_nudges.c.sender_id,
    social_nudges.c.created_at.desc(),
    social_nudges.c.id.desc(),
)

user_reports = sa.Table(
    "user_reports",
    metadata,
    uuid_pk(),
    user_fk("reporter_id"),
    user_fk("reported_user_id"),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("details", sa.Text),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    tstz("reviewed_at"),
    *timestamps(),
    sa.CheckConstraint(one_of("reason", REPORT_REASONS), name="reason"),
    sa.CheckConstraint(one_of("status", ("pending", "reviewed", "actioned", "dismissed")), name="status"),
    sa.CheckConstraint("reporter_id <> reported_user_id", name="not_self"),
)
sa.Index(
    "ix_user_reports_reporter_reported_created",
    user_reports.c.reporter_id,
    user_reports.c.reported_user_id,
    user_reports.c.created_at.desc(),
)

# --- Achievements ------------------------------------------------------------------------------------

ACHIEVEMENT_CATEGORIES = ("streak", "milestone", "consistency", "social", "special", "engagement")
ACHIEVEMENT_RARITIES = ("common", "rare", "epic", "legendary")

achievement_types = sa.Table(
    "achievement_types",
    metadata,
    uuid_pk(),
    sa.Column("badge_key", sa.Text, nullable=False, unique=True),
    sa.Column("badge_name", sa.Text, nullable=False),
    sa.Column("badge_description", sa.Text),
    sa.Column("badge_icon", sa.Text),
    sa.Column("unlock_condition", JSONB, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("rarity", sa.Text, nullable=False, server_default="common"),
    sa.Column("points", sa.Integer, nullable=False, server_default="10"),
    sa.Column("sort_order", sa.Integer, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    *timestamps(),
    sa.CheckConstraint(one_of("category", ACHIEVEMENT_CATEGORIES), name="category"),
    sa.CheckConstraint(one_of("rarity", ACHIEVEMENT_RARITIES), name="rarity"),
    sa.CheckConstraint(
        "jsonb_typeof(unlock_condition -> 'type') = 'string' "
        "AND jsonb_typeof(unlock_condition -> 'value') = 'number'",
        name="unlock_condition_shape",
    ),
    sa.Index(None, "is_active", "sort_order"),
)

user_achievements = sa.Table(
    "user_achievements",
    metadata,
    uuid_pk(),
    user_fk(),
    sa.Column(
        "achievement_type_id",
        UUID(as_uuid=True),
        sa.ForeignKey("achievement_types.id", ondelete="CASCADE"),
        nullable=False,
    ),
    tstz("unlocked_at", nullable=False, default_now=True),
    tstz("viewed_at"),
    # The counts at unlock time and what triggered it (source_type, source_id).
    sa.Column("metadata", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    *timestamps(),
    sa.UniqueConstraint("user_id", "achievement_type_id"),
)
sa.Index(
    "ix_user_achievements_user_unlocked",
    user_achievements.c.user_id,
    user_achievements.c.unlocked_at.desc(),
    user_achievements.c.id.desc(),
)

# --- Partner inactivity ------------------------------------------------------------------------------

# The due index of the "partner inactive" notice (§3.11): one row per user with accepted partners,
# due at local 10:00 N days after their last completed or rest-day answer (or their acceptance). A row
# of its own, not a users column, so that an answer (which holds its goal row lock) never has to lock
# the users row that the downgrade teardown locks before the goals.
partner_inactive_due = sa.Table(
    "partner_inactive_due",
    metadata,
    sa.Column("user_id", UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    tstz("due_at", nullable=False),
    *timestamps(),
    sa.Index(None, "due_at"),
)


# --- Daily motivations -------------------------------------------------------------------------------
# docs client-behaviour §5: at most one row per user and local date; generating a day's row deletes the
# user's earlier ones.

daily_motivations = sa.Table(
    "daily_motivations",
    metadata,
    uuid_pk(),
    user_fk(),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("background_style", sa.Text, nullable=False, server_default="gradient_sunset"),
    sa.Column("background_colors", ARRAY(sa.Text), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("share_count", sa.Integer, nullable=False, server_default="0"),
    # Regenerations of this date's row so far (premium's daily cap).
    sa.Column("regenerations", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("user_id", "date"),
    sa.CheckConstraint(
        one_of("background_style", (style.value for style in BackgroundStyle)), name="background_style"
    ),
    sa.CheckConstraint("share_count >= 0 AND regenerations >= 0", name="counts"),
)

# The job that writes each morning's motivation ahead of time claims a user here (one row per user,
# rewritten each day) so that overlapping runs never pay the model twice; a claim older than the job's
# lease whose row was not written is taken again. A table of its own, not a users column, so the job
# never locks users rows.
daily_motivation_claims = sa.Table(
    "daily_motivation_claims",
    metadata,
    sa.Column("user_id", UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("local_date", sa.Date, nullable=False),
    tstz("claimed_at", nullable=False),
)

# --- Recaps ------------------------------------------------------------------------------------------

# One recap per user and local Monday it describes (§2.7; trap 7). The JSON columns hold what the app's
# screens read (docs: client-behaviour §6.1), shaped by domain/weekly_recaps.py.
weekly_recaps = sa.Table(
    "weekly_recaps",
    metadata,
    uuid_pk(),
    user_fk(),
    sa.Column("week_start", sa.Date, nullable=False),
    sa.Column("week_end", sa.Date, nullable=False),
    sa.Column("goals_hit", sa.Integer, nullable=False),
    sa.Column("goals_total", sa.Integer, nullable=False),
    sa.Column("consistency_percent", sa.Numeric(5, 2)),
    sa.Column("summary", sa.Text),
    sa.Column("win", sa.Text),
    sa.Column("insight", sa.Text),
    sa.Column("focus_next_week", sa.Text),
    sa.Column("motivational_close", sa.Text),
    sa.Column("recap_text", sa.Text),
    sa.Column("stats", JSONB),
    sa.Column("goal_breakdown", JSONB),
    sa.Column("completion_rate_trend", JSONB),
    sa.Column("achievements_unlocked", JSONB),
    sa.Column("partner_context", JSONB),
    tstz("generated_at"),
    tstz("viewed_at"),
    *timestamps(),
    sa.CheckConstraint("week_end = week_start + 6", name="week_end"),
    sa.UniqueConstraint("user_id", "week_start"),
)
sa.Index("ix_weekly_recaps_user_week_start", weekly_recaps.c.user_id, weekly_recaps.c.week_start.desc())

# --- AI coach ----------------------------------------------------------------------------------------
# docs client-behaviour §7. Messages are rows of their own, not a JSON array on the conversation (as
# upstream had): a turn appends one row instead of rewriting the whole history, pages are index scans,
# and the worker claims a pending message by its row.

ai_coach_conversations = sa.Table(
    "ai_coach_conversations",
    metadata,
    uuid_pk(),
    user_fk(),
    sa.Column("title", sa.Text),
    sa.Column("message_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total_tokens_used", sa.Integer, nullable=False, server_default="0"),
    # Set at creation, so "the current conversation" (latest activity) never has to order NULLs.
    tstz("last_message_at", nullable=False, default_now=True),
    sa.Column("is_archived", sa.Boolean, nullable=False, server_default=sa.false()),
    *timestamps(),
    sa.CheckConstraint("message_count >= 0 AND total_tokens_used >= 0", name="counts"),
)
sa.Index(
    "ix_ai_coach_conversations_user_activity",
    ai_coach_conversations.c.user_id,
    ai_coach_conversations.c.last_message_at.desc(),
    ai_coach_conversations.c.id.desc(),
    postgresql_where=sa.text("NOT is_archived"),
)

COACH_MESSAGE_ROLES = ("user", "assistant")
COACH_MESSAGE_STATUSES = ("pending", "completed", "failed")

ai_coach_messages = sa.Table(
    "ai_coach_messages",
    metadata,
    uuid_pk(),
    sa.Column(
        "conversation_id",
        UUID(as_uuid=True),
        sa.ForeignKey("ai_coach_conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # The owner again, so every read and write filters on the caller without a join.
    user_fk(),
    # The message's place in its conversation (0, 1, …): the client's `message_index`, the paging key.
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="completed"),
    sa.Column("tokens_used", sa.Integer, nullable=False, server_default="0"),
    # The tools the model called for this reply (name, arguments, rows returned), for the record.
    sa.Column("tool_calls", JSONB),
    # A pending user message's turn: the worker's claim (a lease) and how often it was tried.
    sa.Column("claim_id", UUID(as_uuid=True)),
    tstz("claimed_at"),
    sa.Column("attempts", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("language", sa.Text),
    sa.Column("goal_id", UUID(as_uuid=True), sa.ForeignKey("goals.id", ondelete="SET NULL")),
    tstz("created_at", nullable=False, default_now=True),
    tstz("completed_at"),
    # A user message's turn: the local date whose daily quota it reserved (ai_coach_daily_usage), so a
    # turn that fails for good gives back exactly that day's message; NULL once released, and always
    # on assistant messages.
    sa.Column("quota_date", sa.Date),
    sa.UniqueConstraint("conversation_id", "position"),
    sa.CheckConstraint(one_of("role", COACH_MESSAGE_ROLES), name="role"),
    sa.CheckConstraint(one_of("status", COACH_MESSAGE_STATUSES), name="status"),
    sa.CheckConstraint("position >= 0 AND tokens_used >= 0 AND attempts >= 0", name="counts"),
    # The sweeper's due index: only messages still waiting for a reply.
    sa.Index(None, "created_at", postgresql_where=sa.text("status = 'pending'")),
    sa.Index(None, "user_id"),
)

# The daily quota (§2.7 ai_coach_daily_usage, client-behaviour §7.2), on the user's local date.
ai_coach_daily_usage = sa.Table(
    "ai_coach_daily_usage",
    metadata,
    user_fk(),
    sa.Column("usage_date", sa.Date, nullable=False),
    sa.Column("message_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("tokens_used", sa.Integer, nullable=False, server_default="0"),
    sa.Column("bonus_messages", sa.Integer, nullable=False, server_default="0"),
    *timestamps(),
    sa.PrimaryKeyConstraint("user_id", "usage_date"),
    sa.CheckConstraint("message_count >= 0 AND tokens_used >= 0 AND bonus_messages >= 0", name="counts"),
)

# One row per rewarded ad claimed (POST /ai-coach/unlock-message): a repeated claim of the same ad
# finds its row and adds nothing.
ai_coach_ad_rewards = sa.Table(
    "ai_coach_ad_rewards",
    metadata,
    user_fk(),
    sa.Column("reward_id", sa.Text, nullable=False),
    sa.Column("usage_date", sa.Date, nullable=False),
    sa.Column("messages_unlocked", sa.Integer, nullable=False),
    tstz("created_at", nullable=False, default_now=True),
    sa.PrimaryKeyConstraint("user_id", "reward_id"),
    sa.CheckConstraint("messages_unlocked > 0", name="messages_unlocked"),
)

# --- Challenges --------------------------------------------------------------------------------------
# docs/domain.md §2.8 and §3.6.

CHALLENGE_TYPES = ("streak", "checkin_count")
CHALLENGE_STATUSES = ("upcoming", "active", "completed", "cancelled")
CHALLENGE_FREQUENCIES = ("daily", "weekly", "custom")
CHALLENGE_TRACKING_TYPES = ("workout", "meal", "hydration", "checkin")
CHALLENGE_MOODS = ("great", "good", "okay", "bad", "terrible")
CHALLENGE_INVITE_TYPES = ("direct", "link")
CHALLENGE_INVITE_STATUSES = ("pending", "accepted", "declined", "expired")

challenges = sa.Table(
    "challenges",
    metadata,
    uuid_pk(),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("challenge_type", sa.Text, nullable=False),
    sa.Column("duration_days", sa.Integer, nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("join_deadline", sa.Date),
    # The creator's zone at creation: the status changes happen on the challenge's local dates.
    sa.Column("timezone", sa.Text, nullable=False),
    sa.Column("is_public", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("max_participants", sa.Integer),
    user_fk("created_by", nullable=True, ondelete="SET NULL"),
    sa.Column("status", sa.Text, nullable=False, server_default="upcoming"),
    sa.Column("cancelled_reason", sa.Text),
    tstz("cancelled_at"),
    sa.Column("category", sa.Text),
    sa.Column("frequency", sa.Text, nullable=False, server_default="daily"),
    sa.Column("days_of_week", ARRAY(sa.SmallInteger)),
    sa.Column("target_days", sa.Integer),
    sa.Column("target_checkins", sa.Integer),
    sa.Column("reminder_times", ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'::text[]")),
    sa.Column("tracking_type", sa.Text, nullable=False, server_default="checkin"),
    sa.Column("metadata", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    *timestamps(),
    sa.CheckConstraint(one_of("challenge_type", CHALLENGE_TYPES), name="challenge_type"),
    sa.CheckConstraint(one_of("status", CHALLENGE_STATUSES), name="status"),
    sa.CheckConstraint(one_of("frequency", CHALLENGE_FREQUENCIES), name="frequency"),
    sa.CheckConstraint(one_of("tracking_type", CHALLENGE_TRACKING_TYPES), name="tracking_type"),
    sa.CheckConstraint("duration_days > 0", name="duration_days"),
    sa.CheckConstraint("end_date >= start_date", name="dates"),
    sa.CheckConstraint("join_deadline IS NULL OR join_deadline <= end_date", name="join_deadline"),
    sa.CheckConstraint("max_participants IS NULL OR max_participants >= 2", name="max_participants"),
    sa.CheckConstraint("challenge_type <> 'checkin_count' OR target_checkins >= 1", name="target_checkins"),
    sa.CheckConstraint("cardinality(reminder_times) <= 5", name="reminder_times"),
    # The lifecycle jobs' due indexes and the public list (§2.8).
    sa.Index("ix_challenges_upcoming_start", "start_date", postgresql_where=sa.text("status = 'upcoming'")),
    sa.Index("ix_challenges_active_end", "end_date", postgresql_where=sa.text("status = 'active'")),
    sa.Index(
        "ix_challenges_public_open",
        "is_public",
        "status",
        "start_date",
        postgresql_where=sa.text("is_public AND status IN ('upcoming', 'active')"),
    ),
    sa.Index(
        "ix_challenges_creator_open",
        "created_by",
        "id",
        postgresql_where=sa.text("status IN ('upcoming', 'active')"),
    ),
)

challenge_participants = sa.Table(
    "challenge_participants",
    metadata,
    uuid_pk(),
    sa.Column(
        "challenge_id", UUID(as_uuid=True), sa.ForeignKey("challenges.id", ondelete="CASCADE"), nullable=False
    ),
    user_fk(),
    tstz("joined_at", nullable=False, default_now=True),
    tstz("completed_at"),
    sa.UniqueConstraint("challenge_id", "user_id"),
    sa.Index(None, "user_id", "joined_at"),
)


def participant_fk() -> sa.ForeignKeyConstraint:
    """A row that lives only as long as its membership: leaving deletes it (§2.8)."""
    return sa.ForeignKeyConstraint(
        ["challenge_id", "user_id"],
        ["challenge_participants.challenge_id", "challenge_participants.user_id"],
        ondelete="CASCADE",
    )


# The only store of scores: one row per participant, created at join.
challenge_leaderboard = sa.Table(
    "challenge_leaderboard",
    metadata,
    uuid_pk(),
    sa.Column("challenge_id", UUID(as_uuid=True), nullable=False),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("points", sa.Integer, nullable=False, server_default="0"),
    sa.Column("checkin_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_check_in", sa.Date),
    sa.Column("rank", sa.Integer, nullable=False, server_default="1"),
    *timestamps(),
    participant_fk(),
    sa.UniqueConstraint("challenge_id", "user_id"),
    sa.CheckConstraint("points >= 0 AND checkin_count >= 0 AND rank >= 1", name="counts"),
    sa.Index("ix_challenge_leaderboard_points", "challenge_id", sa.text("points DESC")),
    sa.Index(None, "challenge_id", "rank"),
)

challenge_check_ins = sa.Table(
    "challenge_check_ins",
    metadata,
    uuid_pk(),
    sa.Column("challenge_id", UUID(as_uuid=True), nullable=False),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("check_in_date", sa.Date, nullable=False),
    sa.Column("notes", sa.Text),
    sa.Column("mood", sa.Text),
    sa.Column("photo_url", sa.Text),
    sa.Column("points_awarded", sa.SmallInteger, nullable=False),
    *timestamps(),
    participant_fk(),
    sa.UniqueConstraint("challenge_id", "user_id", "check_in_date"),
    sa.CheckConstraint(f"mood IS NULL OR {one_of('mood', CHALLENGE_MOODS)}", name="mood"),
    sa.CheckConstraint("points_awarded >= 0", name="points_awarded"),
)

challenge_invites = sa.Table(
    "challenge_invites",
    metadata,
    uuid_pk(),
    sa.Column(
        "challenge_id", UUID(as_uuid=True), sa.ForeignKey("challenges.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("invite_type", sa.Text, nullable=False),
    user_fk("invited_by_user_id"),
    # NULL for a link until someone uses it.
    user_fk("invited_user_id", nullable=True),
    sa.Column("invite_code", sa.String(20), unique=True),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    tstz("expires_at", nullable=False),
    tstz("accepted_at"),
    *timestamps(),
    sa.CheckConstraint(one_of("invite_type", CHALLENGE_INVITE_TYPES), name="invite_type"),
    sa.CheckConstraint(one_of("status", CHALLENGE_INVITE_STATUSES), name="status"),
    sa.CheckConstraint("(invite_code IS NOT NULL) = (invite_type = 'link')", name="code_for_links"),
    sa.Index(
        "uq_challenge_invites_direct",
        "challenge_id",
        "invited_user_id",
        unique=True,
        postgresql_where=sa.text("invite_type = 'direct'"),
    ),
    sa.Index(None, "invited_user_id", "status"),
    sa.Index(None, "invited_by_user_id"),
    sa.Index(
        "ix_challenge_invites_pending_expiry",
        "expires_at",
        "id",
        postgresql_where=sa.text("status = 'pending'"),
    ),
)
