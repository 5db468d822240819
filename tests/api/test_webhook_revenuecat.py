"""POST /webhooks/revenuecat (§3.8): shared-secret auth, idempotency by event id, event-time order,
failures stored for the retry job, and the effect of every event type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import subscriptions, webhook_events
from settings import Settings
from tests.api.auth_support import MakeUser
from tests.support.revenuecat import (
    ANDROID_MONTHLY,
    IOS_ANNUAL,
    NOT_PREMIUM,
    add_goals,
    cached_plan,
    deactivation_logs,
    goal_statuses,
    revenuecat_event,
    stored_event,
    subscription_notices,
    subscription_of,
)
from tests.support.users import ApiUser

URL = "/api/v1/webhooks/revenuecat"
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


@pytest.fixture
def send(
    client: httpx.AsyncClient, settings: Settings
) -> Callable[[dict[str, Any]], Awaitable[httpx.Response]]:
    async def post(body: dict[str, Any]) -> httpx.Response:
        return await client.post(
            URL, json=body, headers={"Authorization": settings.revenuecat_webhook_secret}
        )

    return post


Send = Callable[[dict[str, Any]], Awaitable[httpx.Response]]


async def purchased(send: Send, make_user: MakeUser) -> ApiUser:
    """A user whose first purchase, at T0, has been received."""
    user = await make_user()
    await send(revenuecat_event("INITIAL_PURCHASE", user.id, at=T0))
    return user


async def event_count(connection: AsyncConnection) -> int:
    return int(
        (await connection.execute(sa.select(sa.func.count()).select_from(webhook_events))).scalar_one()
    )


# --- Auth and input --------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "", "wrong-secret", "Bearer wrong"])
async def test_a_bad_secret_gets_401_and_nothing_is_stored(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, authorization: str | None
) -> None:
    user = await make_user()
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.post(
        URL, json=revenuecat_event("INITIAL_PURCHASE", user.id, at=T0), headers=headers
    )
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert await event_count(connection) == 0
    assert await cached_plan(connection, user.id) == "free"


async def test_a_user_bearer_token_is_not_the_webhook_secret(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    response = await client.post(
        URL, json=revenuecat_event("INITIAL_PURCHASE", user.id, at=T0), headers=user.headers
    )
    assert response.status_code == 401
    assert await cached_plan(connection, user.id) == "free"


@pytest.mark.parametrize(
    "body",
    [
        {"api_version": "1.0"},
        {"event": {"type": "RENEWAL"}},
        {"event": {"id": "", "type": "RENEWAL"}},
        {"event": {"id": 42, "type": "RENEWAL"}},
        {"event": "INITIAL_PURCHASE"},
        ["not", "an", "object"],
    ],
)
async def test_a_body_without_an_event_id_and_type_gets_422(
    send: Send, connection: AsyncConnection, body: Any
) -> None:
    response = await send(body)
    assert response.status_code == 422
    assert set(response.json()) >= {"detail", "code"}
    assert await event_count(connection) == 0


async def test_an_event_that_cannot_be_processed_is_stored_failed_and_answers_200(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given an event for a user this server does not know, and one lacking its timestamp
    unknown_user = revenuecat_event("INITIAL_PURCHASE", uuid4(), at=T0)
    no_timestamp = revenuecat_event("RENEWAL", (await make_user()).id, at=T0)
    del no_timestamp["event"]["event_timestamp_ms"]
    for body in (unknown_user, no_timestamp):
        # When RevenueCat delivers it
        response = await send(body)
        # Then it is acknowledged and kept as failed, with the reason, for the retry job
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        row = await stored_event(connection, body["event"]["id"])
        assert row.status == "failed"
        assert row.error_message
        assert row.retry_count == 0
        assert row.payload == body


# --- Idempotency and order -------------------------------------------------------------------------


async def test_a_replayed_event_is_a_duplicate_and_changes_nothing(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a processed purchase
    user = await make_user()
    body = revenuecat_event("INITIAL_PURCHASE", user.id, at=T0)
    assert (await send(body)).json() == {"status": "ok"}
    before = await subscription_of(connection, user.id)
    # When RevenueCat delivers it again, even with other contents
    replay = revenuecat_event("EXPIRATION", user.id, at=T0 + timedelta(hours=1), event_id=body["event"]["id"])
    response = await send(replay)
    # Then the answer is "duplicate" and neither the event nor the subscription changed
    assert (response.status_code, response.json()) == (200, {"status": "duplicate"})
    assert await subscription_of(connection, user.id) == before
    assert await event_count(connection) == 1
    assert (await stored_event(connection, body["event"]["id"])).event_type == "INITIAL_PURCHASE"


async def test_an_event_older_than_the_last_applied_one_changes_nothing(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a subscription that expired at T0 + 2 h
    user = await purchased(send, make_user)
    expiration = revenuecat_event("EXPIRATION", user.id, at=T0 + timedelta(hours=2))
    await send(expiration)
    before = await subscription_of(connection, user.id)
    # When a renewal from T0 + 1 h arrives late
    late = revenuecat_event("RENEWAL", user.id, at=T0 + timedelta(hours=1))
    response = await send(late)
    # Then it is acknowledged and completed, and the subscription stays expired
    assert response.json() == {"status": "ok"}
    assert (await stored_event(connection, late["event"]["id"])).status == "completed"
    after = await subscription_of(connection, user.id)
    assert after == before
    assert (after.status, after.last_event_id) == ("expired", expiration["event"]["id"])
    assert await cached_plan(connection, user.id) == "free"


async def test_event_types_without_an_effect_are_completed(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    body = revenuecat_event("TEST", user.id, at=T0)
    assert (await send(body)).json() == {"status": "ok"}
    assert (await stored_event(connection, body["event"]["id"])).status == "completed"
    assert await subscription_of(connection, user.id) is None


# --- Each event type -------------------------------------------------------------------------------


async def test_initial_purchase_grants_premium(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    body = revenuecat_event("INITIAL_PURCHASE", user.id, at=T0, expires_at=T0 + timedelta(days=30))
    response = await send(body)
    assert response.json() == {"status": "ok"}
    row = await subscription_of(connection, user.id)
    assert (row.plan, row.status, row.auto_renew, row.platform, row.environment) == (
        "premium",
        "active",
        True,
        "ios",
        "PRODUCTION",
    )
    assert (row.purchase_date, row.expires_date, row.trial_end) == (T0, T0 + timedelta(days=30), None)
    assert (row.last_event_id, row.last_event_at) == (body["event"]["id"], T0)
    assert row.original_transaction_id == "2000000123456789"
    assert await cached_plan(connection, user.id) == "premium"
    assert (await stored_event(connection, body["event"]["id"])).status == "completed"


async def test_a_trial_purchase_is_status_trial(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    ends = T0 + timedelta(days=3)
    await send(
        revenuecat_event(
            "INITIAL_PURCHASE", user.id, at=T0, product_id=IOS_ANNUAL, period_type="TRIAL", expires_at=ends
        )
    )
    row = await subscription_of(connection, user.id)
    assert (row.status, row.trial_end, row.product_id) == ("trial", ends, IOS_ANNUAL)
    assert await cached_plan(connection, user.id) == "premium"


async def test_a_play_store_product_with_a_base_plan_is_premium(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    await send(
        revenuecat_event(
            "INITIAL_PURCHASE", user.id, at=T0, product_id=f"{ANDROID_MONTHLY}:monthly", store="PLAY_STORE"
        )
    )
    row = await subscription_of(connection, user.id)
    assert (row.platform, row.product_id) == ("android", f"{ANDROID_MONTHLY}:monthly")
    assert await cached_plan(connection, user.id) == "premium"


async def test_a_purchase_of_a_product_that_is_not_premium_grants_nothing(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    body = revenuecat_event("INITIAL_PURCHASE", user.id, at=T0, product_id=NOT_PREMIUM)
    assert (await send(body)).json() == {"status": "ok"}
    assert await subscription_of(connection, user.id) is None
    assert await cached_plan(connection, user.id) == "free"


async def test_the_user_is_found_through_an_alias_when_app_user_id_is_anonymous(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    body = revenuecat_event("INITIAL_PURCHASE", "$RCAnonymousID:87c6049c58069238", at=T0)
    body["event"]["aliases"] = ["$RCAnonymousID:87c6049c58069238", str(user.id)]
    await send(body)
    assert await cached_plan(connection, user.id) == "premium"


async def test_renewal_extends_and_clears_grace_and_cancellation(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a cancelled subscription that ran into a billing issue
    user = await purchased(send, make_user)
    await send(
        revenuecat_event("CANCELLATION", user.id, at=T0 + timedelta(hours=1), cancel_reason="UNSUBSCRIBE")
    )
    await send(revenuecat_event("BILLING_ISSUE", user.id, at=T0 + timedelta(hours=2)))
    # When it renews
    new_expiry = T0 + timedelta(days=60)
    renewed_at = T0 + timedelta(hours=3)
    await send(revenuecat_event("RENEWAL", user.id, at=renewed_at, expires_at=new_expiry))
    # Then it is active to the new date, auto-renewing, and the first purchase date is kept
    row = await subscription_of(connection, user.id)
    assert (row.status, row.expires_date, row.auto_renew) == ("active", new_expiry, True)
    assert (row.grace_period_ends_at, row.cancelled_at, row.cancel_reason) == (None, None, None)
    assert (row.purchase_date, row.current_period_start) == (T0, renewed_at)
    assert await cached_plan(connection, user.id) == "premium"


async def test_cancellation_keeps_access_until_expiry(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await purchased(send, make_user)
    cancelled_at = T0 + timedelta(hours=1)
    await send(revenuecat_event("CANCELLATION", user.id, at=cancelled_at, cancel_reason="UNSUBSCRIBE"))
    row = await subscription_of(connection, user.id)
    assert (row.status, row.plan, row.auto_renew) == ("active", "premium", False)
    assert (row.cancelled_at, row.cancel_reason) == (cancelled_at, "UNSUBSCRIBE")
    assert await cached_plan(connection, user.id) == "premium"


async def test_uncancellation_turns_auto_renew_back_on(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await purchased(send, make_user)
    await send(
        revenuecat_event("CANCELLATION", user.id, at=T0 + timedelta(hours=1), cancel_reason="UNSUBSCRIBE")
    )
    await send(revenuecat_event("UNCANCELLATION", user.id, at=T0 + timedelta(hours=2)))
    row = await subscription_of(connection, user.id)
    assert (row.auto_renew, row.cancelled_at, row.cancel_reason, row.status) == (True, None, None, "active")


async def test_expiration_ends_premium_and_tears_down(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a premium user with 4 active goals
    user = await purchased(send, make_user)
    goal_ids = await add_goals(connection, user.id, 4, first_created=T0 - timedelta(days=10))
    # When the subscription expires
    body = revenuecat_event(
        "EXPIRATION", user.id, at=T0 + timedelta(days=30), expiration_reason="UNSUBSCRIBE"
    )
    await send(body)
    # Then the row is expired, the user free, the 2 newest goals archived, logged and announced
    row = await subscription_of(connection, user.id)
    assert (row.status, row.auto_renew) == ("expired", False)
    assert await cached_plan(connection, user.id) == "free"
    assert await goal_statuses(connection, goal_ids) == ["active", "active", "archived", "archived"]
    (log,) = await deactivation_logs(connection, user.id)
    assert (log.deactivation_reason, log.previous_plan, log.new_plan, log.goals_deactivated) == (
        "subscription_expired",
        "premium",
        "free",
        2,
    )
    assert log.webhook_event_id == body["event"]["id"]
    (notice,) = await subscription_notices(connection, user.id)
    assert notice.data["type"] == "subscription_expired"
    assert "archived 2 goals" in notice.body


async def test_billing_issue_starts_a_grace_period_and_asks_for_payment(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user(timezone="America/Los_Angeles")
    await send(revenuecat_event("INITIAL_PURCHASE", user.id, at=T0))
    grace_ends = T0 + timedelta(days=16)
    await send(
        revenuecat_event(
            "BILLING_ISSUE",
            user.id,
            at=T0 + timedelta(days=1),
            grace_period_expiration_at_ms=int(grace_ends.timestamp() * 1000),
        )
    )
    row = await subscription_of(connection, user.id)
    assert (row.status, row.grace_period_ends_at) == ("grace_period", grace_ends)
    assert await cached_plan(connection, user.id) == "premium"  # grace keeps access
    (notice,) = await subscription_notices(connection, user.id)
    assert notice.data["type"] == "billing_issue"
    assert notice.data["graceEndsAt"] == grace_ends.isoformat().replace("+00:00", "Z")


async def test_billing_issue_without_a_grace_date_uses_the_expiry(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await purchased(send, make_user)
    expires = T0 + timedelta(days=30)
    await send(revenuecat_event("BILLING_ISSUE", user.id, at=T0 + timedelta(days=1), expires_at=expires))
    assert (await subscription_of(connection, user.id)).grace_period_ends_at == expires


async def test_product_change_to_another_premium_product_is_recorded(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await purchased(send, make_user)
    await send(
        revenuecat_event("PRODUCT_CHANGE", user.id, at=T0 + timedelta(hours=1), new_product_id=IOS_ANNUAL)
    )
    row = await subscription_of(connection, user.id)
    assert (row.product_id, row.status) == (IOS_ANNUAL, "active")
    assert await cached_plan(connection, user.id) == "premium"


async def test_product_change_away_from_premium_ends_it_with_reason_manual(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await purchased(send, make_user)
    await send(
        revenuecat_event("PRODUCT_CHANGE", user.id, at=T0 + timedelta(hours=1), new_product_id=NOT_PREMIUM)
    )
    row = await subscription_of(connection, user.id)
    assert (row.product_id, row.status, row.auto_renew) == (NOT_PREMIUM, "expired", False)
    assert await cached_plan(connection, user.id) == "free"
    (log,) = await deactivation_logs(connection, user.id)
    assert log.deactivation_reason == "manual"


async def test_transfer_moves_premium_to_the_new_owner(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given A's premium subscription and 3 goals
    alice, bob = await make_user(), await make_user()
    expires = T0 + timedelta(days=30)
    await send(revenuecat_event("INITIAL_PURCHASE", alice.id, at=T0, expires_at=expires))
    goal_ids = await add_goals(connection, alice.id, 3, first_created=T0 - timedelta(days=5))
    # When the purchase is restored on B's account
    body = revenuecat_event(
        "TRANSFER",
        None,
        at=T0 + timedelta(days=1),
        transferred_from=[str(alice.id)],
        transferred_to=[str(bob.id)],
    )
    for field in ("product_id", "expiration_at_ms", "purchased_at_ms"):
        del body["event"][field]
    assert (await send(body)).json() == {"status": "ok"}
    # Then A is expired and torn down (reason transfer), B is active premium to the same date
    old = await subscription_of(connection, alice.id)
    assert (old.status, old.auto_renew) == ("expired", False)
    assert await cached_plan(connection, alice.id) == "free"
    assert await goal_statuses(connection, goal_ids) == ["active", "active", "archived"]
    assert [log.deactivation_reason for log in await deactivation_logs(connection, alice.id)] == ["transfer"]
    new = await subscription_of(connection, bob.id)
    assert (new.plan, new.status, new.product_id, new.expires_date) == (
        "premium",
        "active",
        old.product_id,
        expires,
    )
    assert await cached_plan(connection, bob.id) == "premium"


async def test_non_renewing_purchase_is_premium_until_its_expiry(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    ends = T0 + timedelta(days=7)
    await send(revenuecat_event("NON_RENEWING_PURCHASE", user.id, at=T0, expires_at=ends))
    row = await subscription_of(connection, user.id)
    assert (row.status, row.auto_renew, row.expires_date) == ("active", False, ends)
    assert await cached_plan(connection, user.id) == "premium"


async def test_subscription_extended_moves_the_expiry(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await purchased(send, make_user)
    extended = T0 + timedelta(days=45)
    await send(
        revenuecat_event("SUBSCRIPTION_EXTENDED", user.id, at=T0 + timedelta(hours=1), expires_at=extended)
    )
    row = await subscription_of(connection, user.id)
    assert (row.expires_date, row.status) == (extended, "active")


async def test_a_change_to_a_missing_subscription_fails_and_changes_nothing(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    body = revenuecat_event("CANCELLATION", user.id, at=T0)
    assert (await send(body)).json() == {"status": "ok"}
    stored = await stored_event(connection, body["event"]["id"])
    assert stored.status == "failed"
    assert "no subscription" in stored.error_message
    count = await connection.execute(
        sa.select(sa.func.count()).select_from(subscriptions).where(subscriptions.c.user_id == user.id)
    )
    assert count.scalar_one() == 0


async def test_a_user_who_renews_after_expiry_is_premium_again_without_a_new_teardown(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await purchased(send, make_user)
    await send(revenuecat_event("EXPIRATION", user.id, at=T0 + timedelta(days=30)))
    await send(revenuecat_event("RENEWAL", user.id, at=T0 + timedelta(days=31)))
    assert await cached_plan(connection, user.id) == "premium"
    assert len(await deactivation_logs(connection, user.id)) == 1


async def test_each_user_only_sees_their_own_subscription_change(
    send: Send, make_user: MakeUser, connection: AsyncConnection
) -> None:
    alice, bob = await make_user(), await make_user()
    await send(revenuecat_event("INITIAL_PURCHASE", alice.id, at=T0))
    assert await subscription_of(connection, bob.id) is None
    assert await cached_plan(connection, bob.id) == "free"
