"""seed the free and premium plans and every plan feature

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

The rows come from domain/plans.py (the single statement of plan limits), upserted so a later
release that changes a price or limit only has to re-run this data step.
"""

from collections.abc import Sequence
from dataclasses import asdict

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import insert

from db.tables import plan_features, subscription_plans
from domain.plans import PLAN_FEATURE_SEED, PLAN_SEED

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    plans = [{**asdict(plan), "id": str(plan.id), "tier": int(plan.tier)} for plan in PLAN_SEED]
    statement = insert(subscription_plans).values(plans)
    op.execute(
        statement.on_conflict_do_update(
            index_elements=[subscription_plans.c.id],
            set_={column: statement.excluded[column] for column in plans[0] if column != "id"},
        )
    )
    features = [
        {
            **asdict(feature),
            "plan_id": str(feature.plan_id),
            "feature_key": str(feature.feature_key),
            "minimum_tier": int(feature.minimum_tier),
        }
        for feature in PLAN_FEATURE_SEED
    ]
    feature_statement = insert(plan_features).values(features)
    op.execute(
        feature_statement.on_conflict_do_update(
            index_elements=[plan_features.c.plan_id, plan_features.c.feature_key],
            set_={
                column: feature_statement.excluded[column]
                for column in features[0]
                if column not in ("plan_id", "feature_key")
            },
        )
    )


def downgrade() -> None:
    op.execute(sa.delete(plan_features))
    op.execute(sa.delete(subscription_plans))
