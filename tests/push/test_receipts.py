"""check_push_receipts against the sandbox: outcomes, token hygiene, loud errors, resends, expiry."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from db.push_deliveries import RECEIPT_EXPIRED
from tests.push.support import (
    PushRig,
    ShiftableClock,
    add_devices,
    deliveries_of,
    drain,
    inbox_rows,
    insert_users,
    notify,
    token_states,
    users_with_notices,
)
from tests.support.savepoint_database import SavepointDatabase
from workers.push.receipts import check_push_receipts

DELAY = timedelta(minutes=15)


def after_delay() -> datetime:
    return datetime.now(UTC) + DELAY + timedelta(seconds=1)


async def test_receipts_wait_for_the_delay_then_record_ok_and_deactivate_device_not_registered(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given two users: one device is fine, the other's turns out dead only in its receipt
    alive, dead = await insert_users(connection, 2)
    [alive_token] = await add_devices(connection, [alive])
    [dead_token] = await add_devices(connection, [dead], behaviour="dnr-")
    notification_ids = await notify(database, [alive, dead])
    await drain(push.sender(database))

    # When receipts are checked before the delay is over
    early = await check_push_receipts(database, push.expo_client, delay=DELAY, now=datetime.now(UTC))
    # Then nothing is asked yet
    assert early.checked == 0
    assert push.sandbox.project_stats()["receipt_requests"] == 0

    # When they are checked after the delay
    report = await check_push_receipts(database, push.expo_client, delay=DELAY, now=after_delay())

    # Then the ok and the DeviceNotRegistered receipt are recorded, and the dead token is deactivated
    assert (report.checked, report.ok, report.deactivated) == (2, 1, 1)
    outcomes = {
        (row.receipt_status, row.receipt_error) for row in await deliveries_of(connection, notification_ids)
    }
    assert outcomes == {("ok", None), ("error", "DeviceNotRegistered")}
    states = await token_states(connection, [alive_token, dead_token])
    assert states[alive_token].is_active
    assert (states[dead_token].is_active, states[dead_token].deactivation_reason) == (
        False,
        "DeviceNotRegistered",
    )
    # And the dead user's next notice is kept in the inbox but not pushed
    [later] = await notify(database, [dead])
    inbox = (await inbox_rows(connection, [later]))[later]
    assert (inbox.push_status, inbox.skip_reason) == ("skipped", "no_device")
    # And a second check asks nothing again
    again = await check_push_receipts(database, push.expo_client, delay=DELAY, now=after_delay())
    assert again.checked == 0


async def test_credential_sender_and_size_errors_are_logged_loudly_and_counted(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig, caplog: pytest.LogCaptureFixture
) -> None:
    # Given deliveries whose receipts say InvalidCredentials, MismatchSenderId (also nested in a
    # ProviderError) and MessageTooBig
    user_ids = await insert_users(connection, 4)
    for user_id, behaviour in zip(user_ids, ("badcreds-", "mismatch-", "provider-", "toobig-"), strict=True):
        await add_devices(connection, [user_id], behaviour=behaviour)
    await notify(database, user_ids)
    await drain(push.sender(database))

    # When receipts are checked
    with caplog.at_level(logging.ERROR, logger="workers.push.receipts"):
        report = await check_push_receipts(database, push.expo_client, delay=DELAY, now=after_delay())

    # Then each is counted, and an error-level log names them
    assert report.alerts == {"InvalidCredentials": 1, "MismatchSenderId": 2, "MessageTooBig": 1}
    assert report.errors["ProviderError"] == 1
    logged = [record for record in caplog.records if record.name == "workers.push.receipts"]
    assert any("InvalidCredentials" in record.getMessage() for record in logged)
    assert {record.levelno for record in logged} == {logging.ERROR}


async def test_message_rate_exceeded_in_a_receipt_sends_the_push_again(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given a delivery whose receipt says the device got too many messages
    _, [token], [notification_id] = await users_with_notices(database, 1, behaviour="rate-")
    clock = ShiftableClock()
    sender = push.sender(database, clock=clock)
    await drain(sender)

    # When receipts are checked, and the worker runs once the retry is due
    checked_at = after_delay()
    report = await check_push_receipts(database, push.expo_client, delay=DELAY, now=checked_at)
    assert report.resend == 1
    clock.advance((checked_at - clock()).total_seconds() + 5)
    await drain(sender)

    # Then the push went out a second time with a fresh ticket awaiting its own receipt
    assert len(push.sandbox.messages(to=token)) == 2
    [delivery] = await deliveries_of(connection, [notification_id])
    assert (delivery.status, delivery.attempts, delivery.receipt_status) == ("sent", 2, None)


async def test_missing_receipts_are_asked_again_and_given_up_after_24_hours(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given a delivery whose receipt never appears
    _, _, [notification_id] = await users_with_notices(database, 1, behaviour="noreceipt-")
    await drain(push.sender(database))

    # When receipts are checked twice within the day
    first = await check_push_receipts(database, push.expo_client, delay=DELAY, now=after_delay())
    second = await check_push_receipts(database, push.expo_client, delay=DELAY, now=after_delay())
    # Then it is asked for each time and stays unresolved
    assert (first.missing, second.missing) == (1, 1)
    assert push.sandbox.project_stats()["receipt_ids_requested"] == 2

    # When a check runs 24 h after the send
    late = datetime.now(UTC) + timedelta(hours=24, seconds=1)
    report = await check_push_receipts(database, push.expo_client, delay=DELAY, now=late)

    # Then it is given up without asking Expo again
    assert report.expired == 1
    assert push.sandbox.project_stats()["receipt_ids_requested"] == 2
    [delivery] = await deliveries_of(connection, [notification_id])
    assert delivery.receipt_error == RECEIPT_EXPIRED
    assert delivery.receipt_checked_at is not None


async def test_receipts_are_fetched_in_requests_of_at_most_1000_ids(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given 1,200 tickets waiting for receipts
    await users_with_notices(database, 1200)
    await drain(push.sender(database))

    # When receipts are checked
    report = await check_push_receipts(database, push.expo_client, delay=DELAY, now=after_delay())

    # Then two requests (1000 + 200) covered them all
    assert report.ok == 1200
    stats = push.sandbox.project_stats()
    assert (stats["receipt_requests"], stats["receipt_ids_requested"]) == (2, 1200)
