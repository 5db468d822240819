"""An ambiguous send (Expo may or may not have taken the request) follows its category's policy
(domain/delivery_policy.py): at most once by default, recorded SendUnconfirmed and never resent; at
least once for requests, invitations and billing notices, sent again (a possible second banner)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from db.push_deliveries import UNCONFIRMED_SEND, claim_due_deliveries
from domain.delivery_policy import RESEND_WHEN_AMBIGUOUS_TYPES, TIMED_TYPES
from domain.notification_types import NotificationType
from tests.push.support import (
    PushRig,
    ShiftableClock,
    deliveries_of,
    drain,
    notification_ids_sent,
    one_notice,
)
from tests.support.savepoint_database import SavepointDatabase
from workers.liveness import DEAD_AFTER
from workers.push.delivery import deliver_due_batch

_T = NotificationType


def test_the_categories_sent_at_least_once_are_requests_invitations_and_billing() -> None:
    assert {_T.PARTNER_REQUEST, _T.PARTNER_ACCEPTED, _T.CHALLENGE_INVITE, _T.SUBSCRIPTION} == (
        RESEND_WHEN_AMBIGUOUS_TYPES
    )
    assert not RESEND_WHEN_AMBIGUOUS_TYPES & TIMED_TYPES


async def test_a_partner_request_whose_send_was_ambiguous_is_sent_again(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given an Expo that accepts a batch and then answers 504, and a partner request
    push.sandbox.configure(fault_504_after_accept_rate=1.0)
    _, notification_id = await one_notice(database, _T.PARTNER_REQUEST)
    clock = ShiftableClock()
    sender = push.sender(database, clock=clock)

    # When the worker sends it
    report = await deliver_due_batch(sender)

    # Then it is back in the queue, counted apart, not recorded unconfirmed
    assert (report.resent_after_ambiguous, report.unconfirmed) == (1, 0)
    [delivery] = await deliveries_of(connection, [notification_id])
    assert delivery.status == "pending"

    # And once Expo answers again it goes out with a ticket: twice at Expo, the price of at least once
    push.sandbox.configure(fault_504_after_accept_rate=0.0)
    clock.advance(10)
    await drain(sender)
    [delivery] = await deliveries_of(connection, [notification_id])
    assert (delivery.status, delivery.ticket_error) == ("sent", None)
    assert delivery.ticket_id is not None
    assert notification_ids_sent(push.sandbox)[str(notification_id)] == 2


async def test_a_reminder_whose_send_was_ambiguous_is_not_sent_again(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given the same fault and a reminder
    push.sandbox.configure(fault_504_after_accept_rate=1.0)
    _, notification_id = await one_notice(database, _T.REMINDER)
    clock = ShiftableClock()
    sender = push.sender(database, clock=clock)

    # When the worker sends it, and runs again later
    report = await deliver_due_batch(sender)
    clock.advance(10)
    await drain(sender)

    # Then it is recorded unconfirmed and Expo saw it once
    assert (report.resent_after_ambiguous, report.unconfirmed) == (0, 1)
    [delivery] = await deliveries_of(connection, [notification_id])
    assert (delivery.status, delivery.ticket_error) == ("sent", UNCONFIRMED_SEND)
    assert notification_ids_sent(push.sandbox)[str(notification_id)] == 1


async def test_a_dead_workers_send_follows_each_categorys_policy(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given a worker that claimed a partner request and a reminder, entered the send and died
    _, request_id = await one_notice(database, _T.PARTNER_REQUEST)
    _, reminder_id = await one_notice(database, _T.REMINDER)
    clock = ShiftableClock()
    sender = push.sender(database, clock=clock)
    claim_id = uuid.uuid4()
    await claim_due_deliveries(
        connection,
        claim_id=claim_id,
        owner="killed-worker",
        now=clock(),
        lease_until=clock() + timedelta(minutes=5),
        stale_after=timedelta(hours=1),
        limit=100,
    )
    assert await sender.fence.enter_send(claim_id)

    # When it is found dead and the sweeper runs
    clock.advance(DEAD_AFTER.total_seconds() + 1)
    report = await push.sweep(database, now=clock())
    await drain(sender)

    # Then the request is sent again, the reminder recorded unconfirmed
    assert (report.released, report.resent_after_ambiguous, report.unconfirmed) == (1, 1, 1)
    [request] = await deliveries_of(connection, [request_id])
    [reminder] = await deliveries_of(connection, [reminder_id])
    assert (request.status, request.ticket_error) == ("sent", None)
    assert (reminder.status, reminder.ticket_error) == ("sent", UNCONFIRMED_SEND)
    assert notification_ids_sent(push.sandbox) == {str(request_id): 1}
