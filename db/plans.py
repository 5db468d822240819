"""The plan catalogue: subscription_plans with their plan_features, cached per process (§3.8).

Both plans and all their features are read together, at most once per TTL, so no request or job
looks features up per item. The TTL is short because an operator may edit prices or limits in the
table; a process sees the change within a minute without a restart. What a feature row *means*
(present, limit, unlimited) is decided by domain/plans.py, never here.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import plan_features, subscription_plans
from domain.plans import PlanFeatures

__all__ = [
    "CATALOG_TTL_SECONDS",
    "PlanCatalog",
    "PlanCatalogCache",
    "PlanFeatureRow",
    "PlanRow",
    "load_plan_catalog",
    "plan_catalog",
]

CATALOG_TTL_SECONDS: Final = 60.0


@dataclass(frozen=True, slots=True)
class PlanFeatureRow:
    id: UUID
    plan_id: str
    feature_key: str
    feature_name: str
    feature_description: str | None
    feature_value: int | None
    is_enabled: bool
    minimum_tier: int
    sort_order: int


@dataclass(frozen=True, slots=True)
class PlanRow:
    id: str
    name: str
    description: str | None
    monthly_price: Decimal
    annual_price: Decimal
    active_goal_limit: int
    tier: int
    is_popular: bool
    has_trial: bool
    trial_days: int | None
    is_active: bool
    sort_order: int
    product_id_ios_monthly: str | None
    product_id_ios_annual: str | None
    product_id_android_monthly: str | None
    product_id_android_annual: str | None
    exit_offer_enabled: bool
    exit_offer_monthly_price: Decimal | None
    exit_offer_annual_price: Decimal | None
    features: tuple[PlanFeatureRow, ...]

    def feature_set(self) -> PlanFeatures:
        """The plan's features as the domain reads them (present / limit / unlimited)."""
        return PlanFeatures.from_rows(
            (feature.feature_key, feature.is_enabled, feature.feature_value) for feature in self.features
        )


@dataclass(frozen=True, slots=True)
class PlanCatalog:
    plans: tuple[PlanRow, ...]  # by sort_order

    def plan(self, plan_id: str) -> PlanRow | None:
        return next((plan for plan in self.plans if plan.id == plan_id), None)

    @property
    def active_plans(self) -> tuple[PlanRow, ...]:
        return tuple(plan for plan in self.plans if plan.is_active)


_PLAN_COLUMNS: Final = [
    column for column in subscription_plans.c if column.name not in ("created_at", "updated_at")
]
_FEATURE_COLUMNS: Final = [plan_features.c[name] for name in PlanFeatureRow.__dataclass_fields__]


async def load_plan_catalog(connection: AsyncConnection) -> PlanCatalog:
    """Read every plan and feature (two statements, no cache)."""
    feature_rows = await connection.execute(
        sa.select(*_FEATURE_COLUMNS).order_by(plan_features.c.sort_order, plan_features.c.feature_key)
    )
    features_by_plan: dict[str, list[PlanFeatureRow]] = {}
    for row in feature_rows:
        features_by_plan.setdefault(row.plan_id, []).append(PlanFeatureRow(**row._mapping))
    plan_rows = await connection.execute(
        sa.select(*_PLAN_COLUMNS).order_by(subscription_plans.c.sort_order, subscription_plans.c.id)
    )
    return PlanCatalog(
        plans=tuple(
            PlanRow(**row._mapping, features=tuple(features_by_plan.get(row.id, ()))) for row in plan_rows
        )
    )


class PlanCatalogCache:
    """The catalogue, reloaded when older than `ttl_seconds` (monotonic clock)."""

    def __init__(
        self, ttl_seconds: float = CATALOG_TTL_SECONDS, monotonic: Callable[[], float] = clock.monotonic
    ) -> None:
        self._ttl_seconds = ttl_seconds
        self._monotonic = monotonic
        self._catalog: PlanCatalog | None = None
        self._loaded_at = 0.0

    async def get(self, connection: AsyncConnection) -> PlanCatalog:
        now = self._monotonic()
        if self._catalog is None or now - self._loaded_at >= self._ttl_seconds:
            # Two concurrent misses may both load; the reads are identical and cheap, so no lock.
            self._catalog = await load_plan_catalog(connection)
            self._loaded_at = now
        return self._catalog


_PROCESS_CACHE: Final = PlanCatalogCache()


async def plan_catalog(connection: AsyncConnection) -> PlanCatalog:
    """The process-wide cached catalogue."""
    return await _PROCESS_CACHE.get(connection)
