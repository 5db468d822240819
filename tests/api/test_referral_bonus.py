"""The referral bonus (docs/domain.md §3.13): a referred user's first purchase, arriving by the
RevenueCat webhook, gives the referrer 7 days of premium, once per referred user."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection

from api.app import create_app
from api.clock import FixedClock
from db.tables import subscriptions, users
from settings import Settings
from tests.api.auth_support import MakeUser
from tests.support.revenuecat import cached_plan, make_premium, revenuecat_event, subscription_of
from tests.support.savepoint_database import SavepointDatabase

URL = "/api/v1/webhooks/revenuecat"
NOW = datetime.now(UTC).replace(microsecond=0)
WEEK = timedelta(days=7)

Send = Callable[[dict[str, Any]], Awaitable[httpx.Response]]


@pytest.fixture
def send(client: httpx.AsyncClient, settings: Settings) -> Send:
    async def post(body: dict[str, Any]) -> httpx.Response:
        response = await client.post(
            URL, json=body, headers={"Authorization": settings.revenuecat_webhook_secret}
        )
        assert response.json() == {"status": "ok"}, response.text
        return response

    return post


@pytest.fixture
def app(settings: Settings, database: SavepointDatabase) -> Litestar:
    return create_app(settings, database=database, clock=FixedClock(NOW))


async def bonus_granted_at(connection: AsyncConnection, user_id: Any) -> datetime | None:
    statement = sa.select(users.c.referral_bonus_granted_at).where(users.c.id == user_id)
    value: datetime | None = (await connection.execute(statement)).scalar_one()
    return value


async def test_a_referred_users_first_purchase_gives_the_referrer_a_week_of_premium(
    send: Send, client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a free referrer and the user they referred
    referrer = await make_user()
    referred = await make_user(referred_by_user_id=referrer.id)
    # When the referred user's first purchase arrives
    await send(revenuecat_event("INITIAL_PURCHASE", referred.id, at=NOW - timedelta(minutes=1)))
    # Then the referrer is premium for 7 days through a non-renewing bonus row
    row = await subscription_of(connection, referrer.id)
    assert (row.plan, row.status, row.provider, row.auto_renew) == ("premium", "active", "referral", False)
    assert row.expires_date == NOW + WEEK
    assert await cached_plan(connection, referrer.id) == "premium"
    # And the referral shows the bonus in the referrer's list
    listed = await client.get("/api/v1/users/me/referrals", headers=referrer.headers)
    assert datetime.fromisoformat(listed.json()[0]["referral_bonus_granted_at"]) == NOW


async def test_later_purchases_of_the_same_referred_user_credit_nothing_more(
    send: Send, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a referred user whose first purchase credited the referrer
    referrer = await make_user()
    referred = await make_user(referred_by_user_id=referrer.id)
    await send(revenuecat_event("INITIAL_PURCHASE", referred.id, at=NOW - timedelta(minutes=3)))
    # When a renewal and a second (non-renewing) purchase arrive
    await send(revenuecat_event("RENEWAL", referred.id, at=NOW - timedelta(minutes=2)))
    await send(
        revenuecat_event(
            "NON_RENEWING_PURCHASE",
            referred.id,
            at=NOW - timedelta(minutes=1),
            product_id="com.fitnudge.premium.annual",
        )
    )
    # Then the referrer still has exactly one week
    assert (await subscription_of(connection, referrer.id)).expires_date == NOW + WEEK


async def test_two_referred_users_paying_give_two_weeks_end_to_end(
    send: Send, connection: AsyncConnection, make_user: MakeUser
) -> None:
    referrer = await make_user()
    first = await make_user(referred_by_user_id=referrer.id)
    second = await make_user(referred_by_user_id=referrer.id)
    await send(revenuecat_event("INITIAL_PURCHASE", first.id, at=NOW - timedelta(minutes=2)))
    await send(revenuecat_event("NON_RENEWING_PURCHASE", second.id, at=NOW - timedelta(minutes=1)))
    row = await subscription_of(connection, referrer.id)
    assert row.expires_date == NOW + 2 * WEEK
    assert row.current_period_start == NOW


async def test_a_referrer_with_a_store_subscription_keeps_it_unchanged(
    send: Send, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a referrer who pays through the store, and the user they referred
    referrer = await make_user()
    await make_premium(connection, referrer.id, expires_at=NOW + timedelta(days=10))
    before = await subscription_of(connection, referrer.id)
    referred = await make_user(referred_by_user_id=referrer.id)
    # When the referred user first pays
    await send(revenuecat_event("INITIAL_PURCHASE", referred.id, at=NOW - timedelta(minutes=1)))
    # Then the store's row is left as it is (its next event would overwrite local days), and the
    # bonus counts as given
    assert await subscription_of(connection, referrer.id) == before
    assert await bonus_granted_at(connection, referred.id) == NOW


async def test_a_referrer_whose_store_subscription_expired_gets_the_week(
    send: Send, connection: AsyncConnection, make_user: MakeUser
) -> None:
    referrer = await make_user()
    await make_premium(connection, referrer.id, status="expired", expires_at=NOW - timedelta(days=3))
    await connection.execute(sa.update(users).where(users.c.id == referrer.id).values(plan="free"))
    referred = await make_user(referred_by_user_id=referrer.id)
    await send(revenuecat_event("INITIAL_PURCHASE", referred.id, at=NOW - timedelta(minutes=1)))
    row = await subscription_of(connection, referrer.id)
    assert (row.status, row.provider, row.expires_date) == ("active", "referral", NOW + WEEK)
    assert await cached_plan(connection, referrer.id) == "premium"


async def test_a_purchase_by_a_user_nobody_referred_credits_no_one(
    send: Send, connection: AsyncConnection, make_user: MakeUser
) -> None:
    bystander = await make_user()
    buyer = await make_user()
    await send(revenuecat_event("INITIAL_PURCHASE", buyer.id, at=NOW - timedelta(minutes=1)))
    assert await bonus_granted_at(connection, buyer.id) is None
    count = await connection.scalar(sa.select(sa.func.count()).where(subscriptions.c.user_id == bystander.id))
    assert count == 0
