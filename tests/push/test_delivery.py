"""push.deliver's function against the sandbox over HTTP: batches, tickets, backoff, policy on ambiguity."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.push_deliveries import UNCONFIRMED_SEND
from db.tables import device_tokens, push_deliveries
from services.transaction import EngineDatabase
from settings import Settings
from tests.push.support import (
    PushRig,
    ShiftableClock,
    deliveries_of,
    drain,
    inbox_rows,
    insert_users,
    notification_ids_sent,
    notify,
    queue_length,
    queued_messages,
    token_states,
    users_with_notices,
)
from tests.support.savepoint_database import SavepointDatabase
from workers.push.delivery import deliver_due_batch
from workers.push.limiter import Grant, SlidingWindowLimiter


async def test_a_notice_goes_out_once_with_its_id_and_the_inbox_row_records_the_delivery(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given a user with one device and a notice for them
    _, [token], [notification_id] = await users_with_notices(database, 1)

    # When the delivery worker runs until nothing is pending
    await drain(push.sender(database))

    # Then Expo got one message carrying the notification id, the iOS-ready fields and the copy
    [message] = push.sandbox.messages(to=token)
    payload = message["message"]
    assert payload["data"]["notification_id"] == str(notification_id)
    assert (payload["title"], payload["sound"], payload["priority"]) == ("Hello", "default", "high")
    # And the delivery holds its ticket, the inbox row its delivered_at
    [delivery] = await deliveries_of(connection, [notification_id])
    assert (delivery.status, delivery.ticket_id, delivery.attempts) == ("sent", message["ticket_id"], 1)
    inbox = (await inbox_rows(connection, [notification_id]))[notification_id]
    assert inbox.push_status == "sent"
    assert inbox.delivered_at is not None


async def test_requests_never_carry_more_than_100_recipients(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given 250 users with a device each and a notice for each
    await users_with_notices(database, 250)

    # When everything is delivered
    await drain(push.sender(database))

    # Then it took 100 + 100 + 50
    stats = push.sandbox.project_stats()
    assert stats["recipients_accepted"] == 250
    assert stats["batch_size_histogram"] == {"1": 0, "2-10": 0, "11-50": 1, "51-99": 0, "100": 2}
    assert stats["send_requests"]["by_status"]["400"] == 0


async def test_device_not_registered_in_a_ticket_deactivates_the_token_and_later_notices_skip_it(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given a user whose only device Expo already knows is dead
    [user_id], [token], [first] = await users_with_notices(database, 1, behaviour="dnr-ticket-")

    # When the notice is delivered
    await drain(push.sender(database))

    # Then the token is deactivated for DeviceNotRegistered and the notice failed for that reason
    state = (await token_states(connection, [token]))[token]
    assert (state.is_active, state.deactivation_reason) == (False, "DeviceNotRegistered")
    inbox = (await inbox_rows(connection, [first]))[first]
    assert (inbox.push_status, inbox.failure_reason) == ("failed", "DeviceNotRegistered")
    assert inbox.failed_at is not None
    # And the next notice keeps its inbox row but is not pushed
    [second] = await notify(database, [user_id])
    inbox = (await inbox_rows(connection, [second]))[second]
    assert (inbox.push_status, inbox.skip_reason) == ("skipped", "no_device")


async def test_a_rejected_request_fails_its_deliveries_without_a_retry(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig, settings: Settings
) -> None:
    # Given an Expo that takes at most 10 recipients per request, and 20 deliveries
    push.sandbox.configure(max_notifications_per_request=10)
    _, _, notification_ids = await users_with_notices(database, 20)

    # When the worker sends them
    await drain(push.sender(database))

    # Then the one request was refused and everything failed at once, without a retry
    assert push.sandbox.project_stats()["send_requests"]["total"] == 1
    deliveries = await deliveries_of(connection, notification_ids)
    assert {(row.status, row.ticket_error, row.attempts) for row in deliveries} == {
        ("failed", "PUSH_TOO_MANY_NOTIFICATIONS", 1)
    }
    assert {row.push_status for row in (await inbox_rows(connection, notification_ids)).values()} == {
        "failed"
    }
    assert queue_length(push.broker, settings, "push.DQ") == 0


async def test_server_errors_back_off_through_a_delayed_message_then_recover(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig, settings: Settings
) -> None:
    # Given an Expo failing every request with a 5xx, and a batch of three deliveries
    push.sandbox.configure(fault_5xx_rate=1.0)
    _, _, notification_ids = await users_with_notices(database, 3)
    clock = ShiftableClock()
    sender = push.sender(database, clock=clock)

    # When the worker tries once
    before = clock()
    report = await deliver_due_batch(sender)
    after = clock()

    # Then the deliveries wait 2 s (±20 %) after the attempt, on the sender's clock, and one delayed
    # message wakes a worker no earlier than the last of them is due
    assert report.retried == 3
    deliveries = await deliveries_of(connection, notification_ids)
    assert {(row.status, row.attempts, row.ticket_id) for row in deliveries} == {("pending", 1, None)}
    due_at = await connection.scalar(
        sa.select(sa.func.max(push_deliveries.c.next_attempt_at)).where(
            push_deliveries.c.notification_id.in_(notification_ids)
        )
    )
    assert due_at is not None
    assert before + timedelta(seconds=1.6) <= due_at <= after + timedelta(seconds=2.4)
    [wake_up] = queued_messages(push.broker, settings, "push.DQ")
    assert wake_up.options["eta"] / 1000 >= due_at.timestamp()
    # And nothing is tried again before then
    assert (await deliver_due_batch(sender)).claimed == 0

    # When Expo recovers and the backoff has passed
    push.sandbox.configure(fault_5xx_rate=0.0)
    clock.advance(3)
    await drain(sender)

    # Then the pushes went out once, on the second attempt
    deliveries = await deliveries_of(connection, notification_ids)
    assert {(row.status, row.attempts) for row in deliveries} == {("sent", 2)}
    assert push.sandbox.project_stats()["recipients_accepted"] == 3


async def test_429s_back_off_and_every_notice_still_goes_out_once(
    committed_database: EngineDatabase, push: PushRig
) -> None:
    # Given an Expo admitting 150 recipients a second, and a sender without a limiter of its own
    push.sandbox.configure(rate_limit_per_second=150)
    _, _, notification_ids = await users_with_notices(committed_database, 400)

    # When four batches go out at once, and again whenever their backoff is over
    await drain(push.sender(committed_database), parallel=4, timeout_s=60)

    # Then Expo said 429 at least once, and still every notice went out exactly once
    stats = push.sandbox.project_stats()
    assert stats["send_requests"]["by_status"]["429"] >= 1
    assert stats["duplicate_notifications"] == 0
    assert notification_ids_sent(push.sandbox) == Counter({str(nid): 1 for nid in notification_ids})


async def test_a_504_after_acceptance_counts_as_sent_unconfirmed_and_is_never_resent(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given an Expo that accepts the batch and then times out at its gateway
    push.sandbox.configure(fault_504_after_accept_rate=1.0)
    _, _, notification_ids = await users_with_notices(database, 3)
    clock = ShiftableClock()
    sender = push.sender(database, clock=clock)

    # When the worker sends, and runs again long after every backoff would have passed
    await drain(sender)
    clock.advance(3600)
    await drain(sender)

    # Then the batch was sent exactly once and is recorded as sent but unconfirmed
    assert push.sandbox.project_stats()["send_requests"]["total"] == 1
    assert push.sandbox.project_stats()["duplicate_notifications"] == 0
    deliveries = await deliveries_of(connection, notification_ids)
    assert {(row.status, row.ticket_error, row.ticket_id) for row in deliveries} == {
        ("sent", UNCONFIRMED_SEND, None)
    }
    inbox = await inbox_rows(connection, notification_ids)
    assert {(row.push_status, row.delivered_at, row.failed_at) for row in inbox.values()} == {
        ("sent", None, None)
    }


async def test_a_message_delivered_twice_to_the_worker_sends_once(
    committed_database: EngineDatabase, push: PushRig
) -> None:
    # Given one notice waiting for delivery, and an Expo that takes a moment to answer
    push.sandbox.configure(latency_ms=200)
    _, [token], _ = await users_with_notices(committed_database, 1)
    sender = push.sender(committed_database)

    # When the same push.deliver message runs twice at once, and once more afterwards
    reports = await asyncio.gather(deliver_due_batch(sender), deliver_due_batch(sender))
    later = await deliver_due_batch(sender)

    # Then one run claimed it, the others found nothing, and Expo got it once
    assert sorted(report.claimed for report in [*reports, later]) == [0, 0, 1]
    assert len(push.sandbox.messages(to=token)) == 1


async def test_a_token_deactivated_after_the_notice_was_written_is_not_sent_to(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given a delivery row whose device was unregistered before the worker got to it
    _, [token], [notification_id] = await users_with_notices(database, 1)
    await connection.execute(
        sa.update(device_tokens).where(device_tokens.c.fcm_token == token).values(is_active=False)
    )

    # When the worker runs
    await drain(push.sender(database))

    # Then nothing was sent and the delivery failed as TokenInactive
    assert push.sandbox.project_stats().get("send_requests", {}).get("total", 0) == 0
    [delivery] = await deliveries_of(connection, [notification_id])
    assert (delivery.status, delivery.ticket_error) == ("failed", "TokenInactive")


async def test_a_token_that_moved_to_another_account_does_not_get_the_previous_owners_notice(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given a notice for user A's device, written before the device was registered by user B
    _, [token], [notification_id] = await users_with_notices(database, 1)
    [second] = await insert_users(connection, 1)
    await connection.execute(
        sa.update(device_tokens).where(device_tokens.c.fcm_token == token).values(user_id=second)
    )

    # When the worker runs
    await drain(push.sender(database))

    # Then A's notice never reached B's phone
    assert push.sandbox.messages(to=token) == []
    [delivery] = await deliveries_of(connection, [notification_id])
    assert (delivery.status, delivery.ticket_error) == ("failed", "TokenInactive")


class RecordedPermits:
    """A limiter that keeps every grant it made and every grant it was asked to settle."""

    def __init__(self, inner: SlidingWindowLimiter) -> None:
        self.inner = inner
        self.granted: list[Grant] = []
        self.settled: list[Grant] = []

    async def acquire(self, n: int = 1, *, max_wait: float | None = None) -> Grant:
        grant = await self.inner.acquire(n, max_wait=max_wait)
        self.granted.append(grant)
        return grant

    async def settle(self, grant: Grant) -> None:
        self.settled.append(grant)
        await self.inner.settle(grant)


@pytest.mark.parametrize("expo_down", [False, True])
async def test_a_batch_settles_its_permits_once_expo_answered_whatever_the_answer(
    database: SavepointDatabase, push: PushRig, expo_down: bool
) -> None:
    # Given a notice, and an Expo that takes it or is down (503)
    await users_with_notices(database, 1)
    if expo_down:
        push.sandbox.outage(30)
    permits = RecordedPermits(SlidingWindowLimiter(push.redis, "unlimited", budget_per_second=0))

    # When its batch goes out
    report = await deliver_due_batch(replace(push.sender(database), limiter=permits))

    # Then the permits it was granted were settled after the answer (workers/push/limiter.py settle)
    assert (report.accepted, report.retried) == ((0, 1) if expo_down else (1, 0))
    assert permits.settled == permits.granted
    assert len(permits.granted) == 1
