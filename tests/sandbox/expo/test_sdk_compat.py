"""Compatibility with the community Python SDK, exponent-server-sdk 2.2.0 (spec §4.11.1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from exponent_server_sdk import (
    DeviceNotRegisteredError,
    PushClient,
    PushMessage,
    PushReceipt,
    PushServerError,
)

from sandbox.expo.testing import SandboxHandle
from tests.sandbox.expo.support import project_stats, token


@pytest.fixture
def push_client(sandbox: SandboxHandle) -> Iterator[PushClient]:
    client = PushClient(host=sandbox.base_url)
    try:
        yield client
    finally:
        client.session.close()


def test_publish_multiple_of_250_makes_3_requests_and_gets_250_tickets(
    push_client: PushClient, sandbox: SandboxHandle
) -> None:
    # Given 250 messages
    batch = [
        PushMessage(to=token(f"sdk-{i}"), body="Workout time", data={"notification_id": i})
        for i in range(250)
    ]
    # When the SDK publishes them
    tickets = push_client.publish_multiple(batch)
    # Then it took 3 requests (100 + 100 + 50) and every ticket is ok
    assert len(tickets) == 250
    assert all(t.is_success() and t.id for t in tickets)
    stats = project_stats(sandbox.stats())
    assert stats["send_requests"]["total"] == 3
    assert stats["batch_size_histogram"] == {"1": 0, "2-10": 0, "11-50": 1, "51-99": 0, "100": 2}


def test_a_429_surfaces_as_push_server_error_with_the_expo_code(
    push_client: PushClient, sandbox: SandboxHandle
) -> None:
    # Given a budget of 150 notifications per second
    sandbox.configure(rate_limit_per_second=150)
    batch = [PushMessage(to=token(f"rl-{i}"), body="hi") for i in range(250)]
    # When the SDK publishes 250 (its second chunk of 100 does not fit)
    with pytest.raises(PushServerError) as caught:
        push_client.publish_multiple(batch)
    # Then the error carries Expo's code and the HTTP status
    assert caught.value.errors[0]["code"] == "TOO_MANY_REQUESTS"
    assert caught.value.response.status_code == 429


def test_receipts_come_back_as_push_receipts_that_raise_for_dead_devices(push_client: PushClient) -> None:
    # Given tickets for a healthy device and one Expo will report unregistered
    tickets = push_client.publish_multiple(
        [PushMessage(to=token("healthy"), body="hi"), PushMessage(to=token("dnr-gone"), body="hi")]
    )
    # When the SDK checks their receipts
    receipts = {r.id: r for r in push_client.check_receipts_multiple(tickets)}
    # Then they are PushReceipt objects, and only the dead device's raises DeviceNotRegisteredError
    healthy, gone = receipts[tickets[0].id], receipts[tickets[1].id]
    assert isinstance(healthy, PushReceipt)
    healthy.validate_response()
    with pytest.raises(DeviceNotRegisteredError) as caught:
        gone.validate_response()
    assert caught.value.push_response.details["expoPushToken"] == token("dnr-gone")


def test_publish_returns_a_single_ticket(push_client: PushClient) -> None:
    ticket = push_client.publish(PushMessage(to=token("one"), title="Streak at risk"))
    assert ticket.is_success()
