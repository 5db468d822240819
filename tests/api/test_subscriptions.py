"""/subscriptions (me, features, sync, history) and /subscription-plans (§3.8, §5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import subscriptions, users
from domain.plans import FEATURE_DEFINITIONS
from tests.api.auth_support import MakeUser
from tests.support.revenuecat import (
    IOS_MONTHLY,
    add_goals,
    cached_plan,
    deactivation_logs,
    goal_statuses,
    make_premium,
    subscription_notices,
    subscription_of,
)
from tests.support.users import ApiUser

ME = "/api/v1/subscriptions/me"
FEATURES = "/api/v1/subscriptions/features"
SYNC = "/api/v1/subscriptions/sync"
HISTORY = "/api/v1/subscriptions/history"
PLANS = "/api/v1/subscription-plans/plans"


def sync_body(**fields: Any) -> dict[str, Any]:
    return {"tier": "premium", "is_active": True, "will_renew": True, **fields}


async def signed_up_at(connection: AsyncConnection, user: ApiUser) -> datetime:
    value: datetime = (
        await connection.execute(sa.select(users.c.created_at).where(users.c.id == user.id))
    ).scalar_one()
    return value


# --- /me -------------------------------------------------------------------------------------------


async def test_a_free_user_gets_a_placeholder_dated_at_signup(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    response = await client.get(ME, headers=user.headers)
    assert response.status_code == 200
    body = response.json()
    signup = (await signed_up_at(connection, user)).isoformat().replace("+00:00", "Z")
    assert body == {
        "id": None,
        "user_id": str(user.id),
        "plan": "free",
        "status": "active",
        "platform": None,
        "product_id": None,
        "purchase_date": signup,
        "expires_date": None,
        "auto_renew": False,
        "created_at": signup,
        "updated_at": signup,
    }


async def test_a_subscriber_gets_their_row(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    sub_id = await make_premium(connection, user.id, status="trial")
    body = (await client.get(ME, headers=user.headers)).json()
    assert (body["id"], body["plan"], body["status"], body["product_id"], body["platform"]) == (
        str(sub_id),
        "premium",
        "trial",
        IOS_MONTHLY,
        "ios",
    )


async def test_an_expired_row_shows_the_free_plan(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    await make_premium(connection, user.id, status="expired")
    body = (await client.get(ME, headers=user.headers)).json()
    assert (body["plan"], body["status"]) == ("free", "expired")


async def test_each_user_sees_only_their_own_subscription(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    alice, bob = await make_user(), await make_user()
    await make_premium(connection, alice.id)
    assert (await client.get(ME, headers=bob.headers)).json()["id"] is None
    assert (await client.get(FEATURES, headers=bob.headers)).json()["plan"] == "free"


# --- /features -------------------------------------------------------------------------------------


async def test_free_features(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    body = (await client.get(FEATURES, headers=user.headers)).json()
    assert (body["plan"], body["tier"]) == ("free", 0)
    features = body["features"]
    assert set(features) == {definition.key.value for definition in FEATURE_DEFINITIONS}
    assert (features["active_goal_limit"], features["multiple_reminder_times"]) == (2, 1)
    assert (features["challenge_create"], features["challenge_limit"], features["weekly_recap"]) == (
        False,
        1,
        False,
    )
    assert (features["voice_note_max_duration"], features["ads"], features["daily_checkins"]) == (
        0,
        True,
        True,
    )
    assert len(body["features_list"]) == len(FEATURE_DEFINITIONS)
    item = body["features_list"][0]
    assert set(item) == {
        "id",
        "feature_key",
        "feature_name",
        "feature_description",
        "feature_value",
        "is_enabled",
        "sort_order",
        "minimum_tier",
    }
    assert item["feature_key"] == "active_goal_limit"


async def test_premium_features(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    await make_premium(connection, user.id)
    body = (await client.get(FEATURES, headers=user.headers)).json()
    features = body["features"]
    assert (body["plan"], body["tier"]) == ("premium", 1)
    assert (features["active_goal_limit"], features["challenge_create"], features["challenge_limit"]) == (
        10,
        True,
        None,
    )
    assert (features["ai_coach_chat"], features["voice_note_max_duration"], features["ads"]) == (
        100,
        30,
        False,
    )


# --- /sync -----------------------------------------------------------------------------------------


async def test_sync_never_grants_premium(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a free user whose app claims an active premium purchase
    user = await make_user()
    response = await client.post(
        SYNC,
        json=sync_body(expires_at="2099-01-01T00:00:00Z", platform="ios", product_id=IOS_MONTHLY),
        headers=user.headers,
    )
    # Then nothing is granted: only a verified webhook can
    assert response.status_code == 200
    assert response.json()["synced"] is False
    assert response.json()["plan"] == "free"
    assert await subscription_of(connection, user.id) is None
    assert await cached_plan(connection, user.id) == "free"


async def test_sync_does_not_revive_an_expired_row(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    await make_premium(
        connection, user.id, status="expired", expires_at=datetime.now(UTC) - timedelta(days=1)
    )
    await connection.execute(sa.update(users).where(users.c.id == user.id).values(plan="free"))
    response = await client.post(SYNC, json=sync_body(), headers=user.headers)
    assert (response.json()["synced"], response.json()["plan"]) == (False, "free")
    assert (await subscription_of(connection, user.id)).status == "expired"
    assert await cached_plan(connection, user.id) == "free"


async def test_sync_reporting_inactive_after_expiry_applies_the_expiration(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a premium user with 3 goals whose paid period ended yesterday (the webhook is late)
    user = await make_user()
    await make_premium(
        connection, user.id, auto_renew=False, expires_at=datetime.now(UTC) - timedelta(days=1)
    )
    goal_ids = await add_goals(connection, user.id, 3, first_created=datetime.now(UTC) - timedelta(days=50))
    # When the app reports the purchase inactive
    response = await client.post(
        SYNC, json=sync_body(is_active=False, will_renew=False), headers=user.headers
    )
    # Then premium ends with the full expiration handling
    assert response.json() == {
        "synced": True,
        "message": "Premium has ended.",
        "plan": "free",
        "previous_plan": "premium",
        "new_plan": "free",
    }
    assert (await subscription_of(connection, user.id)).status == "expired"
    assert await cached_plan(connection, user.id) == "free"
    assert await goal_statuses(connection, goal_ids) == ["active", "active", "archived"]
    assert [log.deactivation_reason for log in await deactivation_logs(connection, user.id)] == [
        "subscription_expired"
    ]
    assert len(await subscription_notices(connection, user.id)) == 1


async def test_sync_is_ignored_right_after_the_row_changed(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    await make_premium(
        connection, user.id, expires_at=datetime.now(UTC) - timedelta(days=1), changed_at=datetime.now(UTC)
    )
    response = await client.post(SYNC, json=sync_body(is_active=False), headers=user.headers)
    assert (response.json()["synced"], response.json()["plan"]) == (False, "premium")
    assert (await subscription_of(connection, user.id)).status == "active"


@pytest.mark.parametrize(
    "row",
    [
        {"expires_at": datetime.now(UTC) + timedelta(days=3)},
        {"status": "grace_period", "grace_period_ends_at": datetime.now(UTC) + timedelta(days=5)},
    ],
)
async def test_sync_reporting_inactive_before_access_ends_changes_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, row: dict[str, Any]
) -> None:
    user = await make_user()
    await make_premium(connection, user.id, **{"expires_at": datetime.now(UTC) - timedelta(days=1), **row})
    response = await client.post(SYNC, json=sync_body(is_active=False), headers=user.headers)
    assert (response.json()["synced"], response.json()["plan"]) == (True, "premium")
    assert await cached_plan(connection, user.id) == "premium"
    assert await deactivation_logs(connection, user.id) == []


@pytest.mark.parametrize(
    "body",
    [
        {"is_active": True, "will_renew": True},
        sync_body(is_active="yes"),
        sync_body(platform="windows"),
        sync_body(expires_at="tomorrow"),
        sync_body(extra=1),
    ],
)
async def test_malformed_syncs_get_422(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, body: dict[str, Any]
) -> None:
    user = await make_user()
    await make_premium(connection, user.id, expires_at=datetime.now(UTC) - timedelta(days=1))
    response = await client.post(SYNC, json=body, headers=user.headers)
    assert response.status_code == 422
    assert (await subscription_of(connection, user.id)).status == "active"


async def test_a_sync_from_a_web_purchase_says_stripe_as_the_app_types_it(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    body = sync_body(is_active=False, platform="stripe")
    response = await client.post(SYNC, json=body, headers=user.headers)
    assert response.status_code == 200
    assert response.json()["synced"] is True


# --- /history --------------------------------------------------------------------------------------


async def test_history_without_and_with_a_subscription(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    assert (await client.get(HISTORY, headers=user.headers)).json() == {
        "has_ever_subscribed": False,
        "subscription_count": 0,
        "first_subscription_date": None,
        "last_subscription_date": None,
    }
    await make_premium(connection, user.id)
    row = (
        await connection.execute(
            sa.select(subscriptions.c.purchase_date, subscriptions.c.current_period_start).where(
                subscriptions.c.user_id == user.id
            )
        )
    ).one()
    body = (await client.get(HISTORY, headers=user.headers)).json()
    assert (body["has_ever_subscribed"], body["subscription_count"]) == (True, 1)
    assert body["first_subscription_date"] == row.purchase_date.isoformat().replace("+00:00", "Z")
    assert body["last_subscription_date"] == row.current_period_start.isoformat().replace("+00:00", "Z")


# --- /subscription-plans ---------------------------------------------------------------------------


async def test_plans_list_prices_trial_products_exit_offer_and_features(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    response = await client.get(PLANS, headers=user.headers)
    assert response.status_code == 200
    # The app reads `response.plans` (subscriptionPlans.ts), never a bare list.
    assert list(response.json()) == ["plans"]
    free, premium = response.json()["plans"]
    assert (free["id"], free["monthly_price"], free["active_goal_limit"], free["tier"]) == ("free", 0.0, 2, 0)
    assert (premium["monthly_price"], premium["annual_price"]) == (9.99, 79.99)
    assert (premium["has_trial"], premium["trial_days"], premium["is_popular"]) == (True, 3, True)
    assert (
        premium["exit_offer_enabled"],
        premium["exit_offer_monthly_price"],
        premium["exit_offer_annual_price"],
    ) == (
        True,
        4.99,
        39.99,
    )
    assert premium["product_id_ios_monthly"] == IOS_MONTHLY
    assert len(premium["features"]) == len(FEATURE_DEFINITIONS)


async def test_one_plan_by_id(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    premium = await client.get(f"{PLANS}/premium", headers=user.headers)
    assert (premium.status_code, premium.json()["id"]) == (200, "premium")
    unknown = await client.get(f"{PLANS}/platinum", headers=user.headers)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "plan_not_found")


async def test_subscription_routes_need_a_bearer_token(client: httpx.AsyncClient) -> None:
    for path in (ME, FEATURES, HISTORY, PLANS):
        assert (await client.get(path)).status_code == 401
    assert (await client.post(SYNC, json=sync_body())).status_code == 401
