"""daily motivations, the claims of the job that writes them ahead, and the unlimited_text_motivation feature

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

docs client-behaviour §5: `daily_motivations` holds at most one row per user and local date (UNIQUE
(user_id, date) also serves the newest-first list). `daily_motivation_claims` is where the job that
writes each morning's motivation ahead of time claims its users (workers/jobs/daily_motivations.py).
The premium-only `unlimited_text_motivation` feature, the key the client shows "regenerate" for, gets its
plan_features rows from domain/plans.py (the same rows 0002 now seeds on a fresh database).
"""

from collections.abc import Sequence
from dataclasses import asdict

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert

from db.tables import plan_features
from domain.plans import PLAN_FEATURE_SEED, Feature

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STYLES = (
    "gradient_sunset",
    "gradient_mountain",
    "gradient_ocean",
    "gradient_forest",
    "gradient_purple",
    "gradient_pink",
    "gradient_fire",
    "gradient_ice",
)


def upgrade() -> None:
    op.create_table(
        "daily_motivations",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("background_style", sa.Text(), server_default="gradient_sunset", nullable=False),
        sa.Column("background_colors", ARRAY(sa.Text()), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("share_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("regenerations", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "background_style IN (" + ", ".join(f"'{style}'" for style in _STYLES) + ")",
            name=op.f("ck_daily_motivations_background_style"),
        ),
        sa.CheckConstraint(
            "share_count >= 0 AND regenerations >= 0", name=op.f("ck_daily_motivations_counts")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_daily_motivations_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_motivations")),
        sa.UniqueConstraint("user_id", "date", name=op.f("uq_daily_motivations_user_id_date")),
    )
    op.create_table(
        "daily_motivation_claims",
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_daily_motivation_claims_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_daily_motivation_claims")),
    )
    rows = [
        {
            **asdict(feature),
            "plan_id": str(feature.plan_id),
            "feature_key": str(feature.feature_key),
            "minimum_tier": int(feature.minimum_tier),
        }
        for feature in PLAN_FEATURE_SEED
        if feature.feature_key is Feature.UNLIMITED_TEXT_MOTIVATION
    ]
    op.execute(
        insert(plan_features)
        .values(rows)
        .on_conflict_do_nothing(index_elements=[plan_features.c.plan_id, plan_features.c.feature_key])
    )


def downgrade() -> None:
    op.execute(
        sa.delete(plan_features).where(plan_features.c.feature_key == Feature.UNLIMITED_TEXT_MOTIVATION.value)
    )
    op.drop_table("daily_motivation_claims")
    op.drop_table("daily_motivations")
