"""Day boundary: pending check-in rows for 1,000,000 scheduled goals, as rows/s of COPY.

    .venv/bin/python -m bench.scheduling.day_boundary [--users 100000] [--goals-per-user 10]

On a scratch database: 100,000 onboarded users in one zone with 10 active daily goals each. Three
writes of the same 1,000,000 pending rows (with their prompt and follow-up due instants), the table
emptied and vacuumed between them:

1. COPY of the rows (computed beforehand) into check_ins: the yardstick;
2. `db.daily_checkins.create_pending_checkins` over the goal ids, 1,000 goals per call and transaction;
3. the day-start job itself (`workers.jobs.daily_checkins.precreate_pending_checkins`) at the zone's
   local midnight: keyset batches of 1,000 goals of the zone.
"""

from __future__ import annotations

from bench.scheduling.scratch import asyncpg_dsn, scratch_database, use_scratch_environment

SCRATCH = use_scratch_environment("day")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import time  # noqa: E402
from datetime import date, datetime, timedelta  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import asyncpg  # noqa: E402

from bench.scheduling.copy_baseline import copy_seconds  # noqa: E402
from bench.scheduling.seed import analyze, seed_daily_goals, seed_users  # noqa: E402
from db.daily_checkins import create_pending_checkins  # noqa: E402
from db.engine import create_engine  # noqa: E402
from domain.schedule import checkin_followup_due_at, checkin_prompt_due_at  # noqa: E402
from services.messages import MessageSender  # noqa: E402
from services.transaction import EngineDatabase  # noqa: E402
from settings import get_settings  # noqa: E402
from workers.jobs.daily_checkins import precreate_pending_checkins  # noqa: E402

TIMEZONE = "Europe/Madrid"
REMINDER_TIME = "18:00"
LOCAL_DATE = date(2025, 6, 10)
GOALS_PER_CALL = 1_000
CHECKIN_COLUMNS = (
    "user_id",
    "goal_id",
    "check_in_date",
    "status",
    "prompt_due_at",
    "followup_due_at",
    "missed_due_at",
)


async def empty_check_ins(connection: asyncpg.Connection) -> None:
    await connection.execute("TRUNCATE check_ins")
    await analyze(connection)


async def check_in_count(connection: asyncpg.Connection) -> int:
    return int(await connection.fetchval("SELECT count(*) FROM check_ins"))


async def run(users: int, goals_per_user: int) -> None:
    async with scratch_database(SCRATCH) as url:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        started = time.perf_counter()
        await seed_users(connection, users, timezone=TIMEZONE)
        await seed_daily_goals(connection, per_user=goals_per_user, reminder_time=REMINDER_TIME)
        await analyze(connection)
        goals = await connection.fetch("SELECT id, user_id FROM goals ORDER BY id")
        print(
            f"seeded {users:,} users and {len(goals):,} daily goals in {time.perf_counter() - started:.1f} s"
        )

        prompt_at = checkin_prompt_due_at([REMINDER_TIME], LOCAL_DATE, TIMEZONE)
        followup_at = checkin_followup_due_at([REMINDER_TIME], LOCAL_DATE, TIMEZONE)
        # The pending row's end of day: the next local midnight, when the missed job takes it.
        next_day = LOCAL_DATE + timedelta(days=1)
        day_ends_at = datetime.combine(next_day, datetime.min.time(), ZoneInfo(TIMEZONE))
        records = [
            (goal["user_id"], goal["id"], LOCAL_DATE, "pending", prompt_at, followup_at, day_ends_at)
            for goal in goals
        ]
        copy_s = await copy_seconds(connection, "check_ins", CHECKIN_COLUMNS, records)
        assert await check_in_count(connection) == len(goals)
        copy_rate = len(goals) / copy_s
        print(f"COPY {len(goals):,} check-in rows: {copy_s:.2f} s = {copy_rate:,.0f} rows/s")
        await empty_check_ins(connection)

        engine = create_engine(url, process_name="bench", pool_size=2)
        settings = get_settings()
        database = EngineDatabase(
            engine, MessageSender.to_redis(settings.redis_url, settings.dramatiq_namespace)
        )
        goal_ids = [goal["id"] for goal in goals]
        started = time.perf_counter()
        for start in range(0, len(goal_ids), GOALS_PER_CALL):
            async with database.transaction() as tx:
                await create_pending_checkins(
                    tx.connection, goal_ids=goal_ids[start : start + GOALS_PER_CALL], local_date=LOCAL_DATE
                )
        calls_s = time.perf_counter() - started
        assert await check_in_count(connection) == len(goals)
        calls_rate = len(goals) / calls_s
        print(
            f"create_pending_checkins, {GOALS_PER_CALL:,} goals per call: {calls_s:.2f} s = "
            f"{calls_rate:,.0f} rows/s, ratio to COPY {calls_rate / copy_rate:.2f}"
        )
        await empty_check_ins(connection)

        midnight = datetime.combine(LOCAL_DATE, datetime.min.time(), ZoneInfo(TIMEZONE))
        started = time.perf_counter()
        counts = await precreate_pending_checkins(database, now=midnight + timedelta(minutes=1))
        job_s = time.perf_counter() - started
        assert counts["created"] == len(goals) == await check_in_count(connection), counts
        job_rate = len(goals) / job_s
        print(
            f"day-start job (checkins.precreate) at local midnight: {job_s:.2f} s = {job_rate:,.0f} rows/s, "
            f"ratio to COPY {job_rate / copy_rate:.2f}"
        )
        await engine.dispose()
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scheduling.day_boundary")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--goals-per-user", type=int, default=10)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.users, arguments.goals_per_user))


if __name__ == "__main__":
    main()
