"""A user's partner allowance (§3.4 "Counting toward the limit"): the plan's accountability_partner_limit
against the one count of db/partnerships.py, the same in every route."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from db.partnerships import limit_counts
from db.plans import PlanCatalog, plan_catalog
from domain.errors import NotFound
from domain.plans import Feature, within_limit


@dataclass(frozen=True, slots=True)
class Allowance:
    name: str
    is_active: bool
    has_feature: bool
    limit: int | None  # None = unlimited
    accepted: int
    pending_sent: int

    @property
    def total(self) -> int:
        return self.accepted + self.pending_sent

    @property
    def can_add(self) -> bool:
        return self.has_feature and within_limit(self.total, self.limit)


def partner_limit(catalog: PlanCatalog, plan_id: str) -> int | None:
    """The plan's accountability_partner_limit: 0 = no partner feature, None = unlimited."""
    plan = catalog.plan(plan_id)
    if plan is None:  # the CHECK on users.plan and the seeded catalogue make this a broken deployment
        raise RuntimeError(f"plan {plan_id!r} is missing from subscription_plans")
    return plan.feature_set().limit(Feature.ACCOUNTABILITY_PARTNER_LIMIT)


def has_partner_feature(catalog: PlanCatalog, plan_id: str) -> bool:
    return partner_limit(catalog, plan_id) != 0


async def allowances(
    connection: AsyncConnection, user_ids: Sequence[UUID], *, now: datetime, excluding: UUID | None = None
) -> dict[UUID, Allowance]:
    """Each user's allowance (one statement plus the cached catalogue); NotFound for a missing user."""
    counts = await limit_counts(connection, user_ids, now=now, excluding=excluding)
    if len(counts) < len(set(user_ids)):
        raise NotFound("User not found.", code="user_not_found")
    catalog = await plan_catalog(connection)
    result = {}
    for user_id, count in counts.items():
        limit = partner_limit(catalog, count.plan)
        result[user_id] = Allowance(
            count.name, count.is_active, limit != 0, limit, count.accepted, count.pending_sent
        )
    return result
