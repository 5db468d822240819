"""The sweeper (lost messages, dead workers) and the retention of delivery rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.push_deliveries import UNCONFIRMED_SEND, claim_due_deliveries
from db.tables import push_deliveries
from settings import Settings
from tests.push.support import (
    PushRig,
    ShiftableClock,
    deliveries_of,
    drain,
    inbox_rows,
    queue_length,
    users_with_notices,
)
from tests.support.savepoint_database import SavepointDatabase
from workers.push.delivery import deliver_due_batch
from workers.push.retention import DELIVERY_RETENTION, PRUNE_BATCH_SIZE, prune_old_deliveries
from workers.push.sweep import sweep_stalled_deliveries

LEASE = timedelta(minutes=5)


async def test_rows_whose_message_was_lost_get_new_messages_one_per_100(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig, settings: Settings
) -> None:
    # Given 250 due deliveries whose push.deliver message never arrived
    await users_with_notices(database, 250)

    # When the sweeper runs
    sender = push.sender(database)
    report = await sweep_stalled_deliveries(database, sender.markers, now=datetime.now(UTC))

    # Then three push.deliver messages are queued
    assert (report.due, report.enqueued) == (250, 3)
    assert queue_length(push.broker, settings, "push") == 3


async def test_a_claim_abandoned_before_sending_is_delivered_once_its_lease_lapses(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given a delivery claimed by a worker that then died before its request left
    _, [token], [notification_id] = await users_with_notices(database, 1)
    now = datetime.now(UTC)
    await claim_due_deliveries(
        connection, now=now, lease_until=now + LEASE, stale_after=timedelta(hours=1), limit=100
    )
    clock = ShiftableClock()
    sender = push.sender(database, lease=LEASE, clock=clock)

    # When workers run while the lease holds
    # Then nobody touches it, and the sweeper sees nothing to do
    assert (await deliver_due_batch(sender)).claimed == 0
    assert (await sweep_stalled_deliveries(database, sender.markers, now=clock())).due == 0

    # When the lease has lapsed
    clock.advance(LEASE.total_seconds() + 1)
    report = await sweep_stalled_deliveries(database, sender.markers, now=clock())
    await drain(sender)

    # Then the sweeper released it and re-enqueued it, and it went out exactly once
    assert (report.released, report.unconfirmed, report.enqueued) == (1, 0, 1)
    assert len(push.sandbox.messages(to=token)) == 1
    [delivery] = await deliveries_of(connection, [notification_id])
    assert (delivery.status, delivery.attempts) == ("sent", 2)


async def test_a_batch_left_in_flight_by_a_dead_worker_is_sent_unconfirmed_never_resent(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given a delivery whose worker died after noting that its request was leaving
    _, _, [notification_id] = await users_with_notices(database, 1)
    clock = ShiftableClock()
    sender = push.sender(database, lease=LEASE, clock=clock)
    now = datetime.now(UTC)
    await claim_due_deliveries(
        connection, now=now, lease_until=now + LEASE, stale_after=timedelta(hours=1), limit=100
    )
    await sender.markers.mark(now)

    # When its lease lapses, the workers and the sweeper run
    clock.advance(LEASE.total_seconds() + 1)
    assert (await deliver_due_batch(sender)).claimed == 0
    report = await sweep_stalled_deliveries(database, sender.markers, now=clock())

    # Then it counts as sent, unconfirmed, and nothing was (re)sent
    assert (report.released, report.unconfirmed, report.enqueued) == (0, 1, 0)
    [delivery] = await deliveries_of(connection, [notification_id])
    assert (delivery.status, delivery.ticket_error) == ("sent", UNCONFIRMED_SEND)
    inbox = (await inbox_rows(connection, [notification_id]))[notification_id]
    assert (inbox.push_status, inbox.delivered_at) == ("sent", None)
    assert push.sandbox.project_stats().get("send_requests", {}).get("total", 0) == 0


async def test_finished_deliveries_older_than_the_receipt_window_are_pruned_in_batches(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given 600 delivered rows from two days ago, 5 recent ones and an old one still pending
    _, _, notification_ids = await users_with_notices(database, 606)
    await drain(push.sender(database))
    old, recent, pending = notification_ids[:600], notification_ids[600:605], notification_ids[605:]
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    await connection.execute(
        sa.update(push_deliveries)
        .where(push_deliveries.c.notification_id.in_([*old, *pending]))
        .values(created_at=two_days_ago)
    )
    await connection.execute(
        sa.update(push_deliveries)
        .where(push_deliveries.c.notification_id.in_(pending))
        .values(status="pending")
    )

    # When retention runs
    deleted = await prune_old_deliveries(database, now=datetime.now(UTC))

    # Then the old finished rows are gone (over more than one batch); the rest stay
    assert deleted == 600 > PRUNE_BATCH_SIZE
    assert timedelta(days=2) > DELIVERY_RETENTION
    assert await deliveries_of(connection, old) == []
    assert len(await deliveries_of(connection, [*recent, *pending])) == 6
