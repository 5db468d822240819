"""One drill: a scratch database seeded with N pending pushes, the sandbox at Expo's 600/s, the real
worker supervisor (2 processes) and scheduler; the fault mid fan-out; the outcome once nothing is
pending.

Import after the environment points at the drills' PostgreSQL cluster and Redis database
(bench/drills/__main__.py): bench.push.common reads DATABASE_URL when imported.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import redis

from bench.drills.faults import Context, Drill
from bench.drills.measure import Outcome, outcome, unconfirmed_notification_ids, wait_until_nothing_pending
from bench.drills.processes import System
from bench.push import common
from settings import get_settings
from tools.pg_cluster import Cluster

EXPO_CAP_PER_SECOND = 600


def flush_drill_redis() -> None:
    """The drills own their Redis database (checked empty at the start): queues, limiter, beats go."""
    with redis.Redis.from_url(get_settings().redis_url) as client:
        client.flushdb()


async def run_drill(drill: Drill, *, pushes: int, cluster: Cluster, timeout_s: float, logs: Path) -> Outcome:
    try:
        async with common.scratch_engine() as database:
            seeded = await common.seed(database, pushes)
            with common.warm_sandbox(rate_limit_per_second=EXPO_CAP_PER_SECOND) as sandbox:
                if drill.sandbox_faults:
                    sandbox.configure(**drill.sandbox_faults)
                env = {
                    **os.environ,
                    "EXPO_PUSH_URL": sandbox.base_url,
                    "EXPO_RATE_LIMIT_PER_SECOND": str(EXPO_CAP_PER_SECOND),
                }
                with System(env, logs) as system:
                    for _ in range(drill.schedulers - 1):
                        system.add_scheduler()
                    common.kick(times=2)
                    context = Context(sandbox, system, database, cluster, pushes)
                    fault = await drill.inject(context)
                    await wait_until_nothing_pending(database, timeout_s)
                    settled = time.time()
                ambiguous = await unconfirmed_notification_ids(database)
                return outcome(
                    sandbox, seeded.notification_ids, ambiguous, fault, settled, EXPO_CAP_PER_SECOND
                )
    finally:
        flush_drill_redis()


def run_drill_in_loop(
    drill: Drill, *, pushes: int, cluster: Cluster, timeout_s: float, logs: Path
) -> Outcome:
    (logs / drill.name).mkdir(parents=True, exist_ok=True)
    return asyncio.run(
        run_drill(drill, pushes=pushes, cluster=cluster, timeout_s=timeout_s, logs=logs / drill.name)
    )
