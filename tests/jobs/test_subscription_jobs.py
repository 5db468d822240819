"""Billing jobs (§4): `billing.retry_webhooks` reprocesses failed events of any type;
`billing.warn_expiring` warns once, at local 10:00, 3 days before a non-renewing subscription ends;
`billing.end_referral_bonuses` ends referral-bonus premium that ran out (§3.13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.locks import try_job_lock
from db.subscriptions import grant_bonus_premium, promote_plan_cache
from db.tables import webhook_events
from db.webhook_events import record_webhook_event
from domain.referrals import REFERRAL_BONUS_PROVIDER
from services.billing.events import process_webhook_event
from services.billing.revenuecat import read_event_header
from services.transaction import Transaction
from settings import Settings
from tests.jobs.scheduling_support import add_user, job_context, notices
from tests.support.revenuecat import (
    cached_plan,
    make_premium,
    revenuecat_event,
    stored_event,
    subscription_of,
)
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.subscriptions import (
    RETRY_WEBHOOKS_JOB,
    WARN_EXPIRING_JOB,
    check_expiring_subscriptions,
    end_referral_bonuses,
    process_failed_webhook_events,
)

NOW = datetime(2025, 6, 2, 10, 5, tzinfo=UTC)


async def deliver(connection: AsyncConnection, body: dict[str, Any], *, received_at: datetime) -> None:
    """What the webhook route does with a delivery, dated `received_at`."""
    stored = await record_webhook_event(connection, read_event_header(body), body)
    assert stored is not None
    await process_webhook_event(Transaction(connection), stored, is_retry=False, now=received_at)
    await connection.execute(
        sa.update(webhook_events).where(webhook_events.c.id == stored.id).values(created_at=received_at)
    )


async def failed_event(
    connection: AsyncConnection, event_type: str, user_id: UUID, *, received_at: datetime, **fields: Any
) -> str:
    """An event that failed when it arrived (here: the user had no subscription row yet)."""
    body = revenuecat_event(event_type, user_id, at=received_at, **fields)
    await deliver(connection, body, received_at=received_at)
    assert (await stored_event(connection, body["event"]["id"])).status == "failed"
    event_id: str = body["event"]["id"]
    return event_id


# --- billing.retry_webhooks ------------------------------------------------------------------------


async def test_a_failed_event_is_applied_once_its_cause_is_gone(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a cancellation that failed because its purchase had not arrived yet
    user_id = await add_user(connection)
    cancel_at = NOW - timedelta(minutes=20)
    event_id = await failed_event(
        connection, "CANCELLATION", user_id, received_at=cancel_at, cancel_reason="UNSUBSCRIBE"
    )
    # And the earlier purchase that has arrived since
    purchase = revenuecat_event("INITIAL_PURCHASE", user_id, at=cancel_at - timedelta(minutes=5))
    await deliver(connection, purchase, received_at=NOW - timedelta(minutes=15))
    # When the retry job runs
    counts = await process_failed_webhook_events(job_context(database, settings), NOW)
    # Then the cancellation is applied and counted as a retry
    assert counts["retried"] == 1
    row = await stored_event(connection, event_id)
    assert (row.status, row.retry_count, row.error_message) == ("completed", 1, None)
    subscription = await subscription_of(connection, user_id)
    assert (subscription.auto_renew, subscription.cancel_reason) == (False, "UNSUBSCRIBE")


@pytest.mark.parametrize(
    "event_type",
    [
        "EXPIRATION",
        "BILLING_ISSUE",
        "CANCELLATION",
        "UNCANCELLATION",
        "PRODUCT_CHANGE",
        "SUBSCRIPTION_EXTENDED",
    ],
)
async def test_failed_events_of_every_type_are_retried(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings, event_type: str
) -> None:
    user_id = await add_user(connection)
    event_id = await failed_event(
        connection,
        event_type,
        user_id,
        received_at=NOW - timedelta(minutes=10),
        new_product_id="com.fitnudge.premium.annual",
    )
    await make_premium(connection, user_id)
    await process_failed_webhook_events(job_context(database, settings), NOW)
    row = await stored_event(connection, event_id)
    assert (row.status, row.retry_count) == ("completed", 1)


async def test_an_event_that_fails_again_stays_failed_with_one_more_retry(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    user_id = await add_user(connection)
    event_id = await failed_event(
        connection, "CANCELLATION", user_id, received_at=NOW - timedelta(minutes=10)
    )
    for expected_retries in (1, 2):
        await process_failed_webhook_events(
            job_context(database, settings), NOW + timedelta(minutes=expected_retries)
        )
        row = await stored_event(connection, event_id)
        assert (row.status, row.retry_count) == ("failed", expected_retries)
        assert "no subscription" in row.error_message


async def test_recent_and_exhausted_failures_are_left_alone(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    user_id = await add_user(connection)
    recent = await failed_event(connection, "CANCELLATION", user_id, received_at=NOW - timedelta(minutes=4))
    exhausted = await failed_event(connection, "RENEWAL", uuid4(), received_at=NOW - timedelta(hours=2))
    await connection.execute(
        sa.update(webhook_events).where(webhook_events.c.event_id == exhausted).values(retry_count=5)
    )
    counts = await process_failed_webhook_events(job_context(database, settings), NOW)
    assert counts["retried"] == 0
    assert (await stored_event(connection, recent)).retry_count == 0
    assert (await stored_event(connection, exhausted)).retry_count == 5


async def test_a_run_takes_the_ten_oldest_failures(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    user_id = await add_user(connection)
    event_ids = [
        await failed_event(connection, "CANCELLATION", user_id, received_at=NOW - timedelta(minutes=30 + n))
        for n in range(12)
    ]
    counts = await process_failed_webhook_events(job_context(database, settings), NOW)
    assert counts["retried"] == 10
    retries = [(await stored_event(connection, event_id)).retry_count for event_id in event_ids]
    assert retries == [0, 0] + [1] * 10  # the two newest wait for the next run


async def test_a_retry_run_finds_the_lock_taken_and_does_nothing(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings, engine: AsyncEngine
) -> None:
    user_id = await add_user(connection)
    event_id = await failed_event(
        connection, "CANCELLATION", user_id, received_at=NOW - timedelta(minutes=10)
    )
    async with engine.connect() as other, other.begin():
        assert await try_job_lock(other, RETRY_WEBHOOKS_JOB)
        counts = await process_failed_webhook_events(job_context(database, settings), NOW)
    assert counts == {"locked": 1}
    assert (await stored_event(connection, event_id)).retry_count == 0


# --- billing.warn_expiring -------------------------------------------------------------------------


async def lapsing_user(
    connection: AsyncConnection, *, timezone: str = "UTC", expires_in: timedelta, **row: Any
) -> UUID:
    user_id = await add_user(connection, timezone=timezone)
    await make_premium(
        connection, user_id, auto_renew=False, expires_at=NOW.replace(minute=0) + expires_in, **row
    )
    return user_id


async def test_the_warning_goes_out_once_three_days_before_expiry_at_local_ten(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a non-renewing subscription ending in 3 days and 6 hours, at 10:05 local
    user_id = await lapsing_user(connection, expires_in=timedelta(days=3, hours=6))
    subscription = await subscription_of(connection, user_id)
    # When the hourly job runs, twice in the hour
    first = await process_job(database, settings, NOW)
    second = await process_job(database, settings, NOW + timedelta(minutes=20))
    # Then exactly one warning was written, keyed by the subscription and its expiry date
    assert (first["warned"], second["warned"]) == (1, 0)
    (notice,) = await notices(connection, "subscription")
    assert notice.user_id == user_id
    assert notice.data["type"] == "subscription_expiry_warning"
    assert notice.data["expiresAt"] == subscription.expires_date.isoformat().replace("+00:00", "Z")
    assert notice.dedupe_key == f"subscription_expiry_warning:{subscription.id}:2025-06-05"
    assert notice.push_status == "pending"


async def test_users_outside_their_local_ten_oclock_wait_for_it(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a New York user (06:05 local at NOW) whose subscription ends in 3 days and 6 hours
    await lapsing_user(connection, timezone="America/New_York", expires_in=timedelta(days=3, hours=6))
    assert (await process_job(database, settings, NOW))["warned"] == 0
    # When it is 10:05 in New York, the expiry is 3 days 2 hours away: inside that run's window
    assert (await process_job(database, settings, NOW + timedelta(hours=4)))["warned"] == 1


@pytest.mark.parametrize(
    "row",
    [
        {"expires_in": timedelta(days=2, hours=23)},
        {"expires_in": timedelta(days=4)},
        {"expires_in": timedelta(days=3, hours=6), "auto_renew": True},
        {"expires_in": timedelta(days=3, hours=6), "status": "grace_period"},
        {"expires_in": timedelta(days=3, hours=6), "status": "expired"},
    ],
)
async def test_no_warning_outside_the_window_or_while_renewing(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings, row: dict[str, Any]
) -> None:
    user_id = await add_user(connection)
    await make_premium(
        connection,
        user_id,
        auto_renew=row.get("auto_renew", False),
        status=row.get("status", "active"),
        expires_at=NOW.replace(minute=0) + row["expires_in"],
    )
    assert (await process_job(database, settings, NOW))["warned"] == 0
    assert await notices(connection, "subscription") == []


async def test_a_trial_that_will_not_convert_is_warned(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    await lapsing_user(connection, expires_in=timedelta(days=3), status="trial")
    assert (await process_job(database, settings, NOW))["warned"] == 1


async def test_a_warning_run_finds_the_lock_taken_and_does_nothing(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings, engine: AsyncEngine
) -> None:
    await lapsing_user(connection, expires_in=timedelta(days=3, hours=6))
    async with engine.connect() as other, other.begin():
        assert await try_job_lock(other, WARN_EXPIRING_JOB)
        assert await process_job(database, settings, NOW) == {"locked": 1}
    assert await notices(connection, "subscription") == []


async def process_job(database: SavepointDatabase, settings: Settings, now: datetime) -> Any:
    return await check_expiring_subscriptions(job_context(database, settings), now)


# --- billing.end_referral_bonuses ------------------------------------------------------------------


async def bonus_user(connection: AsyncConnection, *, ends_at: datetime) -> UUID:
    """A user on referral-bonus premium until `ends_at`, granted as the billing event grants it."""
    user_id = await add_user(connection)
    await grant_bonus_premium(
        connection, user_id, provider=REFERRAL_BONUS_PROVIDER, length=ends_at - NOW, now=NOW
    )
    await promote_plan_cache(connection, [user_id], now=NOW)
    return user_id


async def test_a_referral_bonus_that_ran_out_ends_and_nothing_else_does(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a bonus that ended a minute ago, one that runs another hour, and a store subscription
    # past its expiry date whose EXPIRATION event has not arrived
    ended = await bonus_user(connection, ends_at=NOW - timedelta(minutes=1))
    running = await bonus_user(connection, ends_at=NOW + timedelta(hours=1))
    store = await add_user(connection)
    await make_premium(connection, store, auto_renew=False, expires_at=NOW - timedelta(minutes=1))
    # When the job runs
    counts = await end_referral_bonuses(job_context(database, settings), NOW)
    # Then only the bonus that ran out is expired, and its user is free again (with the teardown)
    assert counts["ended"] == 1
    assert (await subscription_of(connection, ended)).status == "expired"
    assert await cached_plan(connection, ended) == "free"
    assert [row.user_id for row in await notices(connection, "subscription")] == [ended]
    for user_id in (running, store):
        assert (await subscription_of(connection, user_id)).status == "active"
        assert await cached_plan(connection, user_id) == "premium"
    # And a second run finds nothing left to do
    assert (await end_referral_bonuses(job_context(database, settings), NOW))["ended"] == 0
