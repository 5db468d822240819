"""Idle tick: what a per-minute job costs when nothing is due, on 1,000,000 goals and reminder slots.

    .venv/bin/python -m bench.scheduling.idle_tick [--users 100000] [--goals-per-user 10] [--runs 200]

On a scratch database: 100,000 users with 10 daily goals each, one reminder slot per goal and today's
pending check-in per goal (1,000,000 of each), every due instant (slot, prompt, follow-up, morning)
somewhere in the next 24 hours, and the pending rows' end of day (the missed job's due instant) at
the next local midnight. Then each per-minute job runs `--runs` times at an instant where
nothing is due — the whole job: transaction, advisory lock, due query, commit — and the median and
p95 are printed (aim ≤ 10 ms), followed by EXPLAIN ANALYZE of every statement the job ran, which shows
an index range scan on the due-instant index and no sequential scan.
"""

from __future__ import annotations

from bench.scheduling.scratch import asyncpg_dsn, scratch_database, use_scratch_environment

SCRATCH = use_scratch_environment("idle")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

import asyncpg  # noqa: E402
import redis.asyncio as aioredis  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from bench.recorded_statements import recorded_statements  # noqa: E402
from bench.scheduling.seed import analyze, seed_daily_goals, seed_slots_spread_after, seed_users  # noqa: E402
from db.engine import create_engine  # noqa: E402
from services.messages import MessageSender  # noqa: E402
from services.transaction import EngineDatabase  # noqa: E402
from settings import get_settings  # noqa: E402
from workers.broker import broker  # noqa: E402
from workers.jobs.checkin_prompts import send_checkin_prompts  # noqa: E402
from workers.jobs.daily_checkins import mark_missed_job  # noqa: E402
from workers.jobs.morning_motivations import send_morning_motivations  # noqa: E402
from workers.jobs.reminders import tick_reminders  # noqa: E402
from workers.periodic_jobs import JobContext, PeriodicJob  # noqa: E402

TIMEZONE = "Europe/Paris"
JOBS: dict[str, PeriodicJob] = {
    "reminders.tick": tick_reminders,
    "checkins.prompts": send_checkin_prompts,
    "reminders.morning": send_morning_motivations,
    "checkins.mark_missed": mark_missed_job,
}


async def seed(connection: asyncpg.Connection, users: int, goals_per_user: int, now: datetime) -> None:
    await seed_users(connection, users, timezone=TIMEZONE)
    await seed_daily_goals(connection, per_user=goals_per_user, reminder_time="18:00")
    await seed_slots_spread_after(connection, now)
    await connection.execute(
        """
        INSERT INTO check_ins (user_id, goal_id, check_in_date, prompt_due_at, followup_due_at, missed_due_at)
        SELECT user_id, id, ($1::timestamptz AT TIME ZONE $2)::date,
               $1::timestamptz + r * interval '20 hours' + interval '1 minute',
               $1::timestamptz + r * interval '20 hours' + interval '2 hours',
               timezone($2, (($1::timestamptz AT TIME ZONE $2)::date + 1)::timestamp)
        FROM (SELECT user_id, id, random() AS r FROM goals) AS g
        """,
        now,
        TIMEZONE,
    )
    await connection.execute(
        "UPDATE users SET next_morning_motivation_at ="
        " $1::timestamptz + interval '1 minute' + random() * interval '24 hours'",
        now,
    )
    await analyze(connection)


async def explain(engine: AsyncEngine, statements: list[tuple[str, Any]]) -> None:
    async with engine.connect() as connection:
        for statement, parameters in statements:
            if "pg_try_advisory_xact_lock" in statement:
                continue
            transaction = await connection.begin()
            plan = await connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
            print("\n".join(f"    {line}" for line in plan.scalars()))
            await transaction.rollback()


async def run(users: int, goals_per_user: int, runs: int) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    async with scratch_database(SCRATCH) as url:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        started = time.perf_counter()
        await seed(connection, users, goals_per_user, now)
        counts = await connection.fetchrow(
            "SELECT (SELECT count(*) FROM goals) AS goals, (SELECT count(*) FROM reminder_slots) AS slots,"
            " (SELECT count(*) FROM check_ins) AS check_ins"
        )
        await connection.close()
        print(
            f"seeded {users:,} users, {counts['goals']:,} goals, {counts['slots']:,} slots and "
            f"{counts['check_ins']:,} pending check-ins in {time.perf_counter() - started:.1f} s"
        )
        engine = create_engine(url, process_name="bench", pool_size=2)
        settings = get_settings()
        context = JobContext(
            EngineDatabase(engine, MessageSender(broker)),
            aioredis.Redis.from_url(settings.redis_url),
            settings,
        )
        for name, job in JOBS.items():
            await job(context, now)  # warm the pool and the statement caches
            durations = []
            for _ in range(runs):
                started = time.perf_counter()
                result = await job(context, now)
                durations.append((time.perf_counter() - started) * 1000)
                assert not any(value for key, value in result.items() if key != "locked"), result
            durations.sort()
            p95 = durations[int(len(durations) * 0.95) - 1]
            median = statistics.median(durations)
            print(f"{name}: idle run median {median:.2f} ms, p95 {p95:.2f} ms ({runs} runs)")
            with recorded_statements(engine) as statements:
                await job(context, now)
            print(f"  EXPLAIN ANALYZE of the statements of one idle {name} run:")
            await explain(engine, statements)
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scheduling.idle_tick")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--goals-per-user", type=int, default=10)
    parser.add_argument("--runs", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.users, arguments.goals_per_user, arguments.runs))


if __name__ == "__main__":
    main()
