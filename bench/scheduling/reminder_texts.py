"""Reminder texts written ahead, then the herd: N reminders due in one minute, templates only and then
with AI texts prepared by `reminder_texts.prepare` against the OpenAI stub.

    .venv/bin/python -m bench.scheduling.reminder_texts [--users 100000] [--latency-ms 300]
        [--in-flight 50] [--texts-per-minute 0] [--lead-minutes N] [--processes 2] [--threads 4]

On a scratch database with the herd benchmark's seeding (bench/scheduling/seed.py), real `dramatiq`
workers on the `reminders` and `reminder_texts` queues, and the stub (`python -m sandbox.openai`) in its
own process answering every call after `--latency-ms`, with `--in-flight` calls open at most (the
client's per-process cap × processes) and no per-minute budget:

1. templates only: the herd due now, one `reminders.tick` (bench/scheduling/herd_support.py), each
   push's delay behind its due minute (inbox `sent_at` − due instant);
2. the same users due again `--lead-minutes` ahead; `reminder_texts.prepare` runs every minute as the
   scheduler would run it (paced by `--texts-per-minute`, 0 = claim all at once) while the usage
   counters (services/ai/usage.py) are sampled every 5 s; VACUUM ANALYZE (as after run 1's move);
   at the due minute the same tick, the same delays, and the share of pushes that carried their
   prepared text.

Figures: the share (aim ≥ 0.95), each run's delay p50 / p95 / max and tick → all rows time (aim: no
added delay), calls and tokens in the busiest 60 s, and the stub's own in-flight maximum.
"""

from __future__ import annotations

import os

from bench.scheduling.scratch import asyncpg_dsn, scratch_database, use_scratch_environment
from tools.ports import free_port

SCRATCH = use_scratch_environment("reminder_texts")


STUB_PORT = free_port()
# Read by this process's settings on first use and inherited by the worker processes.
os.environ.update(
    {
        "OPENAI_API_KEY": "sk-bench-stub",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{STUB_PORT}/v1",
        "OPENAI_CALLS_PER_MINUTE": "0",
        # The usage counters and the budget live under this prefix: the run's own, deleted after.
        "REDIS_KEY_PREFIX": SCRATCH.namespace,
    }
)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import math  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import AsyncIterator, Iterator  # noqa: E402
from contextlib import asynccontextmanager, contextmanager  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import asyncpg  # noqa: E402
import httpx  # noqa: E402

from bench.scheduling.herd_support import (  # noqa: E402
    HerdTiming,
    bench_job_context,
    drop_namespace,
    running_workers,
    time_herd,
    written_rows,
)
from bench.scheduling.seed import analyze, seed_daily_goals, seed_slots_due_at, seed_users  # noqa: E402
from services.ai.model import AiFeature  # noqa: E402
from services.ai.usage import read_usage  # noqa: E402
from workers.jobs.reminder_texts import WRITE_CHUNK, prepare_reminder_texts  # noqa: E402
from workers.jobs.reminders import SEND_CHUNK  # noqa: E402
from workers.periodic_jobs import JobContext  # noqa: E402

TIMEZONE = "America/New_York"
SAMPLE_EVERY_S = 5.0


