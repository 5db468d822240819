"""The global Expo push limiter, against a real Redis (REDIS_URL, default redis://127.0.0.1:6379/0)."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import redis.asyncio

from workers.push.limiter import (
    DEFAULT_PACING_TOLERANCE_SECONDS,
    DEFAULT_SAFETY_MARGIN_SECONDS,
    PermitWaitTimeout,
    SlidingWindowLimiter,
    SyncSlidingWindowLimiter,
)

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
REPO_ROOT = Path(__file__).resolve().parents[2]
WINDOW_US = round((1.0 + DEFAULT_SAFETY_MARGIN_SECONDS) * 1_000_000)


@pytest.fixture
def key() -> Iterator[str]:
    name = f"test:push-limiter:{uuid.uuid4().hex}"
    yield name
    with redis.Redis.from_url(REDIS_URL) as client:
        client.delete(name)


@pytest.fixture
async def client() -> AsyncIterator[redis.asyncio.Redis]:
    async_client = redis.asyncio.Redis.from_url(REDIS_URL)
    yield async_client
    await async_client.aclose()


# A sender process: connects, prints "ready", waits for "go" on stdin so all senders start together,
# then acquires as fast as it can for DURATION seconds, cycling through its batch sizes, and prints
# every grant as [redis_time_us, n].
SENDER_SCRIPT = """
import asyncio, json, sys, time
import redis, redis.asyncio
from workers.push.limiter import SlidingWindowLimiter, SyncSlidingWindowLimiter

url, key, budget, duration, api = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
sizes = [int(size) for size in sys.argv[6].split(",")]

def run_sync():
    client = redis.Redis.from_url(url)
    limiter = SyncSlidingWindowLimiter(client, key, budget)
    client.ping()
    print("ready", flush=True); sys.stdin.readline()
    grants, deadline = [], time.monotonic() + duration
    while time.monotonic() < deadline:
        grant = limiter.acquire(sizes[len(grants) % len(sizes)])
        grants.append([grant.granted_at_us, grant.n])
    client.close()
    return grants

async def run_async():
    client = redis.asyncio.Redis.from_url(url)
    limiter = SlidingWindowLimiter(client, key, budget)
    await client.ping()
    print("ready", flush=True); sys.stdin.readline()
    grants, deadline = [], time.monotonic() + duration
    while time.monotonic() < deadline:
        grant = await limiter.acquire(sizes[len(grants) % len(sizes)])
        grants.append([grant.granted_at_us, grant.n])
    await client.aclose()
    return grants

