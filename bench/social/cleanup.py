"""Partner-request clean-up: 1,000,000 expired requests deleted by `partners.expire_requests`, against one
big DELETE of the same rows in the same run.

    .venv/bin/python -m bench.social.cleanup [--requests 1000000] [--live 10000]

On a scratch database: 100,010 users; `--requests` expired pending requests (pairs (i, i + k),
k = 1…10) expiring over the last 30 days in the order they were made (created_at + 30 days, as the
request route sets it), then `--live` unexpired ones, each request with its partner_request inbox
row, all seeded with INSERT … SELECT generate_series. Then, in the same run:

1. the ceiling: ONE statement deleting every expired request and its inbox rows, timed, then rolled back
   (the rows stay for step 2);
2. the job itself (keyset batches of 500, one transaction each), timed end to end, with the time of
   every batch's statement recorded.

Prints rows/s of both, the ratio (aim ≥ 0.5) and the batch times at the start, the middle and the end
of the walk: flat, because each batch starts its index range after the last one's position instead of
stepping over the dead entries of everything deleted before it (what an OFFSET or a "first 500 again"
walk does).
"""

from __future__ import annotations

from bench.scheduling.scratch import asyncpg_dsn, scratch_database, use_scratch_environment

SCRATCH = use_scratch_environment("social_cleanup")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

import asyncpg  # noqa: E402

import workers.jobs.social_cleanup as cleanup_job  # noqa: E402
from db.engine import create_engine  # noqa: E402
from services.messages import MessageSender  # noqa: E402
from services.transaction import EngineDatabase  # noqa: E402
from settings import get_settings  # noqa: E402

USERS = 100_010
PAIR_OFFSETS = 10


async def seed(connection: asyncpg.Connection, requests: int, live: int, now: datetime) -> None:
    await connection.execute(
        """
        INSERT INTO users (email, username, name)
        SELECT 'social' || i || '@example.com', 'social_' || i, 'Social ' || i
        FROM generate_series(1, $1::int) AS i
        """,
        USERS,
    )
    await connection.execute(
        "CREATE TEMP TABLE numbered AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM users"
    )
    await connection.execute("CREATE UNIQUE INDEX ON numbered (n)")
    # Pairs (i, i + k): distinct unordered pairs. The first `requests` expired, the next `live` not.
    await connection.execute(
        """
        INSERT INTO accountability_partners
            (user_id, partner_user_id, initiated_by_user_id, created_at, expires_at)
        SELECT a.id, b.id, a.id, expiry - interval '30 days', expiry
        FROM (
            SELECT i, k, row_number() OVER (ORDER BY i, k) AS r
            FROM generate_series(1, ($1::int + $2::int) / $3::int + 1) AS i
            CROSS JOIN generate_series(1, $3::int) AS k
        ) AS pairs
        JOIN numbered AS a ON a.n = pairs.i
        JOIN numbered AS b ON b.n = pairs.i + pairs.k
        CROSS JOIN LATERAL (
            SELECT $4::timestamptz - interval '30 days'
                   + (pairs.r::float8 / $1::int) * interval '30 days' - interval '1 second' AS expiry
        ) AS e
        WHERE pairs.r <= $1::int + $2::int
        """,
        requests,
        live,
        PAIR_OFFSETS,
        now,
    )
    await connection.execute(
        """
        INSERT INTO notification_history (user_id, notification_type, title, body, entity_type, entity_id)
        SELECT partner_user_id, 'partner_request', 'New partner request', 'Someone wants you as a partner',
               'partner_request', id
        FROM accountability_partners
        """
    )
    await connection.execute("VACUUM ANALYZE")


BIG_DELETE = """
    WITH deleted AS (
        DELETE FROM accountability_partners WHERE status = 'pending' AND expires_at <= $1 RETURNING id
    ), inbox AS (
        DELETE FROM notification_history
        WHERE entity_type = 'partner_request' AND entity_id IN (SELECT id FROM deleted)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM deleted), (SELECT count(*) FROM inbox)
"""


async def big_delete_seconds(connection: asyncpg.Connection, now: datetime) -> tuple[float, int]:
    """One statement deleting every expired request with its inbox rows, rolled back afterwards."""
    transaction = connection.transaction()
    await transaction.start()
    try:
        started = time.perf_counter()
        deleted, _ = await connection.fetchrow(BIG_DELETE, now)
        elapsed = time.perf_counter() - started
    finally:
        await transaction.rollback()
    return elapsed, deleted


def timing_batches(batch_times: list[float]) -> Callable[..., Awaitable[Any]]:
    """The batch statement of the job, wrapped to record how long each call takes."""
    statement = getattr(cleanup_job, "delete_lapsed_requests_batch")  # noqa: B009

    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = await statement(*args, **kwargs)
        batch_times.append(time.perf_counter() - started)
        return result

    return timed


def describe(times: list[float], label: str, start: int) -> str:
    window = times[start : start + 10]
    median_ms = statistics.median(window) * 1000
    return f"{label} (batches {start + 1}-{start + len(window)}): median {median_ms:.1f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--live", type=int, default=10_000)
    arguments = parser.parse_args()
    now = datetime.now(UTC)
    async with scratch_database(SCRATCH) as url:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            started = time.perf_counter()
            await seed(connection, arguments.requests, arguments.live, now)
            print(
                f"seeded {arguments.requests:,} expired + {arguments.live:,} live requests with inbox rows "
                f"in {time.perf_counter() - started:.1f} s"
            )
            big_seconds, big_rows = await big_delete_seconds(connection, now)
            await connection.execute("VACUUM ANALYZE accountability_partners, notification_history")
        finally:
            await connection.close()
        settings = get_settings()
        engine = create_engine(settings.database_url, process_name="bench-social-cleanup", pool_size=2)
        database = EngineDatabase(
            engine, MessageSender.to_redis(settings.redis_url, settings.dramatiq_namespace)
        )
        batch_times: list[float] = []
        setattr(cleanup_job, "delete_lapsed_requests_batch", timing_batches(batch_times))  # noqa: B010
        try:
            started = time.perf_counter()
            counts = await cleanup_job.expire_partner_requests(database, now=now)
            job_seconds = time.perf_counter() - started
        finally:
            await engine.dispose()
    job_rows = counts["requests_deleted"]
    assert job_rows == big_rows == arguments.requests, (job_rows, big_rows)
    assert counts["inbox_deleted"] == arguments.requests
    big_rate, job_rate = big_rows / big_seconds, job_rows / job_seconds
    print(
        f"one big DELETE: {big_rows:,} requests + inbox rows in {big_seconds:.2f} s ({big_rate:,.0f} rows/s)"
    )
    print(
        f"partners.expire_requests: {job_rows:,} in {job_seconds:.2f} s ({job_rate:,.0f} rows/s), "
        f"{counts['batches']:,} batches of {cleanup_job.BATCH_SIZE}"
    )
    print(f"ratio to the big DELETE: {job_rate / big_rate:.2f} (aim >= 0.5)")
    middle = len(batch_times) // 2 - 5
    print(describe(batch_times, "first", 0))
    print(describe(batch_times, "middle", middle))
    print(describe(batch_times, "last full", len(batch_times) - 12))
    first, mid, last = (batch_times[i] * 1000 for i in (0, len(batch_times) // 2, -2))
    print(f"first / middle / last batch: {first:.1f} / {mid:.1f} / {last:.1f} ms (the last one is partial)")


if __name__ == "__main__":
    asyncio.run(main())
