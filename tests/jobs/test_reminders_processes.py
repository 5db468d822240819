"""Two scheduler processes and a worker, as deployed by mistake: every due reminder still goes out
once, through the chunk messages (workers/jobs/reminders.py, Procfile)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from db.tables import notification_history, reminder_slots
from services.transaction import EngineDatabase
from tests.jobs.scheduling_support import add_goal, add_user
from tests.support.processes import running, scheduler_command, worker_command
from workers.jobs.reminders import CHUNK_SIZE, SEND_CHUNK

USERS = CHUNK_SIZE + 50
# periodiq fires every-minute jobs when it starts (unless in a minute's last seconds, then a minute later).
DEADLINE_SECONDS = 90


async def reminder_count(database: EngineDatabase) -> int:
    async with database.transaction() as tx:
        result = await tx.connection.execute(
            sa.select(sa.func.count()).where(notification_history.c.notification_type == "ai_motivation")
        )
        return int(result.scalar_one())


async def test_two_schedulers_and_a_worker_send_every_due_reminder_once(
    committed_database: EngineDatabase, tmp_path: Path
) -> None:
    # Given 150 users (more than one chunk) whose reminder came due two minutes ago
    now = datetime.now(UTC)
    due_at = (now - timedelta(minutes=2)).replace(second=0, microsecond=0)
    async with committed_database.transaction() as tx:
        for _ in range(USERS):
            user_id = await add_user(tx.connection)
            await add_goal(
                tx.connection, user_id, now=due_at - timedelta(hours=1), reminder_times=[f"{due_at:%H:%M}"]
            )

    # When two scheduler processes and one worker run until the reminders are out and a bit longer
    logs = [tmp_path / name for name in ("worker.log", "scheduler-1.log", "scheduler-2.log")]
    with (
        running(worker_command(queues=["default", SEND_CHUNK.queue_name]), log=logs[0]),
        running(scheduler_command(), log=logs[1]),
        running(scheduler_command(), log=logs[2]),
    ):
        for _ in range(DEADLINE_SECONDS * 2):
            if await reminder_count(committed_database) >= USERS:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(3)

    # Then each user got one reminder, every slot moved to tomorrow, and the ticks claimed each slot once
    output = "\n".join(log.read_text() for log in logs)
    assert await reminder_count(committed_database) == USERS, output
    async with committed_database.transaction() as tx:
        next_fires = set((await tx.connection.execute(sa.select(reminder_slots.c.next_fire_at))).scalars())
    assert next_fires == {due_at + timedelta(days=1)}
    claimed = [int(value) for value in re.findall(r"job=reminders\.tick .*?claimed=(\d+)", output)]
    assert sum(claimed) == USERS, output
