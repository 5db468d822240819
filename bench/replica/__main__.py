"""What the read replica adds to one read and to one write, on a private primary and replica pair
(tools/pg_cluster.py) and the real Redis.

    .venv/bin/python -m bench.replica [--reads 3000]

Times, one after another on one event loop (latency, not throughput), `--reads` runs of each path of
services/read_replica.py around a trivial statement (`SELECT 1`), so what is measured is the routing:

- primary: Database.single_statement on the primary (what every read costs without the setting);
- replica, no recent write: one Redis GET, then the replica;
- replica, own write replayed: the Redis GET, the position check on the replica, then the read;
- replica paused, own write not replayed: the GET and the check, then the primary;
- note_write: what each write request adds (position on the primary, SET in Redis).

Prints mean, p50 and p99 in milliseconds per path.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
import sqlalchemy as sa

from db.engine import create_engine
from services.messages import MessageSender
from services.read_replica import ReplicaReads
from services.transaction import EngineDatabase
from settings import get_settings
from tools.pg_cluster import Cluster, private_cluster, streaming_replica

PROBE = sa.text("SELECT 1")


async def timed(reads: int, run: Callable[[], Awaitable[None]]) -> list[float]:
    times = []
    for _ in range(reads):
        started = time.perf_counter()
        await run()
        times.append((time.perf_counter() - started) * 1000)
    return times


def line(name: str, times: list[float]) -> str:
    p99 = statistics.quantiles(times, n=100)[98]
    return f"| {name} | {statistics.fmean(times):.3f} | {statistics.median(times):.3f} | {p99:.3f} |"


async def measure(primary_cluster: Cluster, replica_cluster: Cluster, reads: int) -> None:
    settings = get_settings()
    primary_engine = create_engine(primary_cluster.url, process_name="bench", pool_size=2)
    replica_engine = create_engine(replica_cluster.url, process_name="bench", pool_size=2)
    sender = MessageSender.to_redis(settings.redis_url, f"bench-replica-{uuid.uuid4().hex}")
    redis = aioredis.Redis.from_url(settings.redis_url)
    primary = EngineDatabase(primary_engine, sender)
    replica = ReplicaReads(replica_engine, primary, redis, f"bench-replica-{uuid.uuid4().hex}")
    fresh_reader, writer = uuid.uuid4(), uuid.uuid4()

    async def on_primary() -> None:
        async with primary.single_statement() as connection:
            await connection.execute(PROBE)

    def on_replica(reader: uuid.UUID) -> Callable[[], Awaitable[None]]:
        async def read() -> None:
            async with replica.single_statement(reader) as connection:
                await connection.execute(PROBE)

        return read

    async def note_write() -> None:
        await replica.note_write(writer)

    try:
        await timed(200, on_primary)  # pools opened, statements prepared
        rows = [("primary", await timed(reads, on_primary))]
        rows.append(("replica, no recent write", await timed(reads, on_replica(fresh_reader))))
        rows.append(("note_write (each write request)", await timed(reads, note_write)))
        written = primary_cluster.query("SELECT pg_current_wal_insert_lsn()")
        replica_cluster.wait_for(f"SELECT pg_last_wal_replay_lsn() >= '{written}'")
        rows.append(("replica, own write replayed", await timed(reads, on_replica(writer))))
        replica_cluster.query("SELECT pg_wal_replay_pause()")
        async with primary_engine.begin() as connection:  # WAL the paused replica has not applied
            await connection.execute(sa.text("CREATE TABLE IF NOT EXISTS bench_replica (id int)"))
        await replica.note_write(writer)
        rows.append(("replica paused → primary", await timed(reads, on_replica(writer))))
        replica_cluster.query("SELECT pg_wal_replay_resume()")
    finally:
        await primary_engine.dispose()
        await replica_engine.dispose()
        await redis.aclose()
        sender.close()
    print("| path | mean ms | p50 ms | p99 ms |\n|---|---|---|---|")
    for name, times in rows:
        print(line(name, times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=3000)
    arguments = parser.parse_args()
    # Only Redis and the private clusters are used: no secret to set.
    os.environ.setdefault("APP_ENV", "dev")
    with private_cluster() as primary_cluster, streaming_replica(primary_cluster) as replica_cluster:
        asyncio.run(measure(primary_cluster, replica_cluster, arguments.reads))


if __name__ == "__main__":
    main()
