"""Bodies of /subscriptions and /subscription-plans (docs/domain.md §5)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from api.structs import struct_from_row
from db.plans import PlanFeatureRow, PlanRow


class SubscriptionOut(msgspec.Struct):
    id: UUID | None
    user_id: UUID
    plan: str  # the effective plan
    status: str
    platform: str | None
    product_id: str | None
    purchase_date: datetime | None
    expires_date: datetime | None
    auto_renew: bool
    created_at: datetime
    updated_at: datetime


class FeatureItemOut(msgspec.Struct):
    id: UUID
    feature_key: str
    feature_name: str
    feature_description: str | None
    feature_value: int | None
    is_enabled: bool
    sort_order: int
    minimum_tier: int

    @classmethod
    def of(cls, row: PlanFeatureRow) -> FeatureItemOut:
        return struct_from_row(cls, row)


class FeaturesOut(msgspec.Struct):
    plan: str
    tier: int
    # A boolean for on/off features; for limits the number (0 = absent, null = unlimited).
    features: dict[str, bool | int | None]
    features_list: list[FeatureItemOut]


class SyncIn(msgspec.Struct, forbid_unknown_fields=True):
    """What the app's store SDK believes; a hint only (§3.8)."""

    tier: Annotated[str, Meta(min_length=1, max_length=50)]
    is_active: bool
    will_renew: bool
    expires_at: datetime | None = None
    # The app's type says "stripe" for web purchases; "web" is what the webhook path stores.
    platform: Literal["ios", "android", "stripe", "web"] | None = None
    product_id: Annotated[str, Meta(max_length=200)] | None = None


class SyncOut(msgspec.Struct, omit_defaults=True):
    synced: bool
    message: str
    plan: str
    previous_plan: str | None = None
    new_plan: str | None = None


class HistoryOut(msgspec.Struct):
    has_ever_subscribed: bool
    subscription_count: int
    first_subscription_date: datetime | None
    last_subscription_date: datetime | None


def _price(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


class PlanOut(msgspec.Struct):
    id: str
    name: str
    description: str | None
    monthly_price: float
    annual_price: float
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
    exit_offer_monthly_price: float | None
    exit_offer_annual_price: float | None
    features: list[FeatureItemOut]

    @classmethod
    def of(cls, plan: PlanRow) -> PlanOut:
        return struct_from_row(
            cls,
            plan,
            monthly_price=float(plan.monthly_price),
            annual_price=float(plan.annual_price),
            exit_offer_monthly_price=_price(plan.exit_offer_monthly_price),
            exit_offer_annual_price=_price(plan.exit_offer_annual_price),
            features=[FeatureItemOut.of(feature) for feature in plan.features],
        )


class PlansOut(msgspec.Struct):
    plans: list[PlanOut]
