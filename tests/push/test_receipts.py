"""check_push_receipts against the sandbox: outcomes, token hygiene, loud errors, resends, expiry,
and no row lock while Expo answers."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.push_deliveries import RECEIPT_EXPIRED
from db.tables import push_deliveries
from sandbox.expo.testing import SandboxHandle
from services.transaction import EngineDatabase
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
from workers.push.receipts import ReceiptReport, check_push_receipts

DELAY = timedelta(minutes=15)
# How long the sandbox holds each answer in the tests that act while a getReceipts call is open: far
# longer than the few statements they run meanwhile.
SLOW_EXPO_MS = 3000


def after_delay() -> datetime:
    return datetime.now(UTC) + DELAY + timedelta(seconds=1)


async def run_held_at_expo(database: EngineDatabase, push: PushRig) -> asyncio.Task[ReceiptReport]:
    """A receipts run started against a slow Expo, returned once Expo holds its getReceipts request."""
    push.sandbox.configure(latency_ms=SLOW_EXPO_MS)
    run = asyncio.create_task(check_push_receipts(database, push.expo_client, delay=DELAY, now=after_delay()))
    await receipt_request_received(push.sandbox, run)
    return run


async def receipt_request_received(sandbox: SandboxHandle, run: asyncio.Task[ReceiptReport]) -> None:
    # The sandbox counts a request before it holds the answer back for the configured latency.
    for _ in range(3000):
        if sandbox.project_stats()["receipt_requests"]:
            return
        assert not run.done(), "the run ended without asking Expo for receipts"
        await asyncio.sleep(0.01)
    raise TimeoutError("no getReceipts request reached the sandbox within 30 s")


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


async def test_no_row_is_locked_while_getreceipts_waits_for_expo(
    committed_database: EngineDatabase, engine: AsyncEngine, push: PushRig
) -> None:
    # Given three tickets awaiting receipts, and an Expo that is slow to answer getReceipts
    _, _, notification_ids = await users_with_notices(committed_database, 3)
    await drain(push.sender(committed_database))

    # When a receipts run is waiting for Expo's answer
    run = await run_held_at_expo(committed_database, push)

    # Then another transaction can lock every one of its rows without waiting
    async with engine.connect() as other, other.begin():
        locked = await other.execute(
            sa.select(push_deliveries.c.id)
            .where(
                push_deliveries.c.notification_id.in_(notification_ids),
                push_deliveries.c.receipt_checked_at.is_(None),
            )
            .with_for_update(nowait=True)
        )
        assert len(locked.all()) == 3
    # And once the answer comes, the run records the three receipts
    report = await run
    assert (report.checked, report.ok) == (3, 3)


async def test_receipts_recorded_meanwhile_by_another_run_are_not_applied_twice(
    committed_database: EngineDatabase, engine: AsyncEngine, push: PushRig
) -> None:
    # Given two tickets whose receipts say DeviceNotRegistered, and a run waiting for them at Expo
    _, tokens, notification_ids = await users_with_notices(committed_database, 2, behaviour="dnr-")
    await drain(push.sender(committed_database))
    run = await run_held_at_expo(committed_database, push)

    # When an overlapping run records those receipts first
    async with engine.begin() as other:
        await other.execute(
            sa.update(push_deliveries)
            .where(push_deliveries.c.notification_id.in_(notification_ids))
            .values(receipt_status="ok", receipt_checked_at=sa.func.now())
        )

    # Then the waiting run writes nothing: the recorded outcome stays and no token is deactivated
    report = await run
    assert (report.checked, report.deactivated) == (0, 0)
    async with engine.connect() as connection:
        deliveries = await deliveries_of(connection, notification_ids)
        assert {(row.receipt_status, row.receipt_error) for row in deliveries} == {("ok", None)}
        assert all(state.is_active for state in (await token_states(connection, tokens)).values())


async def test_lost_receipts_are_given_up_in_batches_until_none_is_left(
    connection: AsyncConnection, database: SavepointDatabase, push: PushRig
) -> None:
    # Given five tickets whose receipts never appear
    _, _, notification_ids = await users_with_notices(database, 5, behaviour="noreceipt-")
    await drain(push.sender(database))

    # When receipts are checked a day later, two rows per batch
    late = datetime.now(UTC) + timedelta(hours=24, seconds=1)
    report = await check_push_receipts(database, push.expo_client, delay=DELAY, now=late, expire_batch_size=2)

    # Then the batches went on until every one of them was given up
    assert report.expired == 5
    deliveries = await deliveries_of(connection, notification_ids)
    assert {row.receipt_error for row in deliveries} == {RECEIPT_EXPIRED}
