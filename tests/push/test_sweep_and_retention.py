"""The sweeper (lost messages, dead workers) and the retention of delivery rows."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

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
from workers.batch_progress import on_each_batch
from workers.liveness import DEAD_AFTER
from workers.push.delivery import deliver_due_batch
from workers.push.retention import DELIVERY_RETENTION, PRUNE_BATCH_SIZE, prune_old_deliveries

LEASE = timedelta(minutes=5)


async def test_rows_whose_message_was_lost_get_new_messages_one_per_100(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig, settings: Settings
) -> None:
    # Given 250 due deliveries whose push.deliver message never arrived
    await users_with_notices(database, 250)

    # When the sweeper runs
    report = await push.sweep(database, now=datetime.now(UTC))

    # Then three push.deliver messages are queued
    assert (report.due, report.enqueued) == (250, 3)
    assert queue_length(push.broker, settings, "push") == 3


async def _claim_as(connection: AsyncConnection, owner: str, now: datetime) -> UUID:
    """Claim every due delivery for `owner`, as its deliver batch would; returns the claim id."""
    claim_id = uuid.uuid4()
    await claim_due_deliveries(
        connection,
        claim_id=claim_id,
        owner=owner,
        now=now,
        lease_until=now + LEASE,
        stale_after=timedelta(hours=1),
        limit=100,
    )
    return claim_id


async def test_a_dead_workers_claim_is_taken_back_once_it_stops_beating_without_waiting_for_the_lease(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given a delivery claimed by a worker process that was killed before its request left
    _, [token], [notification_id] = await users_with_notices(database, 1)
    clock = ShiftableClock()
    await push.beat("killed-worker", at=clock())
    await _claim_as(connection, "killed-worker", clock())
    sender = push.sender(database, lease=LEASE, clock=clock)

    # When the sweeper runs before its last beat is DEAD_AFTER old
    # Then it leaves the claim alone
    assert (await push.sweep(database, now=clock() + DEAD_AFTER / 2)).released == 0

    # When the beats have stopped for DEAD_AFTER (far less than the lease)
    clock.advance(DEAD_AFTER.total_seconds() + 1)
    report = await push.sweep(database, now=clock())
    await drain(sender)

    # Then the sweeper released it and re-enqueued it, and it went out exactly once
    assert DEAD_AFTER < LEASE
    assert (report.released, report.unconfirmed, report.enqueued) == (1, 0, 1)
    assert len(push.sandbox.messages(to=token)) == 1
    [delivery] = await deliveries_of(connection, [notification_id])
    assert (delivery.status, delivery.attempts) == ("sent", 2)


async def test_a_dead_workers_batch_that_entered_the_send_is_sent_unconfirmed_never_resent(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given a delivery whose worker died after entering the send (its request may have left)
    _, _, [notification_id] = await users_with_notices(database, 1)
    clock = ShiftableClock()
    sender = push.sender(database, lease=LEASE, clock=clock)
    claim_id = await _claim_as(connection, "killed-worker", clock())
    assert await sender.fence.enter_send(claim_id)

    # When it is found dead, the workers and the sweeper run
    clock.advance(DEAD_AFTER.total_seconds() + 1)
    assert (await deliver_due_batch(sender)).claimed == 0
    report = await push.sweep(database, now=clock())

    # Then it counts as sent, unconfirmed, and nothing was (re)sent
    assert (report.released, report.unconfirmed, report.enqueued) == (0, 1, 0)
    [delivery] = await deliveries_of(connection, [notification_id])
    assert (delivery.status, delivery.ticket_error) == ("sent", UNCONFIRMED_SEND)
    inbox = (await inbox_rows(connection, [notification_id]))[notification_id]
    assert (inbox.push_status, inbox.delivered_at) == ("sent", None)
    assert push.sandbox.project_stats().get("send_requests", {}).get("total", 0) == 0


class GatedPermits:
    """Permits that wait for the test to open the gate: a worker stalled before its send."""

    def __init__(self) -> None:
        self.waiting = asyncio.Event()
        self.gate = asyncio.Event()

    async def acquire(self, n: int = 1, *, max_wait: float | None = None) -> None:
        self.waiting.set()
        await self.gate.wait()

    async def settle(self, grant: None) -> None:
        pass


async def test_a_worker_stalled_past_its_lease_is_fenced_off_and_the_push_goes_out_once(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given a live worker (still beating) that claimed a delivery and then stalled before sending
    _, [token], [notification_id] = await users_with_notices(database, 1)
    clock = ShiftableClock()
    permits = GatedPermits()
    stalled = replace(push.sender(database, lease=LEASE, clock=clock, owner="stalled"), limiter=permits)
    stalled_batch = asyncio.create_task(deliver_due_batch(stalled))
    await permits.waiting.wait()

    # When its lease lapses while it still beats, the sweeper runs and another worker delivers
    clock.advance(LEASE.total_seconds() + 1)
    await push.beat("stalled", at=clock())
    report = await push.sweep(database, now=clock())
    await drain(push.sender(database, lease=LEASE, clock=clock))

    # And then the stalled worker wakes up
    permits.gate.set()
    stalled_report = await stalled_batch

    # Then the claim was taken back, the push went out once, and the stalled worker sent nothing
    assert report.released == 1
    assert stalled_report.accepted == 0
    assert len(push.sandbox.messages(to=token)) == 1
    [delivery] = await deliveries_of(connection, [notification_id])
    assert (delivery.status, delivery.attempts) == ("sent", 2)


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

    # When retention runs, watched batch by batch (as `python -m workers.run_job push.prune` does)
    batches: list[int] = []
    with on_each_batch(lambda: batches.append(len(batches) + 1)):
        deleted = await prune_old_deliveries(database, now=datetime.now(UTC))

    # Then the old finished rows are gone, over two batches, each reported; the rest stay
    assert deleted == 600 > PRUNE_BATCH_SIZE
    assert batches == [1, 2]
    assert timedelta(days=2) > DELIVERY_RETENTION
    assert await deliveries_of(connection, old) == []
    assert len(await deliveries_of(connection, [*recent, *pending])) == 6