print(json.dumps(run_sync() if api == "sync" else asyncio.run(run_async())), flush=True)
"""

BUDGET = 600
SENDING_SECONDS = 3.0
# Two OS processes per scenario, one on the async API and one on the sync API, sharing one key.
SCENARIOS = {
    # The hot path: draining a burst in full batches.
    "full batches": [("async", "100"), ("sync", "100")],
    # Batches of 100 mixed with odd sizes (the tail of each fan-out).
    "odd sizes": [("async", "100,37,100,1,100,99"), ("sync", "63,100,5,100,73,100")],
}


@dataclass(frozen=True)
class SenderRun:
    grants: list[tuple[int, int]]  # (Redis time in µs, permits), sorted by time
    grants_per_process: list[int]


@pytest.fixture(scope="module")
def sender_runs() -> Iterator[dict[str, SenderRun]]:
    """Runs every scenario once, at the same time on separate keys, to keep the suite short."""
    keys = {scenario: f"test:push-limiter:{uuid.uuid4().hex}" for scenario in SCENARIOS}
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    processes = {
        (scenario, index): subprocess.Popen(
            [sys.executable, "-c", SENDER_SCRIPT, *(REDIS_URL, keys[scenario], str(BUDGET)), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO_ROOT,
        )
        for scenario, senders in SCENARIOS.items()
        for index, (api, sizes) in enumerate(senders)
        for args in [(str(SENDING_SECONDS), api, sizes)]
    }
    outputs: dict[str, list[list[list[int]]]] = {scenario: [] for scenario in SCENARIOS}
    try:
        for process in processes.values():
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in processes.values():
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        for (scenario, _), process in processes.items():
            stdout, _ = process.communicate(timeout=SENDING_SECONDS + 10)
            assert process.returncode == 0
            outputs[scenario].append(json.loads(stdout.strip().splitlines()[-1]))
        yield {
            scenario: SenderRun(
                grants=sorted((granted_at, n) for output in per_process for granted_at, n in output),
                grants_per_process=[len(output) for output in per_process],
            )
            for scenario, per_process in outputs.items()
        }
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.communicate()
        with redis.Redis.from_url(REDIS_URL) as client:
            client.delete(*keys.values())


def max_permits_in_any_window(grants: list[tuple[int, int]], length_us: int) -> int:
    """Most permits granted within any closed interval [t - length_us, t] (grants sorted by time)."""
    most, in_window, first = 0, 0, 0
    for granted_at, n in grants:
        in_window += n
        while grants[first][0] < granted_at - length_us:
            in_window -= grants[first][1]
            first += 1
        most = max(most, in_window)
    return most


def mean_permits_per_sliding_second(grants: list[tuple[int, int]]) -> float:
    """Permits in (t - 1 s, t], averaged over every ms t from one second after the first grant to the
    last one: the throughput as the receiver sees it, without the start (nothing granted before the
    first grant) and without the discreteness of dividing a few batches by a span."""
    ends = range(grants[0][0] + 1_000_000, grants[-1][0] + 1, 1_000)
    counts = [sum(n for granted_at, n in grants if end - 1_000_000 < granted_at <= end) for end in ends]
    return sum(counts) / len(counts)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_two_processes_never_exceed_the_budget_in_any_sliding_second(
    sender_runs: dict[str, SenderRun], scenario: str
) -> None:
    # Given two OS processes sharing one budget, acquiring as fast as the limiter lets them,
    # when every grant's Redis timestamp and size is collected,
    run = sender_runs[scenario]
    assert all(count >= 4 for count in run.grants_per_process), f"starved: {run.grants_per_process}"
    # then no sliding second, nor any window of 1 s + margin (our own guarantee), holds more than
    # the budget. Strict: this is the correctness claim.
    assert max_permits_in_any_window(run.grants, 1_000_000) <= BUDGET, run.grants
    assert max_permits_in_any_window(run.grants, WINDOW_US - 1) <= BUDGET, run.grants


def test_two_processes_sending_full_batches_run_close_to_the_budget(
    sender_runs: dict[str, SenderRun],
) -> None:
    # Loose on purpose: the ceiling is 1 / (1 s + margin) = 0.985 and a loaded 2-core machine delays
    # wake-ups (measured 0.977-0.982 with two CPU hogs); exact figures are for benchmarks.
    ratio = mean_permits_per_sliding_second(sender_runs["full batches"].grants) / BUDGET
    print(f"full batches: throughput {ratio:.4f} x budget")
    assert ratio >= 0.95


def test_two_processes_sending_odd_sizes_keep_sending(sender_runs: dict[str, SenderRun]) -> None:
    # Only a floor: a request waits whole (Expo's own rule), so an odd batch leaves room that no 100
    # fits in for up to a window, and the figure depends on how the sizes happen to interleave
    # (measured 0.86-0.97 for such mixes). A limiter that over-waits or stalls falls far below it.
    ratio = mean_permits_per_sliding_second(sender_runs["odd sizes"].grants) / BUDGET
    print(f"odd sizes: throughput {ratio:.4f} x budget")
    assert ratio >= 0.75


async def test_acquire_waits_for_the_window_instead_of_raising(client: redis.asyncio.Redis, key: str) -> None:
    # Given a budget that is fully spent.
    limiter = SlidingWindowLimiter(client, key, budget_per_second=100)
    first = await limiter.acquire(100)
    # When more permits are asked for.
    second = await limiter.acquire(40, max_wait=3.0)
    # Then the call waits until the first grant has left the window (1 s + margin) and succeeds.
    assert first.granted_at_us is not None
    assert second.granted_at_us is not None
    assert second.granted_at_us - first.granted_at_us >= WINDOW_US
    assert second.waited >= 0.9


@pytest.mark.parametrize("tolerance", [0.0, DEFAULT_PACING_TOLERANCE_SECONDS])
async def test_grants_are_paced_by_their_size_over_the_budget(
    client: redis.asyncio.Redis, key: str, tolerance: float
) -> None:
    # Given a budget of 100/s, when three grants of 10 are asked for back to back,
    limiter = SlidingWindowLimiter(client, key, budget_per_second=100, pacing_tolerance=tolerance)
    grants = [await limiter.acquire(10) for _ in range(3)]
    # then they follow a schedule of 10/100 s per grant although the window has room for all of
    # them; a grant may come at most the tolerance ahead of that schedule.
    times = [grant.granted_at_us or 0 for grant in grants]
    tolerance_us = round(tolerance * 1_000_000)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(gap >= 100_000 - tolerance_us for gap in gaps), gaps
    assert times[2] - times[0] >= 200_000 - tolerance_us


async def test_max_wait_raises_without_sleeping_or_taking_permits(
    client: redis.asyncio.Redis, key: str
) -> None:
    # Given a spent budget.
    limiter = SlidingWindowLimiter(client, key, budget_per_second=100)
    await limiter.acquire(100)
    started = time.monotonic()
    # When the caller can wait only 0.2 s, which is less than the window needs.
    with pytest.raises(PermitWaitTimeout) as raised:
        await limiter.acquire(1, max_wait=0.2)
    # Then it fails at once (the wait is known to be too long), and the refusal consumed nothing.
    assert time.monotonic() - started < 0.2
    assert raised.value.retry_after > 0.2
    assert await client.zcard(key) == 1


async def test_sync_and_async_limiters_share_one_budget(client: redis.asyncio.Redis, key: str) -> None:
    # Given the async limiter spent the budget of a key,
    await SlidingWindowLimiter(client, key, budget_per_second=50).acquire(50)
    # when the sync limiter on the same key asks for a permit it may not wait for,
    with redis.Redis.from_url(REDIS_URL) as sync_client:
        limiter = SyncSlidingWindowLimiter(sync_client, key, budget_per_second=50)
        # then it is refused: both count against the same window.
        with pytest.raises(PermitWaitTimeout):
            limiter.acquire(1, max_wait=0)


async def test_request_above_budget_or_below_one_raises_value_error(
    client: redis.asyncio.Redis, key: str
) -> None:
    limiter = SlidingWindowLimiter(client, key, budget_per_second=100)
    with pytest.raises(ValueError, match="exceeds the budget"):
        await limiter.acquire(101)
    with pytest.raises(ValueError, match="positive"):
        await limiter.acquire(0)
    assert await client.exists(key) == 0


@pytest.mark.parametrize("budget", [0, -1])
async def test_unlimited_budget_grants_at_once_without_redis(
    client: redis.asyncio.Redis, key: str, budget: int
) -> None:
    limiter = SlidingWindowLimiter(client, key, budget_per_second=budget)
    grant = await limiter.acquire(10_000, max_wait=0)
    assert grant.n == 10_000
    assert grant.granted_at_us is None
    assert await client.exists(key) == 0


async def test_idle_key_expires_after_one_window(client: redis.asyncio.Redis, key: str) -> None:
    limiter = SlidingWindowLimiter(client, key, budget_per_second=100)
    await limiter.acquire(1)
    assert 0 < await client.pttl(key) <= WINDOW_US // 1000 + 1
    await asyncio.sleep(WINDOW_US / 1_000_000 + 0.05)
    assert await client.exists(key) == 0
