"""The thundering-herd run shared by the herd benchmarks: worker processes, the job context, one timed
`reminders.tick` until every due slot is handled, and the run's Redis keys removed after.

Import it only after `use_scratch_environment` (bench/scheduling/scratch.py): the broker and the
settings bind to the environment on first import.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import redis.asyncio as aioredis

from bench.scheduling.scratch import REPO_ROOT
from db.engine import create_engine
from services.ai.client import build_text_model
from services.messages import MessageSender
from services.transaction import EngineDatabase
from settings import get_settings
from workers.broker import broker
from workers.jobs.reminders import SEND_CHUNK, tick_reminders
from workers.periodic_jobs import JobContext

__all__ = [
    "HerdTiming",
    "bench_job_context",
    "drop_namespace",
    "running_workers",
    "time_herd",
    "written_rows",
]


def start_workers(processes: int, threads: int, log: Path, queues: Sequence[str]) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).parent / "dramatiq"),
        "workers.broker",
        "workers.registry",
        "-p",
        str(processes),
        "-t",
        str(threads),
        "-Q",
        *queues,
    ]
    output = log.open("wb")
    return subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )


async def wait_until_ready(log: Path, processes: int) -> None:
    while True:
        if (await asyncio.to_thread(log.read_text)).count("is ready for action") >= processes:
            return
        await asyncio.sleep(0.2)


@asynccontextmanager
async def running_workers(
    processes: int, threads: int, queues: Sequence[str] = (SEND_CHUNK.queue_name,)
) -> AsyncIterator[Path]:
    """Real `dramatiq` worker processes on `queues` (so the pushes they enqueue wait), ready; yields
    their log file."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "workers.log"
        workers = start_workers(processes, threads, log, queues)
        try:
            await wait_until_ready(log, processes)
            yield log
        finally:
            workers.terminate()
            workers.wait(timeout=30)


@asynccontextmanager
async def bench_job_context(url: str) -> AsyncIterator[JobContext]:
    """The context a worker builds, on the scratch database, with the model the settings describe."""
    settings = get_settings()
    engine = create_engine(url, process_name="bench")
    redis = aioredis.Redis.from_url(settings.redis_url)
    model = build_text_model(settings, redis)
    try:
        yield JobContext(EngineDatabase(engine, MessageSender(broker)), redis, settings, model)
    finally:
        await model.aclose()
        await redis.aclose()
        await engine.dispose()


async def herd_is_done(connection: asyncpg.Connection, due_at: datetime) -> bool:
    """A chunk advances its slots in the transaction that writes their rows, so no slot left due means
    every row is written. Probed through the next_fire_at index: the probe itself costs ~nothing."""
    due = "SELECT EXISTS (SELECT 1 FROM reminder_slots WHERE next_fire_at <= $1)"
    return not await connection.fetchval(due, due_at)


@dataclass(frozen=True, slots=True)
class HerdTiming:
    counts: Counter[str]
    tick_s: float  # find, claim and enqueue
    herd_s: float  # tick start → every due slot handled


async def time_herd(context: JobContext, connection: asyncpg.Connection, due_at: datetime) -> HerdTiming:
    """One `reminders.tick` at the real clock (the workers use it too), then wait for every chunk."""
    started = time.perf_counter()
    counts = await tick_reminders(context, datetime.now(UTC))
    tick_s = time.perf_counter() - started
    while True:
        if await herd_is_done(connection, due_at):
            return HerdTiming(counts, tick_s, time.perf_counter() - started)
        await asyncio.sleep(0.1)


async def written_rows(connection: asyncpg.Connection) -> tuple[int, int]:
    row = await connection.fetchrow(
        "SELECT (SELECT count(*) FROM notification_history) AS inbox,"
        " (SELECT count(*) FROM push_deliveries) AS deliveries"
    )
    return int(row["inbox"]), int(row["deliveries"])


async def drop_namespace(namespace: str) -> None:
    client = aioredis.Redis.from_url(get_settings().redis_url)
    keys = [key async for key in client.scan_iter(match=f"{namespace}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
