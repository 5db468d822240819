"""A user's effective plan features (§3.8): one primary-key read plus the cached plan catalogue.

users.plan caches the effective plan (rewritten on every subscription change); the features of each
plan come from the process-wide catalogue (db/plans.py), so a request or job step reads them once and
consults the result for every item, never per item inside a loop.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.plans import plan_catalog
from db.tables import users
from domain.errors import NotFound
from domain.plans import PlanFeatures

__all__ = ["features_of_plan", "plan_features_for"]


async def plan_features_for(connection: AsyncConnection, user_id: UUID) -> PlanFeatures:
    """The features of the user's effective plan; NotFound when the user no longer exists."""
    plan_id = (await connection.execute(sa.select(users.c.plan).where(users.c.id == user_id))).scalar()
    if plan_id is None:
        raise NotFound("User not found.", code="user_not_found")
    return await features_of_plan(connection, plan_id)


async def features_of_plan(connection: AsyncConnection, plan_id: str) -> PlanFeatures:
    """The features of the plan `plan_id` (from the cached catalogue)."""
    plan = (await plan_catalog(connection)).plan(plan_id)
    if plan is None:  # the CHECK on users.plan and the seeded catalogue make this a broken deployment
        raise RuntimeError(f"plan {plan_id!r} is missing from subscription_plans")
    return plan.feature_set()
