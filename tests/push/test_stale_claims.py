"""A timed notice's delivery claimed more than REMINDER_STALE_AFTER_MINUTES after it was produced is
failed at claim (ticket_error Stale) and never sent; other notices still go out that late."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from db.push_deliveries import STALE
from domain.delivery_policy import TIMED_TYPES
from domain.notification_types import NotificationType
from tests.push.support import (
    PushRig,
    ShiftableClock,
    deliveries_of,
    drain,
    inbox_rows,
    one_notice,
)
from tests.support.savepoint_database import SavepointDatabase

STALE_AFTER = timedelta(minutes=60)


def _late_clock(minutes: float) -> ShiftableClock:
    clock = ShiftableClock()
    clock.advance(minutes * 60)
    return clock


def test_the_timed_categories_are_the_reminders() -> None:
    assert {
        NotificationType.AI_MOTIVATION,
        NotificationType.REMINDER,
        NotificationType.ADAPTIVE_NUDGE,
    } == TIMED_TYPES


async def test_a_reminder_claimed_within_the_bound_is_sent(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given a reminder produced now
    token, notification_id = await one_notice(database, NotificationType.REMINDER)

    # When the worker first claims it 59 minutes later (bound 60)
    reports = await drain(push.sender(database, stale_after=STALE_AFTER, clock=_late_clock(59)))

    # Then it went out and nothing was counted stale
    assert len(push.sandbox.messages(to=token)) == 1
    assert sum(report.stale for report in reports) == 0
    [delivery] = await deliveries_of(connection, [notification_id])
    assert (delivery.status, delivery.ticket_error) == ("sent", None)


@pytest.mark.parametrize("notification_type", sorted(TIMED_TYPES))
async def test_a_timed_notice_claimed_past_the_bound_is_failed_as_stale_and_not_sent(
    connection: AsyncConnection,
    database: SavepointDatabase,
    push: PushRig,
    notification_type: NotificationType,
) -> None:
    # Given a timed notice produced now
    token, notification_id = await one_notice(database, notification_type)

    # When the worker first claims it 61 minutes later (after an outage; bound 60)
    reports = await drain(push.sender(database, stale_after=STALE_AFTER, clock=_late_clock(61)))

    # Then Expo got nothing for it, the batch counted it stale (and failed)
    assert push.sandbox.messages(to=token) == []
    assert push.sandbox.project_stats()["recipients_accepted"] == 0
    assert [(report.claimed, report.stale, report.failed, report.accepted) for report in reports] == [
        (1, 1, 1, 0)
    ]
    # And the delivery says why, without an attempt; the inbox row failed with that reason
    [delivery] = await deliveries_of(connection, [notification_id])
    assert (delivery.status, delivery.ticket_error, delivery.attempts) == ("failed", STALE, 0)
    inbox = (await inbox_rows(connection, [notification_id]))[notification_id]
    assert (inbox.push_status, inbox.failure_reason, inbox.delivered_at) == ("failed", STALE, None)
    assert inbox.failed_at is not None


@pytest.mark.parametrize(
    "notification_type", [NotificationType.PARTNER_REQUEST, NotificationType.SUBSCRIPTION]
)
async def test_a_notice_that_is_not_timed_is_sent_just_as_late(
    connection: AsyncConnection,
    database: SavepointDatabase,
    push: PushRig,
    notification_type: NotificationType,
) -> None:
    # Given a partner request or a billing notice produced now
    token, notification_id = await one_notice(database, notification_type)

    # When the worker first claims it 61 minutes later
    reports = await drain(push.sender(database, stale_after=STALE_AFTER, clock=_late_clock(61)))

    # Then it still went out
    assert len(push.sandbox.messages(to=token)) == 1
    assert sum(report.stale for report in reports) == 0
    [delivery] = await deliveries_of(connection, [notification_id])
    assert (delivery.status, delivery.ticket_error) == ("sent", None)


async def test_in_one_batch_only_the_stale_timed_rows_are_held_back(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given a reminder and a partner request, both produced now
    reminder_token, reminder_id = await one_notice(database, NotificationType.REMINDER)
    request_token, request_id = await one_notice(database, NotificationType.PARTNER_REQUEST)

    # When one batch claims both 61 minutes later
    reports = await drain(push.sender(database, stale_after=STALE_AFTER, clock=_late_clock(61)))

    # Then the one request carried only the partner request
    assert [(report.claimed, report.stale, report.accepted) for report in reports] == [(2, 1, 1)]
    assert push.sandbox.messages(to=reminder_token) == []
    assert len(push.sandbox.messages(to=request_token)) == 1
    statuses = {
        row.notification_id: row.status for row in await deliveries_of(connection, [reminder_id, request_id])
    }
    assert statuses == {reminder_id: "failed", request_id: "sent"}
