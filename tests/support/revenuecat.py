"""RevenueCat webhook bodies in the provider's real shape (api_version 1.0), and rows to test billing.

Only the fields the server reads are filled, plus a few it must ignore (RevenueCat sends many more).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import (
    goals,
    notification_history,
    subscription_deactivation_logs,
    subscriptions,
    users,
    webhook_events,
)

IOS_MONTHLY = "com.fitnudge.premium.monthly"
IOS_ANNUAL = "com.fitnudge.premium.annual"
ANDROID_MONTHLY = "fitnudge_premium_monthly"
NOT_PREMIUM = "com.fitnudge.tip.small"


def ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def revenuecat_event(
    event_type: str,
    app_user_id: UUID | str | None,
    *,
    at: datetime,
    event_id: str | None = None,
    product_id: str = IOS_MONTHLY,
    expires_at: datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A webhook body for `event_type` at event time `at`; `fields` override or add event fields."""
    user = None if app_user_id is None else str(app_user_id)
    event: dict[str, Any] = {
        "id": event_id or str(uuid.uuid4()).upper(),
        "type": event_type,
        "app_id": "app1234567",
        "app_user_id": user,
        "original_app_user_id": user,
        "aliases": [user] if user else [],
        "product_id": product_id,
        "entitlement_ids": ["premium"],
        "period_type": "NORMAL",
        "event_timestamp_ms": ms(at),
        "purchased_at_ms": ms(at),
        "expiration_at_ms": ms(expires_at or at + timedelta(days=30)),
        "environment": "PRODUCTION",
        "store": "APP_STORE",
        "transaction_id": "2000000123456789",
        "original_transaction_id": "2000000123456789",
        "currency": "USD",
        "price": 9.99,
        "country_code": "US",
        "subscriber_attributes": {"$email": {"value": "someone@example.com", "updated_at_ms": ms(at)}},
    }
    event.update(fields)
    return {"api_version": "1.0", "event": event}


async def subscription_of(connection: AsyncConnection, user_id: UUID) -> Any:
    return (
        await connection.execute(sa.select(subscriptions).where(subscriptions.c.user_id == user_id))
    ).one_or_none()


async def cached_plan(connection: AsyncConnection, user_id: UUID) -> str:
    plan: str = (await connection.execute(sa.select(users.c.plan).where(users.c.id == user_id))).scalar_one()
    return plan


async def stored_event(connection: AsyncConnection, event_id: str) -> Any:
    return (
        await connection.execute(sa.select(webhook_events).where(webhook_events.c.event_id == event_id))
    ).one_or_none()


async def deactivation_logs(connection: AsyncConnection, user_id: UUID) -> list[Any]:
    result = await connection.execute(
        sa.select(subscription_deactivation_logs)
        .where(subscription_deactivation_logs.c.user_id == user_id)
        .order_by(subscription_deactivation_logs.c.created_at)
    )
    return list(result)


async def subscription_notices(connection: AsyncConnection, user_id: UUID) -> list[Any]:
    result = await connection.execute(
        sa.select(notification_history)
        .where(
            notification_history.c.user_id == user_id,
            notification_history.c.notification_type == "subscription",
        )
        .order_by(notification_history.c.sent_at, notification_history.c.id)
    )
    return list(result)


async def add_goals(
    connection: AsyncConnection, user_id: UUID, count: int, *, status: str = "active", first_created: datetime
) -> list[UUID]:
    """`count` daily goals created one day apart from `first_created` (oldest first)."""
    result = await connection.execute(
        sa.insert(goals).returning(goals.c.id),
        [
            {
                "user_id": user_id,
                "title": f"Goal {index}",
                "frequency_type": "daily",
                "status": status,
                "created_at": first_created + timedelta(days=index),
            }
            for index in range(count)
        ],
    )
    return list(result.scalars())


async def goal_statuses(connection: AsyncConnection, goal_ids: list[UUID]) -> list[str]:
    rows = await connection.execute(sa.select(goals.c.id, goals.c.status).where(goals.c.id.in_(goal_ids)))
    by_id = {row.id: row.status for row in rows}
    return [by_id[goal_id] for goal_id in goal_ids]


async def make_premium(
    connection: AsyncConnection,
    user_id: UUID,
    *,
    status: str = "active",
    expires_at: datetime | None = None,
    auto_renew: bool = True,
    changed_at: datetime | None = None,
    last_event_at: datetime | None = None,
    grace_period_ends_at: datetime | None = None,
) -> UUID:
    """A premium subscriptions row (written as a webhook would have) and the users.plan cache."""
    now = datetime.now(UTC)
    sub_id: UUID = (
        await connection.execute(
            sa.insert(subscriptions)
            .values(
                user_id=user_id,
                plan="premium",
                status=status,
                platform="ios",
                product_id=IOS_MONTHLY,
                provider="revenuecat",
                purchase_date=now - timedelta(days=60),
                current_period_start=now - timedelta(days=20),
                expires_date=expires_at or now + timedelta(days=10),
                auto_renew=auto_renew,
                grace_period_ends_at=grace_period_ends_at,
                last_event_at=last_event_at,
                created_at=now - timedelta(days=60),
                updated_at=changed_at or now - timedelta(hours=1),
            )
            .returning(subscriptions.c.id)
        )
    ).scalar_one()
    await connection.execute(sa.update(users).where(users.c.id == user_id).values(plan="premium"))
    return sub_id