@contextmanager
def running_stub(latency_ms: float) -> Iterator[str]:
    """The stub in its own process (it must not share this process's CPU); yields its control URL."""
    stub = subprocess.Popen(
        [sys.executable, "-m", "sandbox.openai", "--port", str(STUB_PORT), "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert stub.stdout is not None
        line = stub.stdout.readline().decode()
        if not line.startswith("LISTENING"):
            raise RuntimeError(f"stub did not start: {line!r}")
        yield f"http://127.0.0.1:{STUB_PORT}"
    finally:
        stub.terminate()
        stub.wait(timeout=10)


@dataclass(frozen=True, slots=True)
class Delays:
    p50: float
    p95: float
    max: float


async def push_delays(connection: asyncpg.Connection, due_at: datetime) -> Delays:
    row = await connection.fetchrow(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) AS p50,"
        " percentile_cont(0.95) WITHIN GROUP (ORDER BY d) AS p95, max(d) AS max"
        " FROM (SELECT extract(epoch FROM sent_at - $1) AS d FROM notification_history) AS delays",
        due_at,
    )
    return Delays(float(row["p50"]), float(row["p95"]), float(row["max"]))


async def prepared_share(connection: asyncpg.Connection) -> float:
    """Pushes whose title and body are their slot's prepared text, as a share of all pushes."""
    row = await connection.fetchrow(
        "SELECT count(*) FILTER (WHERE n.title = s.text_title AND n.body = s.text_body) AS prepared,"
        " count(*) AS sent"
        " FROM notification_history n JOIN reminder_slots s ON s.goal_id = n.entity_id"
    )
    return int(row["prepared"]) / int(row["sent"])


async def unprepared(connection: asyncpg.Connection) -> int:
    """Slots whose next occurrence has no handled text yet (claimed or not)."""
    value = await connection.fetchval(
        "SELECT count(*) FROM reminder_slots"
        " WHERE text_fire_at IS DISTINCT FROM next_fire_at OR text_claimed_at IS NOT NULL"
    )
    return int(value)


@dataclass(frozen=True, slots=True)
class Sample:
    at: float
    calls: int
    tokens: int


class UsageSampler:
    """The reminder feature's calls and tokens (services/ai/usage.py) every few seconds."""

    def __init__(self, context: JobContext) -> None:
        self._context = context
        self.samples: list[Sample] = []

    async def sample(self) -> None:
        day = datetime.now(UTC).date()
        usage = (await read_usage(self._context.redis, self._context.settings.redis_key_prefix, day)).get(
            AiFeature.REMINDER.value, {}
        )
        tokens = usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)
        self.samples.append(Sample(time.monotonic(), usage.get("calls", 0), tokens))

    def busiest_minute(self) -> tuple[int, int]:
        """(calls, tokens) in the busiest 60 s between two samples (the whole run when shorter)."""
        best = (0, 0)
        for end in self.samples:
            start = next((s for s in reversed(self.samples) if s.at <= end.at - 60), self.samples[0])
            best = max(best, (end.calls - start.calls, end.tokens - start.tokens))
        return best


@asynccontextmanager
async def sampling(sampler: UsageSampler) -> AsyncIterator[None]:
    async def loop() -> None:
        while True:
            await sampler.sample()
            await asyncio.sleep(SAMPLE_EVERY_S)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        await sampler.sample()


async def prepare_until_done(context: JobContext, connection: asyncpg.Connection, due_at: datetime) -> float:
    """`reminder_texts.prepare` every minute until every slot's text is handled or the slots fire;
    returns the seconds from the first run until then."""
    started = time.monotonic()
    next_run = started
    while datetime.now(UTC) < due_at:
        if time.monotonic() >= next_run:
            counts = await prepare_reminder_texts(context, datetime.now(UTC))
            print(f"  prepare: {dict(counts)}")
            next_run += 60
        if await unprepared(connection) == 0:
            break
        await asyncio.sleep(0.5)
    return time.monotonic() - started


def next_minute(after_minutes: int = 1) -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=after_minutes)


async def herd_at(
    context: JobContext, connection: asyncpg.Connection, due_at: datetime
) -> tuple[HerdTiming, Delays]:
    """Wait for the due minute, then one tick and its chunks; the timing and each push's delay."""
    await asyncio.sleep(max(0.0, (due_at - datetime.now(UTC)).total_seconds()))
    herd = await time_herd(context, connection, due_at)
    return herd, await push_delays(connection, due_at)


def report(name: str, users: int, herd: HerdTiming, delays: Delays) -> None:
    print(
        f"{name}: tick {herd.tick_s:.2f} s, tick → all {users} rows {herd.herd_s:.2f} s; delay behind the "
        f"due minute p50 {delays.p50:.2f} s, p95 {delays.p95:.2f} s, max {delays.max:.2f} s"
    )


