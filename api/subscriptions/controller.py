"""/subscriptions: the caller's subscription, features, client sync and history (§3.8, §5).

Premium comes only from verified billing webhooks (api/webhooks/); the sync here can end premium
when the store says so and the paid period is over, never start it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from api.auth.jwt import AuthUser
from api.subscriptions.schemas import (
    FeatureItemOut,
    FeaturesOut,
    HistoryOut,
    SubscriptionOut,
    SyncIn,
    SyncOut,
)
from db.plans import plan_catalog
from db.subscriptions import MySubscription, my_subscription
from domain.errors import NotFound
from domain.plans import FEATURE_DEFINITIONS, FeatureKind, PlanId, effective_plan, feature_public_value
from services.billing.client_sync import sync_from_client
from services.transaction import Transaction

# How each feature key is shown in /subscriptions/features (a switch, or a limit).
_KIND_OF_FEATURE: Final = {definition.key.value: definition.kind for definition in FEATURE_DEFINITIONS}


async def _load(tx: Transaction, request: Request[AuthUser, Any, Any]) -> MySubscription:
    mine = await my_subscription(tx.connection, request.user.id)
    if mine is None:
        raise NotFound("This account no longer exists.")
    return mine


class SubscriptionController(Controller):
    path = "/subscriptions"
    tags = ["subscriptions"]

    @get("/me")
    async def me(
        self, request: Request[AuthUser, Any, Any], tx: NamedDependency[Transaction]
    ) -> SubscriptionOut:
        """The subscription row; a user who never subscribed gets a free, active placeholder dated at
        signup. `plan` is the effective plan (an expired row shows free)."""
        mine = await _load(tx, request)
        row = mine.subscription
        if row is None:
            return SubscriptionOut(
                id=None,
                user_id=request.user.id,
                plan=PlanId.FREE.value,
                status="active",
                platform=None,
                product_id=None,
                purchase_date=mine.signed_up_at,
                expires_date=None,
                auto_renew=False,
                created_at=mine.signed_up_at,
                updated_at=mine.signed_up_at,
            )
        return SubscriptionOut(
            id=row.id,
            user_id=row.user_id,
            plan=effective_plan(row.status).value,
            status=row.status,
            platform=row.platform,
            product_id=row.product_id,
            purchase_date=row.purchase_date,
            expires_date=row.expires_date,
            auto_renew=row.auto_renew,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @get("/features")
    async def features(
        self, request: Request[AuthUser, Any, Any], tx: NamedDependency[Transaction]
    ) -> FeaturesOut:
        mine = await _load(tx, request)
        catalog = await plan_catalog(tx.connection)
        plan = catalog.plan(mine.cached_plan)
        if plan is None:
            raise RuntimeError(f"plan {mine.cached_plan!r} is missing from subscription_plans")
        return FeaturesOut(
            plan=plan.id,
            tier=plan.tier,
            features={
                feature.feature_key: feature_public_value(
                    _KIND_OF_FEATURE.get(feature.feature_key, FeatureKind.LIMIT),
                    feature.is_enabled,
                    feature.feature_value,
                )
                for feature in plan.features
            },
            features_list=[FeatureItemOut.of(feature) for feature in plan.features],
        )

    @post("/sync", status_code=HTTP_200_OK)
    async def sync(
        self,
        request: Request[AuthUser, Any, Any],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        data: JSONBody[SyncIn],
    ) -> SyncOut:
        result = await sync_from_client(tx, request.user.id, reports_active=data.is_active, now=now)
        return SyncOut(
            synced=result.synced,
            message=result.message,
            plan=result.plan.value,
            previous_plan=None if result.previous_plan is None else result.previous_plan.value,
            new_plan=None if result.new_plan is None else result.new_plan.value,
        )

    @get("/history")
    async def history(
        self, request: Request[AuthUser, Any, Any], tx: NamedDependency[Transaction]
    ) -> HistoryOut:
        """One subscriptions row per user (§2.6) holds the history: the first purchase date survives
        renewals, current_period_start is the latest purchase or renewal."""
        row = (await _load(tx, request)).subscription
        if row is None:
            return HistoryOut(
                has_ever_subscribed=False,
                subscription_count=0,
                first_subscription_date=None,
                last_subscription_date=None,
            )
        return HistoryOut(
            has_ever_subscribed=True,
            subscription_count=1,
            first_subscription_date=row.purchase_date,
            last_subscription_date=row.current_period_start or row.purchase_date,
        )
