"""Thundering herd: 100,000 users whose reminder is due in the same minute.

    .venv/bin/python -m bench.scheduling.herd [--users 100000] [--processes 2] [--threads 4]

On a scratch database: seed the users (one device each), their goals and reminder slots all due at
one instant; measure COPY of the same number of inbox and delivery rows into notification_history
and push_deliveries; empty both; then start real worker processes (`dramatiq`, queue `reminders`
only, so the pushes they enqueue wait) and time one `reminders.tick` — claim, 1,000 chunk messages
of 100 slots — until every inbox and delivery row is written. The figure is rows/s of that run as a
fraction of COPY rows/s (aim ≥ 0.3). Draining the pushes to Expo is the push benchmark's business.
"""

from __future__ import annotations

from bench.scheduling.scratch import asyncpg_dsn, scratch_database, use_scratch_environment

SCRATCH = use_scratch_environment("herd")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import asyncpg  # noqa: E402

from bench.scheduling.copy_baseline import copy_seconds  # noqa: E402
from bench.scheduling.herd_support import (  # noqa: E402
    bench_job_context,
    drop_namespace,
    running_workers,
    time_herd,
    written_rows,
)
from bench.scheduling.seed import analyze, seed_daily_goals, seed_slots_due_at, seed_users  # noqa: E402
from domain.dedupe_keys import ai_motivation_key  # noqa: E402
from domain.notification_copy.reminders import ReminderItemType, reminder_notification, reminder_template  # noqa: E402

TIMEZONE = "America/New_York"
INBOX_COLUMNS = (
    "id",
    "user_id",
    "notification_type",
    "title",
    "body",
    "data",
    "entity_type",
    "entity_id",
    "dedupe_key",
    "push_status",
    "sent_at",
)
DELIVERY_COLUMNS = ("notification_id", "device_token_id", "next_attempt_at")


async def copy_baseline(connection: asyncpg.Connection, due_at: datetime, reminder_time: str) -> float:
    """COPY one inbox row and one delivery row per goal, like the herd's, then remove them again."""
    rows = await connection.fetch(
        "SELECT g.user_id, g.id AS goal_id, d.id AS device_id"
        " FROM goals g JOIN device_tokens d USING (user_id)"
    )
    local_date = due_at.astimezone(ZoneInfo(TIMEZONE)).date()
    inbox, deliveries = [], []
    for row in rows:
        text = reminder_template("supportive", "Goal 1", "Bench User", variant=0)
        content = reminder_notification(ReminderItemType.GOAL, row["goal_id"], text)
        notification_id = uuid.uuid4()
        inbox.append(
            (
                notification_id,
                row["user_id"],
                "ai_motivation",
                content.title,
                content.body,
                json.dumps(content.data),
                "goal",
                row["goal_id"],
                ai_motivation_key(row["goal_id"], row["user_id"], local_date, reminder_time),
                "pending",
                due_at,
            )
        )
        deliveries.append((notification_id, row["device_id"], due_at))
    seconds = await copy_seconds(connection, "notification_history", INBOX_COLUMNS, inbox)
    seconds += await copy_seconds(connection, "push_deliveries", DELIVERY_COLUMNS, deliveries)
    await connection.execute("TRUNCATE push_deliveries, notification_history")
    return seconds


async def run(users: int, processes: int, threads: int) -> None:
    # The herd is due this very minute, so the workers (which use the real clock) find it fresh.
    due_at = datetime.now(UTC).replace(second=0, microsecond=0)
    reminder_time = f"{due_at.astimezone(ZoneInfo(TIMEZONE)):%H:%M}"
    async with scratch_database(SCRATCH) as url:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        started = time.perf_counter()
        await seed_users(connection, users, timezone=TIMEZONE)
        await seed_daily_goals(connection, per_user=1, reminder_time=reminder_time)
        await seed_slots_due_at(connection, due_at)
        await analyze(connection)
        print(f"seeded {users} users, devices, goals and due slots in {time.perf_counter() - started:.1f} s")

        copy_s = await copy_baseline(connection, due_at, reminder_time)
        await analyze(connection)
        copy_rate = 2 * users / copy_s
        print(f"COPY {users} inbox + {users} delivery rows: {copy_s:.2f} s = {copy_rate:,.0f} rows/s")

        async with bench_job_context(url) as context, running_workers(processes, threads):
            herd = await time_herd(context, connection, due_at)
        written = await written_rows(connection)
        assert written == (users, users), written
        await connection.close()
    await drop_namespace(SCRATCH.namespace)

    herd_rate = 2 * users / herd.herd_s
    print(f"tick (find, claim and enqueue {herd.counts['chunks']} chunk messages): {herd.tick_s:.2f} s")
    print(
        f"tick → all {users} inbox + {users} delivery rows written: {herd.herd_s:.2f} s "
        f"= {herd_rate:,.0f} rows/s "
        f"({processes} worker processes × {threads} threads)"
    )
    print(f"ratio to COPY: {herd_rate / copy_rate:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scheduling.herd")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.users, arguments.processes, arguments.threads))


if __name__ == "__main__":
    main()
