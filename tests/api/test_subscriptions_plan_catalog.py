"""The plan catalogue behind /subscription-plans and every feature check is read once per TTL
(db/plans.py), never per request or per item."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.plans import PlanCatalogCache, PlanFeatureRow
from db.tables import plan_features
from domain.plans import Feature, PlanFeatures, PlanId


class StepClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def rename_goal_limit(connection: AsyncConnection, name: str) -> None:
    await connection.execute(
        sa.update(plan_features)
        .where(plan_features.c.feature_key == Feature.ACTIVE_GOAL_LIMIT.value)
        .values(feature_name=name)
    )


def goal_limit_name(features: tuple[PlanFeatureRow, ...]) -> str:
    return next(
        feature.feature_name for feature in features if feature.feature_key == Feature.ACTIVE_GOAL_LIMIT
    )


async def test_the_catalogue_is_reloaded_only_after_its_ttl(connection: AsyncConnection) -> None:
    # Given a cache with a 60 s TTL that has loaded the plans
    clock = StepClock()
    cache = PlanCatalogCache(ttl_seconds=60, monotonic=clock)
    first = await cache.get(connection)
    premium = first.plan(PlanId.PREMIUM.value)
    assert premium is not None
    # When an operator renames a feature
    await rename_goal_limit(connection, "Goals at once")
    # Then readers within the TTL keep the cached catalogue, and see the change once it has passed
    clock.now += 59
    assert await cache.get(connection) is first
    clock.now += 1
    reloaded = (await cache.get(connection)).plan(PlanId.PREMIUM.value)
    assert reloaded is not None
    assert goal_limit_name(reloaded.features) == "Goals at once"


async def test_the_catalogue_reads_as_the_domain_plans(connection: AsyncConnection) -> None:
    catalog = await PlanCatalogCache().get(connection)
    assert [plan.id for plan in catalog.active_plans] == ["free", "premium"]
    for plan_id in PlanId:
        plan = catalog.plan(plan_id.value)
        assert plan is not None
        features = plan.feature_set()
        seeded = PlanFeatures.seeded(plan_id)
        assert all(features.limit(feature) == seeded.limit(feature) for feature in Feature)
    assert catalog.plan("platinum") is None
