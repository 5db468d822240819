"""workers.push.expo_client against the Expo sandbox over HTTP: limits, gzip, auth and failure sorting."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import httpx
import pytest

from sandbox.expo.testing import SandboxHandle
from tests.push.support import expo_token
from workers.push.expo_client import (
    ExpoPushClient,
    ExpoRejectedError,
    ExpoRetryableError,
    ExpoUnconfirmedError,
    is_expo_push_token,
)


def messages(count: int, behaviour: str = "", **extra: object) -> list[dict[str, Any]]:
    return [
        {
            "to": expo_token(behaviour),
            "title": "t",
            "body": "b",
            "data": {"notification_id": str(uuid.uuid4())},
            **extra,
        }
        for _ in range(count)
    ]


def test_both_token_spellings_are_accepted_and_other_strings_are_not() -> None:
    assert is_expo_push_token("ExponentPushToken[abc]")
    assert is_expo_push_token("ExpoPushToken[abc]")
    assert not is_expo_push_token("ExpoPushToken[]")
    assert not is_expo_push_token("fcm:abc")


async def test_tickets_come_back_in_message_order_for_either_token_spelling(
    expo_client: ExpoPushClient, sandbox: SandboxHandle
) -> None:
    # Given three messages, the second to an ExpoPushToken and the third to a dead-on-ticket token
    batch = [
        *messages(1),
        {"to": f"ExpoPushToken[{uuid.uuid4().hex}]", "title": "t"},
        *messages(1, "dnr-ticket-"),
    ]

    # When they are sent in one request
    tickets = await expo_client.send(batch)

    # Then the tickets line up with the messages
    assert [ticket.status for ticket in tickets] == ["ok", "ok", "error"]
    assert tickets[2].details["error"] == "DeviceNotRegistered"
    assert sandbox.project_stats()["send_requests"]["total"] == 1


async def test_more_than_100_messages_never_leave_the_client(
    expo_client: ExpoPushClient, sandbox: SandboxHandle
) -> None:
    with pytest.raises(ValueError, match=r"1\.\.100"):
        await expo_client.send(messages(101))
    assert sandbox.project_stats().get("send_requests", {}).get("total", 0) == 0


async def test_bodies_over_1_kib_are_gzipped_and_small_ones_are_not(
    expo_client: ExpoPushClient, sandbox: SandboxHandle
) -> None:
    await expo_client.send(messages(1))
    await expo_client.send(messages(50))
    assert sandbox.project_stats()["gzip_requests"] == 1


async def test_the_access_token_travels_as_a_bearer_header(sandbox: SandboxHandle) -> None:
    # Given a sandbox that demands an access token
    sandbox.configure(require_access_token="secret-token")
    with_token = ExpoPushClient(sandbox.base_url, access_token="secret-token")
    without_token = ExpoPushClient(sandbox.base_url)
    try:
        # Then a client with the token is served and one without is rejected for good
        assert (await with_token.send(messages(1)))[0].status == "ok"
        with pytest.raises(ExpoRejectedError) as rejected:
            await without_token.send(messages(1))
        assert rejected.value.code == "UNAUTHORIZED"
    finally:
        await with_token.aclose()
        await without_token.aclose()


async def test_429_and_5xx_and_resets_are_retryable(
    expo_client: ExpoPushClient, sandbox: SandboxHandle
) -> None:
    sandbox.configure(rate_limit_per_second=50)
    with pytest.raises(ExpoRetryableError) as limited:
        await expo_client.send(messages(60))
    assert limited.value.code == "TOO_MANY_REQUESTS"

    sandbox.configure(rate_limit_per_second=0, fault_5xx_rate=1.0)
    with pytest.raises(ExpoRetryableError):
        await expo_client.send(messages(1))

    assert sandbox.project_stats()["recipients_accepted"] == 0


async def test_a_connection_reset_after_sending_is_unconfirmed_whether_or_not_expo_processed_it(
    expo_client: ExpoPushClient, sandbox: SandboxHandle
) -> None:
    # Given a sandbox that resets the connection after accepting the batch
    sandbox.configure(fault_reset_after_accept_rate=1.0)
    with pytest.raises(ExpoUnconfirmedError) as after:
        await expo_client.send(messages(1))
    assert after.value.code in {"ReadError", "RemoteProtocolError"}
    # Then the batch was in fact accepted: a retry would have doubled it
    assert sandbox.project_stats()["recipients_accepted"] == 1

    # And a reset before processing looks the same to the client, so it is treated the same
    sandbox.configure(fault_reset_after_accept_rate=0.0, fault_reset_rate=1.0)
    with pytest.raises(ExpoUnconfirmedError) as before:
        await expo_client.send(messages(1))
    assert before.value.code == after.value.code
    assert sandbox.project_stats()["recipients_accepted"] == 1


async def test_a_refused_connection_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = ExpoPushClient(f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(ExpoRetryableError) as refused:
            await client.send(messages(1))
        assert refused.value.code == "ConnectError"
    finally:
        await client.aclose()


async def test_a_504_after_acceptance_and_a_read_timeout_are_unconfirmed(sandbox: SandboxHandle) -> None:
    # Given a sandbox that accepts and then answers 504
    sandbox.configure(fault_504_after_accept_rate=1.0)
    client = ExpoPushClient(sandbox.base_url, timeout=httpx.Timeout(5.0, read=0.3))
    try:
        with pytest.raises(ExpoUnconfirmedError) as gateway:
            await client.send(messages(1))
        assert gateway.value.code == "HTTP_504"

        # And one that accepts and answers after the client stopped waiting
        sandbox.configure(fault_504_after_accept_rate=0.0, latency_ms=800)
        with pytest.raises(ExpoUnconfirmedError) as late:
            await client.send(messages(1))
        assert late.value.code == "ReadTimeout"
    finally:
        await client.aclose()
    # Then both batches were in fact accepted: resending them would have doubled them
    assert sandbox.project_stats()["recipients_accepted"] == 2


async def test_an_invalid_request_is_rejected_not_retried(
    expo_client: ExpoPushClient, sandbox: SandboxHandle
) -> None:
    sandbox.configure(max_notifications_per_request=10)
    with pytest.raises(ExpoRejectedError) as rejected:
        await expo_client.send(messages(11))
    assert rejected.value.code == "PUSH_TOO_MANY_NOTIFICATIONS"


async def test_receipts_are_keyed_by_ticket_id_and_missing_ones_are_absent(
    expo_client: ExpoPushClient, sandbox: SandboxHandle
) -> None:
    # Given one ok ticket, one that will get a DeviceNotRegistered receipt and one that never gets one
    tickets = await expo_client.send([*messages(1), *messages(1, "dnr-"), *messages(1, "noreceipt-")])
    ok, dead, lost = (str(ticket.id) for ticket in tickets)

    # When their receipts are fetched
    receipts = await expo_client.get_receipts([ok, dead, lost])

    # Then the ok and the error receipt are there and the lost one is simply absent
    assert receipts[ok].is_success()
    assert receipts[dead].details["error"] == "DeviceNotRegistered"
    assert lost not in receipts
    with pytest.raises(ValueError, match=r"1\.\.1000"):
        await expo_client.get_receipts([ok] * 1001)
