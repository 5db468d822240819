"""Uncapped: deliveries per second end to end (claim → HTTP → mark sent) with the limit off.

    python -m bench.push.uncapped [--deliveries 50000] [--processes 2] [--threads 8]

Three measurements in one run, on the same machine state:
1. end to end: N deliveries through real worker processes against a sandbox process, limit off;
2. ceilings: the sandbox alone (pre-encoded 100-recipient requests, 6 connections, this process), and
   the database steps alone (claim, record tickets, settle: no HTTP, this process);
3. where the time goes: one batch's steps timed one by one (the steps of deliver_due_batch, in order,
   for a batch whose tickets are all ok).
The end-to-end figure is printed as a ratio to each ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from uuid import UUID

import redis.asyncio as aioredis

from bench.push import common  # first project import: it points the run at its scratch database
from db.push_deliveries import (
    ClaimedDelivery,
    DeliveryResult,
    claim_due_deliveries,
    deactivate_tokens_of,
    record_send_results,
)
from services.transaction import EngineDatabase
from settings import get_settings
from workers.push.claim_fence import ClaimFence
from workers.push.delivery import BATCH_SIZE, expo_message
from workers.push.expo_client import MAX_CONNECTIONS, ExpoPushClient, PreparedSend

LEASE = timedelta(minutes=5)
STALE_AFTER = timedelta(minutes=60)  # the default REMINDER_STALE_AFTER_MINUTES
T = TypeVar("T")


async def end_to_end(
    database: EngineDatabase, deliveries: int, processes: int, threads: int
) -> dict[str, object]:
    seeded = await common.seed(database, deliveries)
    with common.warm_sandbox(rate_limit_per_second=0) as sandbox, tempfile.TemporaryDirectory() as logs:
        with common.push_workers(
            base_url=sandbox.base_url,
            budget=0,
            processes=processes,
            threads=threads,
            log=Path(logs) / "w.log",
        ):
            await asyncio.sleep(3)  # let both processes boot before the clock starts
            common.kick(times=processes * threads)
            wall = await common.wait_until_delivered(database, timeout_s=600)
        stats = sandbox.project_stats()
        lost, doubled = common.lost_and_doubled(sandbox, seeded.notification_ids)
    common.clear_redis_state()
    return {
        "deliveries": deliveries,
        "seconds": round(wall, 2),
        "per_second": round(deliveries / wall, 1),
        "lost": lost,
        "doubled": doubled,
        "duplicates_sandbox": stats["duplicate_notifications"],
        "max_concurrent_requests": stats["max_concurrent_requests"],
        "producer_seed_per_second": round(deliveries / seeded.seconds, 1),
    }


async def sandbox_ceiling(seconds: float = 4.0) -> float:
    """Recipients/s the sandbox accepts from pre-encoded 100-recipient requests on 6 connections."""
    with common.warm_sandbox(rate_limit_per_second=0) as sandbox:
        client = ExpoPushClient(sandbox.base_url)
        request = client.prepare_send(
            [
                {
                    "to": f"ExponentPushToken[{uuid.uuid4().hex}]",
                    "title": "Time to move",
                    "body": "x" * 50,
                    "data": {"notification_id": str(uuid.uuid4())},
                }
                for _ in range(BATCH_SIZE)
            ]
        )
        sent = 0
        deadline = time.perf_counter() + seconds

        async def hammer() -> None:
            nonlocal sent
            while time.perf_counter() < deadline:
                await client.send_prepared(request)
                sent += BATCH_SIZE

        started = time.perf_counter()
        await asyncio.gather(*(hammer() for _ in range(MAX_CONNECTIONS)))
        elapsed = time.perf_counter() - started
        await client.aclose()
    return sent / elapsed


async def _claim(database: EngineDatabase, claim_id: UUID, claimed_at: datetime) -> list[ClaimedDelivery]:
    async with database.transaction() as tx:
        return await claim_due_deliveries(
            tx.connection,
            claim_id=claim_id,
            owner="bench",
            now=claimed_at,
            lease_until=claimed_at + LEASE,
            stale_after=STALE_AFTER,
            limit=BATCH_SIZE,
        )


async def _record(database: EngineDatabase, results: list[DeliveryResult], claim_id: UUID) -> None:
    async with database.transaction() as tx:
        await record_send_results(tx.connection, results, claim_id=claim_id, now=datetime.now(UTC))
        await deactivate_tokens_of(tx.connection, [], now=datetime.now(UTC))


async def database_ceiling(database: EngineDatabase, deliveries: int, concurrency: int = 4) -> float:
    """Deliveries/s through the database steps of an all-ok batch alone: claim, record the tickets."""
    await common.seed(database, deliveries)

    async def worker() -> None:
        while True:
            claim_id = uuid.uuid4()
            rows = await _claim(database, claim_id, datetime.now(UTC))
            if not rows:
                return
            results = [DeliveryResult(row.id, "sent", ticket_id=str(uuid.uuid4())) for row in rows]
            await _record(database, results, claim_id)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return deliveries / (time.perf_counter() - started)


async def where_the_time_goes(database: EngineDatabase, batches: int = 30) -> dict[str, float]:
    """Median milliseconds per 100-delivery batch for each step of deliver_due_batch (all tickets ok),
    one batch at a time in this process; the limiter is off in this mode and does not call Redis."""
    await common.seed(database, batches * BATCH_SIZE)
    settings = get_settings()
    redis_client = aioredis.Redis.from_url(settings.redis_url)
    fence = ClaimFence(redis_client, settings.dramatiq_namespace, timedelta(minutes=15))
    timings: dict[str, list[float]] = {}

    async def timed(step: str, work: Awaitable[T]) -> T:
        started = time.perf_counter()
        result = await work
        timings.setdefault(step, []).append((time.perf_counter() - started) * 1000)
        return result

    async def prepare(client: ExpoPushClient, rows: list[ClaimedDelivery]) -> PreparedSend:
        return client.prepare_send([expo_message(row) for row in rows])

    with common.warm_sandbox(rate_limit_per_second=0) as sandbox:
        client = ExpoPushClient(sandbox.base_url)
        await client.warm_up()
        for _ in range(batches):
            claimed_at, claim_id = datetime.now(UTC), uuid.uuid4()
            rows = await timed(
                "1 claim: SELECT … SKIP LOCKED + UPDATE, commit", _claim(database, claim_id, claimed_at)
            )
            request = await timed("2 build, encode, gzip 100 messages", prepare(client, rows))
            await timed("3 claim fence: Redis SET NX", fence.enter_send(claim_id))
            tickets = await timed("4 HTTP request to the sandbox", client.send_prepared(request))
            results = [
                DeliveryResult(row.id, "sent", ticket_id=str(ticket.id))
                for row, ticket in zip(rows, tickets, strict=True)
            ]
            await timed(
                "5 record tickets + inbox delivered_at: one statement, commit",
                _record(database, results, claim_id),
            )
        await client.aclose()
    await redis_client.aclose()
    return {step: round(statistics.median(values), 2) for step, values in timings.items()}


async def run(deliveries: int, processes: int, threads: int) -> dict[str, object]:
    async with common.scratch_engine() as database:
        measured = await end_to_end(database, deliveries, processes, threads)
        breakdown = await where_the_time_goes(database)
        db_ceiling = await database_ceiling(database, min(deliveries, 20_000))
    expo_ceiling = await sandbox_ceiling()
    rate = float(measured["per_second"])  # type: ignore[arg-type]
    return {
        "end_to_end": measured,
        "ceilings_per_second": {
            "sandbox_alone": round(expo_ceiling, 1),
            "database_steps_alone": round(db_ceiling, 1),
        },
        "ratio_to_sandbox_ceiling": round(rate / expo_ceiling, 3),
        "ratio_to_database_ceiling": round(rate / db_ceiling, 3),
        "ms_per_batch_of_100": breakdown,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deliveries", type=int, default=50_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.deliveries, args.processes, args.threads)), indent=2))


if __name__ == "__main__":
    main()
