"""A push Expo does not take is retried for as long as its notice is worth sending: through an outage
of many minutes (backing off to 5 minutes, never sooner than a Retry-After), until the staleness bound
for a timed notice. One that runs out of its window fails as RetriesExhausted and can be re-driven."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.push_deliveries import RETRIES_EXHAUSTED
from db.tables import push_deliveries
from domain.notification_types import NotificationType
from tests.push.support import (
    PushRig,
    ShiftableClock,
    deliveries_of,
    drain,
    inbox_rows,
    notification_ids_sent,
    one_notice,
    users_with_notices,
)
from tests.support.savepoint_database import SavepointDatabase
from workers.push.delivery import BACKOFF_JITTER, MAX_BACKOFF_SECONDS, PushSender, deliver_due_batch
from workers.push.redrive import redrive

# Bounds of one jittered backoff, with a second of slack for the time the attempt itself took.
LOW, HIGH = 1 - BACKOFF_JITTER, 1 + BACKOFF_JITTER
SLACK = 1.0


async def _wait_until_due(
    connection: AsyncConnection, notification_ids: list[UUID], clock: ShiftableClock
) -> float:
    """Seconds from the sender's now until the last of these deliveries is due again."""
    due_at = await connection.scalar(
        sa.select(sa.func.max(push_deliveries.c.next_attempt_at)).where(
            push_deliveries.c.notification_id.in_(notification_ids)
        )
    )
    assert isinstance(due_at, datetime)
    return (due_at - clock()).total_seconds()


async def _attempt_until_final(
    connection: AsyncConnection, sender: PushSender, clock: ShiftableClock, notification_ids: list[UUID]
) -> list[float]:
    """Try, wait out each backoff, try again … until nothing is pending; returns the waits."""
    waits = []
    while (report := await deliver_due_batch(sender)).retried:
        waits.append(await _wait_until_due(connection, notification_ids, clock))
        clock.advance(waits[-1] + 0.1)
    assert report.claimed
    return waits


async def test_an_outage_of_many_minutes_delays_the_pushes_and_loses_none(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given Expo down (503) for an hour, and three notices
    push.sandbox.outage(3600, status=503)
    _, _, notification_ids = await users_with_notices(database, 3)
    clock = ShiftableClock()
    sender = push.sender(database, clock=clock)

    # When the worker tries, and waits out each backoff, for twelve attempts (over 15 minutes)
    waits = []
    for _ in range(12):
        assert (await deliver_due_batch(sender)).retried == 3
        waits.append(await _wait_until_due(connection, notification_ids, clock))
        clock.advance(waits[-1] + 0.1)

    # Then the backoff doubled from 2 s up to its 5-minute ceiling, and nothing failed
    assert 2 * LOW - SLACK <= waits[0] <= 2 * HIGH
    assert all(wait <= MAX_BACKOFF_SECONDS * HIGH for wait in waits)
    assert waits[-1] >= MAX_BACKOFF_SECONDS * LOW - SLACK
    assert sum(waits) > 15 * 60
    assert {row.status for row in await deliveries_of(connection, notification_ids)} == {"pending"}

    # And when Expo is back, every notice goes out exactly once
    push.sandbox.outage(0)
    await drain(sender)
    assert notification_ids_sent(push.sandbox) == {
        str(notification_id): 1 for notification_id in notification_ids
    }
    assert {row.push_status for row in (await inbox_rows(connection, notification_ids)).values()} == {"sent"}


async def test_a_retry_after_header_is_honoured(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given an outage whose answers ask to come back in two minutes
    push.sandbox.outage(3600, status=503, retry_after_s=120)
    _, _, notification_ids = await users_with_notices(database, 1)
    clock = ShiftableClock()

    # When the worker tries once
    assert (await deliver_due_batch(push.sender(database, clock=clock))).retried == 1

    # Then the next try is two minutes away, not the first backoff's 2 s
    assert 119 <= await _wait_until_due(connection, notification_ids, clock) <= 121


async def test_a_notice_past_its_retry_window_fails_as_exhausted_and_a_redrive_sends_it_once(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given Expo down, and a lasting notice with a one-minute retry window
    push.sandbox.outage(3600, status=503)
    _, _, notification_ids = await users_with_notices(database, 1)
    clock = ShiftableClock()
    sender = push.sender(database, clock=clock, retry_window=timedelta(minutes=1))

    # When the worker keeps trying
    waits = await _attempt_until_final(connection, sender, clock, notification_ids)

    # Then it stopped at the window: the delivery and the inbox row failed as RetriesExhausted
    assert sum(waits) <= 60
    [delivery] = await deliveries_of(connection, notification_ids)
    assert (delivery.status, delivery.ticket_error) == ("failed", RETRIES_EXHAUSTED)
    [inbox] = (await inbox_rows(connection, notification_ids)).values()
    assert (inbox.push_status, inbox.failure_reason) == ("failed", RETRIES_EXHAUSTED)

    # And once Expo is back, a dry run counts it and a re-drive sends it, once
    push.sandbox.outage(0)
    since = clock() - timedelta(hours=1)
    assert await redrive(database, created_since=since, now=clock(), dry_run=True) == 1
    assert await redrive(database, created_since=since, now=clock()) == 1
    [inbox] = (await inbox_rows(connection, notification_ids)).values()
    assert (inbox.push_status, inbox.failed_at) == ("pending", None)
    await drain(sender)
    assert notification_ids_sent(push.sandbox) == {str(notification_ids[0]): 1}
    [inbox] = (await inbox_rows(connection, notification_ids)).values()
    assert inbox.push_status == "sent"
    assert await redrive(database, created_since=since, now=clock()) == 0


async def test_a_timed_notice_is_retried_only_within_its_staleness_bound(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given Expo down, and a reminder (timed) with a one-minute staleness bound but a day of retry window
    push.sandbox.outage(3600, status=503)
    _, notification_id = await one_notice(database, NotificationType.REMINDER)
    clock = ShiftableClock()
    sender = push.sender(database, clock=clock, stale_after=timedelta(minutes=1))

    # When the worker keeps trying
    waits = await _attempt_until_final(connection, sender, clock, [notification_id])

    # Then it gave up within the bound, not the day
    assert sum(waits) <= 60
    [delivery] = await deliveries_of(connection, [notification_id])
    assert (delivery.status, delivery.ticket_error) == ("failed", RETRIES_EXHAUSTED)
    assert push.sandbox.project_stats()["recipients_accepted"] == 0
