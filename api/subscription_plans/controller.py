"""/subscription-plans: the paywall's plans with prices, trial, product ids, exit offer and features.

Served from the per-process plan catalogue (db/plans.py), so the paywall costs no query per feature.
"""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from api.subscriptions.schemas import PlanOut, PlansOut
from db.plans import plan_catalog
from domain.errors import NotFound
from services.transaction import Transaction


class SubscriptionPlansController(Controller):
    path = "/subscription-plans"
    tags = ["subscriptions"]

    @get("/plans")
    async def plans(self, tx: NamedDependency[Transaction]) -> PlansOut:
        """The plans on offer, in display order, wrapped as the app reads them (`response.plans`)."""
        catalog = await plan_catalog(tx.connection)
        return PlansOut(plans=[PlanOut.of(plan) for plan in catalog.active_plans])

    @get("/plans/{plan_id:str}")
    async def plan(self, tx: NamedDependency[Transaction], plan_id: FromPath[str]) -> PlanOut:
        plan = (await plan_catalog(tx.connection)).plan(plan_id)
        if plan is None or not plan.is_active:
            raise NotFound(f"No plan {plan_id!r}.", code="plan_not_found")
        return PlanOut.of(plan)