async def run(
    users: int,
    latency_ms: float,
    in_flight: int,
    texts_per_minute: int,
    lead_minutes: int,
    processes: int,
    threads: int,
) -> None:
    os.environ["OPENAI_MAX_CONCURRENCY"] = str(max(1, in_flight // processes))
    # Seeded as due a day ago (nothing is due); each run moves every slot onto one coming minute.
    seeded_due = datetime.now(UTC) - timedelta(days=1)
    reminder_time = f"{seeded_due.astimezone(ZoneInfo(TIMEZONE)):%H:%M}"
    move = "UPDATE reminder_slots SET next_fire_at = $1, claimed_at = NULL"
    with running_stub(latency_ms) as stub_url:
        async with scratch_database(SCRATCH) as url:
            connection = await asyncpg.connect(asyncpg_dsn(url))
            started = time.perf_counter()
            await seed_users(connection, users, timezone=TIMEZONE)
            await seed_daily_goals(connection, per_user=1, reminder_time=reminder_time)
            await seed_slots_due_at(connection, seeded_due + timedelta(days=2))
            await analyze(connection)
            seeded_s = time.perf_counter() - started
            print(f"seeded {users} users, devices, goals and slots in {seeded_s:.1f} s")

            queues = (SEND_CHUNK.queue_name, WRITE_CHUNK.queue_name)
            async with bench_job_context(url) as context, running_workers(processes, threads, queues):
                first_due = next_minute()
                await connection.execute(move, first_due)
                await analyze(connection)
                templates, template_delays = await herd_at(context, connection, first_due)
                assert await written_rows(connection) == (users, users)
                report("templates only", users, templates, template_delays)

                second_due = next_minute(lead_minutes)
                await connection.execute("TRUNCATE push_deliveries, notification_history")
                await connection.execute(move, second_due)
                await analyze(connection)
                paced = replace(
                    context, settings=replace(context.settings, reminder_texts_per_minute=texts_per_minute)
                )
                sampler = UsageSampler(context)
                async with sampling(sampler):
                    prepare_s = await prepare_until_done(paced, connection, second_due)
                left = await unprepared(connection)
                print(f"texts prepared in {prepare_s:.1f} s ({left} slots not handled by then)")
                # The claims and stores left two dead versions of every slot. Autovacuum would have
                # removed them in production's two-hour window; the shared box runs with it off, and
                # the templates-only run got its VACUUM after its own UPDATE too.
                await analyze(connection)

                with_texts, text_delays = await herd_at(context, connection, second_due)
                assert await written_rows(connection) == (users, users)
                report("with prepared texts", users, with_texts, text_delays)
                share = await prepared_share(connection)
            await connection.close()
        async with httpx.AsyncClient(trust_env=False) as client:
            stats = (await client.get(f"{stub_url}/__stub/stats")).json()
    await drop_namespace(SCRATCH.namespace)

    calls, tokens = sampler.busiest_minute()
    print(f"share of pushes with their prepared AI text: {share:.4f}")
    print(f"busiest 60 s: {calls} calls, {tokens} tokens (stub stats: {stats})")
    print(
        f"added delay: p95 {text_delays.p95 - template_delays.p95:+.2f} s, "
        f"tick → all rows {with_texts.herd_s - templates.herd_s:+.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scheduling.reminder_texts")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument(
        "--texts-per-minute", type=int, default=0, help="REMINDER_TEXTS_PER_MINUTE; 0 = unpaced"
    )
    parser.add_argument("--lead-minutes", type=int, default=0, help="0 = enough for the calls, with a margin")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    arguments = parser.parse_args()
    call_minutes = arguments.users * arguments.latency_ms / 1000 / arguments.in_flight / 60
    lead = arguments.lead_minutes or math.ceil(call_minutes * 1.5) + 2
    asyncio.run(
        run(
            arguments.users,
            arguments.latency_ms,
            arguments.in_flight,
            arguments.texts_per_minute,
            lead,
            arguments.processes,
            arguments.threads,
        )
    )


if __name__ == "__main__":
    main()
