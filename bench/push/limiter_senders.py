"""Several OS processes taking permits from one push limiter key as fast as it lets them.

Used by the limiter's benchmark (bench/push/limiter.py: how close to the budget do they get?) and by
its cross-process test (tests/workers/test_push_limiter.py: is the budget kept in every sliding
second?). It is a load generator, so it lives with the benchmarks and the test imports it from here:
tests may use bench/, but bench/ never depends on the test suite. Each sender runs this module:

    python -m bench.push.limiter_senders REDIS_URL KEY BUDGET SECONDS sync|async SIZES

prints "ready", waits for a line on stdin so that every sender starts together, then acquires for
SECONDS, cycling through SIZES (comma-separated batch sizes), and prints every grant as JSON
[[redis_time_us, n], ...].
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import redis
import redis.asyncio

from bench.push.sync_limiter import SyncSlidingWindowLimiter
from workers.push.limiter import SlidingWindowLimiter

REPO_ROOT = Path(__file__).resolve().parents[2]

# (Redis time of the grant in µs, permits granted)
GrantRecord = tuple[int, int]
# A sender: which limiter API it uses ("sync" or "async") and its batch sizes, comma-separated.
Sender = tuple[str, str]


@dataclass(frozen=True)
class SenderRun:
    grants: list[GrantRecord]  # every sender's grants, sorted by time
    grants_per_process: list[int]


def _send_sync(url: str, key: str, budget: int, seconds: float, sizes: list[int]) -> list[GrantRecord]:
    client = redis.Redis.from_url(url)
    limiter = SyncSlidingWindowLimiter(client, key, budget)
    client.ping()
    print("ready", flush=True)
    sys.stdin.readline()
    grants: list[GrantRecord] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        grant = limiter.acquire(sizes[len(grants) % len(sizes)])
        grants.append((grant.granted_at_us or 0, grant.n))
    client.close()
    return grants


async def _send_async(url: str, key: str, budget: int, seconds: float, sizes: list[int]) -> list[GrantRecord]:
    client = redis.asyncio.Redis.from_url(url)
    limiter = SlidingWindowLimiter(client, key, budget)
    await client.ping()
    print("ready", flush=True)
    # Blocking on stdin is fine: nothing else runs on this loop before the start signal.
    sys.stdin.readline()
    grants: list[GrantRecord] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        grant = await limiter.acquire(sizes[len(grants) % len(sizes)])
        grants.append((grant.granted_at_us or 0, grant.n))
    await client.aclose()
    return grants


def run_senders(
    redis_url: str, budget: int, seconds: float, scenarios: Mapping[str, Sequence[Sender]]
) -> dict[str, SenderRun]:
    """Runs every scenario at the same time, each on its own fresh key, and collects the grants."""
    keys = {scenario: f"limiter-senders:{uuid.uuid4().hex}" for scenario in scenarios}
    processes = {
        (scenario, index): subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.push.limiter_senders",
                redis_url,
                keys[scenario],
                *(str(budget), str(seconds)),
                api,
                sizes,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
        )
        for scenario, senders in scenarios.items()
        for index, (api, sizes) in enumerate(senders)
    }
    outputs: dict[str, list[list[GrantRecord]]] = {scenario: [] for scenario in scenarios}
    try:
        for process in processes.values():
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError("a limiter sender did not start")
        for process in processes.values():
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        for (scenario, _), process in processes.items():
            stdout, _ = process.communicate(timeout=seconds + 10)
            if process.returncode != 0:
                raise RuntimeError(f"a limiter sender exited with {process.returncode}")
            outputs[scenario].append([(at, n) for at, n in json.loads(stdout.strip().splitlines()[-1])])
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.communicate()
        with redis.Redis.from_url(redis_url) as client:
            client.delete(*keys.values())
    return {
        scenario: SenderRun(
            grants=sorted(grant for output in per_process for grant in output),
            grants_per_process=[len(output) for output in per_process],
        )
        for scenario, per_process in outputs.items()
    }


def max_permits_in_any_window(grants: Sequence[GrantRecord], length_us: int) -> int:
    """Most permits granted within any closed interval [t - length_us, t] (grants sorted by time)."""
    most, in_window, first = 0, 0, 0
    for granted_at, n in grants:
        in_window += n
        while grants[first][0] < granted_at - length_us:
            in_window -= grants[first][1]
            first += 1
        most = max(most, in_window)
    return most


def mean_permits_per_sliding_second(grants: Sequence[GrantRecord]) -> float:
    """Permits in (t - 1 s, t], averaged over every ms t from one second after the first grant to the
    last one: the throughput as the receiver sees it, without the start (nothing granted before the
    first grant) and without the discreteness of dividing a few batches by a span."""
    ends = range(grants[0][0] + 1_000_000, grants[-1][0] + 1, 1_000)
    counts = [sum(n for granted_at, n in grants if end - 1_000_000 < granted_at <= end) for end in ends]
    return sum(counts) / len(counts)


def main(argv: list[str]) -> None:
    url, key, budget, seconds, api, sizes = argv
    args = (url, key, int(budget), float(seconds), [int(size) for size in sizes.split(",")])
    grants = _send_sync(*args) if api == "sync" else asyncio.run(_send_async(*args))
    print(json.dumps(grants), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
