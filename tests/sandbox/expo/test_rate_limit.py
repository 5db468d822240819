"""The per-project sliding-window rate limiter (spec §4.8, §4.11.5)."""

from __future__ import annotations

import asyncio
import time

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.expo.rate_window import BUCKET_MS, ProjectRateLimiter, SlidingWindow
from sandbox.expo.testing import SandboxHandle
from tests.sandbox.expo.support import RECEIPTS, SEND, SteppedClock, messages, project_stats, send, token

LIMIT = 300
BATCH = 20
CLIENTS = 10


async def test_hammering_clients_never_push_the_admitted_rate_over_the_limit(sandbox: SandboxHandle) -> None:
    # Given a 300/s limit and 10 concurrent clients sending batches of 20 as fast as they can (the
    # traffic clock stands still meanwhile: every request competes for one window)
    sandbox.configure(rate_limit_per_second=LIMIT)
    accepted_tickets = 0
    rejected: list[httpx.Response] = []

    async def hammer(client: httpx.AsyncClient, worker: int, deadline: float) -> None:
        nonlocal accepted_tickets
        n = 0
        while time.monotonic() < deadline:
            body = messages(BATCH, f"w{worker}-{n}")
            response = await client.post(SEND, json=body)
            n += 1
            if response.status_code == 200:
                accepted_tickets += len(response.json()["data"])
            else:
                rejected.append(response)

    # When they run for 1.5 s
    deadline = time.monotonic() + 1.5
    async with httpx.AsyncClient(base_url=sandbox.base_url, trust_env=False, timeout=10.0) as client:
        await asyncio.gather(*(hammer(client, w, deadline) for w in range(CLIENTS)))

    # Then the peak admitted rate stayed within the limit while excess requests got 429s
    stats = project_stats(sandbox.stats())
    assert 0 < stats["peak_rate_1s"] <= LIMIT
    assert rejected, "the clients should have outrun the limit"
    assert all(r.status_code == 429 for r in rejected)
    assert {r.json()["errors"][0]["message"] for r in rejected} == {
        f"Exceeded {LIMIT} notifications per second, please try again."
    }
    assert all("retry-after" not in r.headers for r in rejected)
    # And there was no partial admission: every recipient was either fully accepted or fully refused
    assert stats["recipients_accepted"] == accepted_tickets
    assert stats["recipients_rate_limited"] == BATCH * len(rejected)
    assert stats["recipients_received"] == accepted_tickets + BATCH * len(rejected)
    assert stats["send_requests"]["by_status"]["429"] == len(rejected)
    assert stats["request_errors_by_code"]["TOO_MANY_REQUESTS"] == len(rejected)


def test_a_batch_is_refused_while_the_window_is_too_full_for_it(
    expo: httpx.Client, sandbox: SandboxHandle, traffic_clock: SteppedClock
) -> None:
    # Given 200 recipients per 200 ms window
    sandbox.configure(rate_limit_per_second=200, rate_limit_window_ms=200)
    # When 100 + 100 are sent, then 100 more, again 190 ms later, then 250 ms later
    first = [send(expo, messages(100, f"b{i}")).status_code for i in range(2)]
    refused = send(expo, messages(100, "b2"))
    traffic_clock.advance(0.19)
    still_refused = send(expo, messages(100, "b3"))
    traffic_clock.advance(0.06)
    later = send(expo, messages(100, "b4"))
    # Then the batches are refused as a whole while the window holds the first two, and admitted
    # once they have left it
    assert first == [200, 200]
    assert (refused.status_code, still_refused.status_code) == (429, 429)
    assert refused.json()["errors"][0]["code"] == "TOO_MANY_REQUESTS"
    assert later.status_code == 200


def test_rejected_recipients_use_budget_only_when_configured(
    expo: httpx.Client, sandbox: SandboxHandle
) -> None:
    for counts_rejected, expected in ((False, 200), (True, 429)):
        # Given a window holding 100 of 150, and a refused batch of 100
        sandbox.configure(rate_limit_per_second=150, rate_limit_counts_rejected=counts_rejected)
        sandbox.reset()
        assert send(expo, messages(100, "x")).status_code == 200
        assert send(expo, messages(100, "y")).status_code == 429
        # When 50 more are sent
        # Then they fit only if the refused 100 did not use budget
        assert send(expo, messages(50, "z")).status_code == expected


def test_retry_after_is_only_sent_when_enabled(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.configure(rate_limit_per_second=100, retry_after_header=True)
    send(expo, messages(100))
    response = send(expo, messages(1, "more"))
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 1


def test_projects_have_separate_budgets(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.configure(rate_limit_per_second=100)
    assert send(expo, [{"to": token(f"a{i}", "alpha")} for i in range(100)]).status_code == 200
    assert send(expo, [{"to": token(f"b{i}", "beta")} for i in range(100)]).status_code == 200
    assert send(expo, [{"to": token("c", "alpha")}]).status_code == 429
    stats = sandbox.stats()["projects"]
    assert stats["alpha"]["peak_rate_1s"] == stats["beta"]["peak_rate_1s"] == 100


def test_receipt_requests_can_be_rate_limited(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.configure(receipts_rate_limit_rps=2)
    statuses = [expo.post(RECEIPTS, json={"ids": []}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def bucket_of(now_s: float) -> int:
    return int(now_s * 1000) // BUCKET_MS


@settings(max_examples=100, deadline=None, database=None)
@given(
    steps=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 120)), min_size=1, max_size=60),
    window_buckets=st.integers(1, 100),
    limit=st.integers(1, 600),
)
def test_the_limiter_never_admits_more_than_the_limit_in_any_window(
    steps: list[tuple[int, int]], window_buckets: int, limit: int
) -> None:
    # Given a limiter and a reference list of what it admitted (time in ms, units)
    window_ms = window_buckets * BUCKET_MS
    limiter = ProjectRateLimiter(limit, window_ms, counts_rejected=False)
    admitted: list[tuple[int, int]] = []
    now_ms = 1_000_000
    for gap_ms, units in steps:
        now_ms += gap_ms
        # When each request asks for admission
        now_s = now_ms / 1000
        in_window = sum(u for b, u in admitted if b > bucket_of(now_s) - window_buckets)
        ok = limiter.try_admit("p", units, now_s)
        # Then it is admitted exactly when the bucketed window has room for all of it
        assert ok == (in_window + units <= limit)
        if ok:
            admitted.append((bucket_of(now_s), units))


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.tuples(st.integers(0, 1500), st.integers(0, 50)), max_size=80))
def test_the_sliding_window_total_matches_a_brute_force_count(events: list[tuple[int, int]]) -> None:
    window = SlidingWindow(1000)
    seen: list[tuple[int, int]] = []
    now_ms = 5_000
    for gap_ms, units in events:
        now_ms += gap_ms
        now_s = now_ms / 1000
        window.add(now_s, units)
        seen.append((bucket_of(now_s), units))
        expected = sum(u for b, u in seen if b > bucket_of(now_s) - 100)
        assert window.total(now_s) == expected
