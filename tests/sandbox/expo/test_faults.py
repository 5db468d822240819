"""Fault injection, outages, latency and bearer auth (spec §4.4 step 2, §4.9)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from sandbox.expo.testing import SandboxHandle, running_sandbox
from tests.sandbox.expo.support import RECEIPTS, SEND, messages, project_stats, send, token


def test_injected_5xx_creates_no_tickets_but_uses_rate_budget(
    expo: httpx.Client, sandbox: SandboxHandle
) -> None:
    # Given every admitted send fails with a server error
    sandbox.configure(fault_5xx_rate=1.0)
    # When a batch is sent
    response = send(expo, messages(10))
    # Then the client sees a 5xx without tickets, and nothing was recorded as sent
    assert response.status_code in (500, 502, 503)
    assert "data" not in response.text
    stats = project_stats(sandbox.stats())
    assert stats["fault_injected"]["5xx"] == 1
    assert stats["receipts_created"] == stats["recipients_accepted"] == 0
    assert stats["peak_rate_1s"] == 10  # it was admitted before it failed
    assert stats["send_requests"]["by_status"]["5xx"] == 1
    assert sandbox.messages() == []


def test_504_after_accept_counts_as_sent_so_a_retry_duplicates(
    expo: httpx.Client, sandbox: SandboxHandle
) -> None:
    # Given the gateway times out after Expo accepted the batch
    sandbox.configure(fault_504_after_accept_rate=1.0)
    body = messages(5, data={"notification_id": "evening-reminder"})
    # When the client sees the 504 and naively retries once the fault is gone
    first = send(expo, body)
    sandbox.configure(fault_504_after_accept_rate=0.0)
    retry = send(expo, body)
    # Then the first attempt was an HTML 504 yet delivered, and the retry delivered everything again
    assert first.status_code == 504
    assert first.headers["content-type"].startswith("text/html")
    assert retry.status_code == 200
    stats = project_stats(sandbox.stats())
    assert stats["fault_injected"]["504_after_accept"] == 1
    assert stats["recipients_accepted"] == 10
    assert stats["duplicate_notifications"] == 5
    assert len(sandbox.messages()) == 10


def test_reset_after_accept_records_the_batch_then_drops_the_connection(
    expo: httpx.Client, sandbox: SandboxHandle
) -> None:
    # Given connections get reset after acceptance
    sandbox.configure(fault_reset_after_accept_rate=1.0)
    # When a batch is sent
    with pytest.raises(httpx.TransportError):
        send(expo, messages(3))
    # Then the batch was accepted and its messages recorded, though no response came
    stats = project_stats(sandbox.stats())
    assert stats["fault_injected"]["reset_after_accept"] == 1
    assert stats["recipients_accepted"] == 3
    assert len(sandbox.messages()) == 3


def test_reset_fault_closes_the_connection_without_a_response(
    expo: httpx.Client, sandbox: SandboxHandle
) -> None:
    # Given connections get reset
    sandbox.configure(fault_reset_rate=1.0)
    # When a batch is sent
    with pytest.raises(httpx.TransportError):
        send(expo, messages(3))
    # Then nothing of the request was recorded, not even rate budget
    stats = project_stats(sandbox.stats())
    assert stats["fault_injected"]["reset"] == 1
    assert stats["recipients_accepted"] == 0
    assert stats["peak_rate_1s"] == 0
    # And the sandbox keeps serving once the fault is off
    sandbox.configure(fault_reset_rate=0.0)
    assert send(expo, messages(1)).status_code == 200


def test_faults_are_reproducible_from_the_seed(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.configure(fault_5xx_rate=0.5, seed=1234)

    def statuses() -> list[int]:
        return [send(expo, messages(1, f"s{i}")).status_code for i in range(12)]

    first = statuses()
    sandbox.reset()
    second = statuses()
    assert first == second
    assert 200 in first
    assert any(s >= 500 for s in first)


@pytest.mark.parametrize(("latency_ms", "overlapping"), [(0, 1), (1000, 2)])
async def test_latency_holds_responses_back_so_concurrent_requests_overlap(
    sandbox: SandboxHandle, latency_ms: int, overlapping: int
) -> None:
    # Given a latency (if any) far longer than sending two requests takes
    sandbox.configure(latency_ms=latency_ms)
    # When two requests are sent at once, on two connections
    async with httpx.AsyncClient(base_url=sandbox.base_url, trust_env=False, timeout=10.0) as client:
        responses = await asyncio.gather(*(client.post(SEND, json=messages(1, f"c{i}")) for i in range(2)))
    # Then both are answered, and with latency both were held at the same time; without it a request
    # is answered without yielding to the next
    assert [response.status_code for response in responses] == [200, 200]
    assert project_stats(sandbox.stats())["max_inflight_requests"] == overlapping


def test_outage_window_fails_everything_until_it_ends(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    # Given a 30 s outage
    sandbox.outage(30, status=503)
    # When sending during it and after it (moving the sandbox clock on)
    during = send(expo, messages(1))
    receipts_during = expo.post(RECEIPTS, json={"ids": []})
    sandbox.advance_clock(31)
    after = send(expo, messages(1))
    # Then requests fail with the configured status during the outage only
    assert during.status_code == receipts_during.status_code == 503
    assert during.json()["errors"][0]["code"] == "INTERNAL_SERVER_ERROR"
    assert after.status_code == 200
    assert project_stats(sandbox.stats())["fault_injected"]["outage"] == 2


def test_access_token_is_enforced_with_both_documented_error_shapes(
    expo: httpx.Client, sandbox: SandboxHandle
) -> None:
    # Given Enhanced Push Security is on
    sandbox.configure(require_access_token="s3cret")
    body = messages(1)
    # When sending without a token, with a wrong one, and with the right one
    missing = send(expo, body)
    wrong = send(expo, body, headers={"authorization": "Bearer nope"})
    right = send(expo, body, headers={"authorization": "Bearer s3cret"})
    receipts_missing = expo.post(RECEIPTS, json={"ids": []})
    # Then a missing token gets the `errors` shape, a wrong one the OAuth-style body, the right one passes
    assert missing.status_code == 401
    assert missing.json()["errors"][0]["code"] == "UNAUTHORIZED"
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "invalid_token", "error_description": "The bearer token is invalid"}
    assert right.status_code == 200
    assert receipts_missing.status_code == 401
    stats = project_stats(sandbox.stats())
    assert stats["send_requests"]["by_status"]["401"] == 2
    assert stats["receipt_requests_by_status"]["401"] == 1
    assert stats["request_errors_by_code"]["UNAUTHORIZED"] == 3  # counted across both endpoints


async def test_concurrency_is_measured_per_project() -> None:
    # Given a fresh sandbox that answers after 100 ms, like a distant Expo
    with running_sandbox(latency_ms=100, rate_limit_per_second=0) as sandbox:
        # When 4 requests are in flight at once over 4 connections
        async with httpx.AsyncClient(base_url=sandbox.base_url, trust_env=False) as client:
            responses = await asyncio.gather(
                *(client.post(SEND, json=[{"to": token(f"c{i}")}]) for i in range(4))
            )
        # Then the sandbox saw 4 concurrent requests
        assert [r.status_code for r in responses] == [200] * 4
        stats = project_stats(sandbox.stats())
        assert stats["max_concurrent_requests"] == 4
        assert stats["max_inflight_requests"] == 4
        assert stats["max_concurrent_connections"] == 4
