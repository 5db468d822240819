"""reminders.tick: what is sent, what is skipped, and why nothing is ever sent twice
(workers/jobs/reminders.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from uuid import UUID

import pytest
import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.due_reminders import claim_slots, select_due_slots
from db.locks import try_job_lock
from db.tables import reminder_slots
from services.transaction import EngineDatabase
from settings import Settings
from tests.jobs.scheduling_support import (
    add_checkin,
    add_goal,
    add_user,
    answer_checkin,
    job_context,
    next_fire_times,
    notices,
    set_goal_status,
)
from tests.support.rows import utc
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.reminders import (
    CHUNK_SIZE,
    CLAIM_LEASE,
    SEND_CHUNK,
    TICK_JOB,
    send_reminder_chunk,
    tick_reminders,
)

# 18:00 in New York on 2025-06-10 (EDT).
DUE = utc("2025-06-10T22:00")
BUILT = DUE - timedelta(hours=12)


async def test_answered_checkin_suppresses_the_reminder_and_the_slot_still_advances(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given two goals due at 18:00, one already checked in today, the other with a pending row
    user_id = await add_user(connection, timezone="America/New_York")
    answered_goal = await add_goal(connection, user_id, now=BUILT, title="Answered")
    pending_goal = await add_goal(connection, user_id, now=BUILT, title="Pending")
    await answer_checkin(connection, await add_checkin(connection, user_id, answered_goal, date(2025, 6, 10)))
    await add_checkin(connection, user_id, pending_goal, date(2025, 6, 10))

    # When the tick runs at 18:00
    counts = await tick_reminders(job_context(database, settings), DUE)

    # Then only the unanswered goal is reminded, and both slots move to tomorrow
    assert (counts["answered"], counts["notified"]) == (1, 1)
    [notice] = await notices(connection)
    assert notice.entity_id == pending_goal
    assert "Pending" in notice.title + notice.body
    for goal_id in (answered_goal, pending_goal):
        assert await next_fire_times(connection, goal_id) == [DUE + timedelta(days=1)]


@pytest.mark.parametrize("status", ["paused", "archived"])
async def test_paused_or_archived_goal_gets_no_more_reminders(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings, status: str
) -> None:
    # Given a goal reminded today, then deactivated
    user_id = await add_user(connection, timezone="America/New_York")
    goal_id = await add_goal(connection, user_id, now=BUILT)
    context = job_context(database, settings)
    await tick_reminders(context, DUE)
    await set_goal_status(connection, goal_id, status, now=DUE + timedelta(hours=1))

    # When the tick runs at 18:00 on the following days
    for day in range(1, 4):
        await tick_reminders(context, DUE + timedelta(days=day))

    # Then only the first day's reminder exists
    assert len(await notices(connection)) == 1


async def test_a_slot_left_behind_by_a_deactivated_goal_sends_nothing(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a goal paused without its slot being rebuilt (defence in depth: the tick rechecks)
    user_id = await add_user(connection, timezone="America/New_York")
    goal_id = await add_goal(connection, user_id, now=BUILT)
    await connection.execute(sa.text("UPDATE goals SET status = 'paused' WHERE id = :id"), {"id": goal_id})

    # When its slot comes due
    counts = await tick_reminders(job_context(database, settings), DUE)

    # Then nothing is sent and the slot moves on
    assert (counts["not_scheduled"], counts["notified"]) == (1, 0)
    assert await notices(connection) == []
    assert await next_fire_times(connection, goal_id) == [DUE + timedelta(days=1)]


async def test_stopped_scheduler_catches_up_within_the_bound_and_drops_stale_reminders(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given reminders due at 17:05, 17:30 and 18:00 in New York, and a scheduler stopped since 17:00
    user_id = await add_user(connection, timezone="America/New_York")
    stale_goal = await add_goal(connection, user_id, now=BUILT, reminder_times=["17:05"], title="Stale")
    late_goal = await add_goal(connection, user_id, now=BUILT, reminder_times=["17:30"], title="Late")
    due_goal = await add_goal(connection, user_id, now=BUILT, reminder_times=["18:00"], title="Due")
    assert settings.reminder_stale_after_minutes == 60

    # When it comes back at 18:10 (the first is 65 minutes late, the second 40)
    counts = await tick_reminders(job_context(database, settings), DUE + timedelta(minutes=10))

    # Then the two within the bound are sent, the stale one is dropped, and all three moved to tomorrow
    assert (counts["due"], counts["stale"], counts["notified"]) == (3, 1, 2)
    assert {notice.entity_id for notice in await notices(connection)} == {late_goal, due_goal}
    [stale_next] = await next_fire_times(connection, stale_goal)
    assert stale_next == utc("2025-06-11T21:05")


async def test_doubled_tick_and_reset_slot_send_nothing_twice(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a reminder sent at 18:00
    user_id = await add_user(connection, timezone="America/New_York")
    goal_id = await add_goal(connection, user_id, now=BUILT)
    context = job_context(database, settings)
    await tick_reminders(context, DUE)

    # When the tick runs again in the same minute, and again after the slot was put back on 18:00
    again = await tick_reminders(context, DUE + timedelta(seconds=30))
    await connection.execute(
        sa.update(reminder_slots).where(reminder_slots.c.goal_id == goal_id).values(next_fire_at=DUE)
    )
    after_reset = await tick_reminders(context, DUE + timedelta(seconds=40))

    # Then the first finds nothing due, the second is deduplicated: one reminder in all
    assert again["due"] == 0
    assert (after_reset["sendable"], after_reset["notified"]) == (1, 0)
    assert len(await notices(connection)) == 1


async def test_a_tick_finds_the_lock_taken_and_does_nothing(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings, engine: AsyncEngine
) -> None:
    # Given a due reminder and another run holding the tick's lock on its own connection
    user_id = await add_user(connection, timezone="America/New_York")
    await add_goal(connection, user_id, now=BUILT)
    async with engine.connect() as other, other.begin():
        assert await try_job_lock(other, TICK_JOB)

        # When the tick runs meanwhile
        counts = await tick_reminders(job_context(database, settings), DUE)

    # Then it stopped at the lock
    assert counts == {"locked": 1}
    assert await notices(connection) == []


async def test_a_slot_read_as_due_by_two_overlapping_ticks_is_claimed_by_one(
    connection: AsyncConnection,
) -> None:
    # Given three due slots that two overlapping ticks both read as due
    user_id = await add_user(connection, timezone="America/New_York")
    for time in ("17:58", "17:59", "18:00"):
        await add_goal(connection, user_id, now=BUILT, reminder_times=[time])
    seen_by_first = await select_due_slots(connection, now=DUE, lease=CLAIM_LEASE, limit=10)
    seen_by_second = await select_due_slots(connection, now=DUE, lease=CLAIM_LEASE, limit=10)

    # When each claims what it saw, one after the other
    first = await claim_slots(
        connection, [slot.slot_id for slot in seen_by_first], now=DUE, lease=CLAIM_LEASE
    )
    second = await claim_slots(
        connection,
        [slot.slot_id for slot in seen_by_second],
        now=DUE + timedelta(seconds=1),
        lease=CLAIM_LEASE,
    )

    # Then the first got all three and the second none
    assert (len(first), second) == (3, [])


@pytest.fixture
async def reminders_queue(redis: Redis, settings: Settings) -> AsyncIterator[str]:
    """The key of the chunk queue's message hash, emptied before and after the test."""
    keys = [f"{settings.dramatiq_namespace}:{SEND_CHUNK.queue_name}{suffix}" for suffix in ("", ".msgs")]
    await redis.delete(*keys)
    yield keys[1]
    await redis.delete(*keys)


async def queued_chunks(redis: Redis, messages_key: str) -> list[tuple[list[UUID], str]]:
    payloads = [json.loads(raw) for raw in (await redis.hgetall(messages_key)).values()]
    assert {payload["actor_name"] for payload in payloads} <= {SEND_CHUNK.actor_name}
    return [([UUID(slot_id) for slot_id in payload["args"][0]], payload["args"][1]) for payload in payloads]


async def test_a_large_due_set_goes_out_in_chunk_messages_of_100_and_each_chunk_is_idempotent(
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    redis: Redis,
    reminders_queue: str,
) -> None:
    # Given 250 users whose reminder is due in the same minute
    for _ in range(250):
        await add_goal(connection, await add_user(connection, timezone="America/New_York"), now=BUILT)
    context = job_context(database, settings)

    # When the tick runs: it claims them all and enqueues chunks instead of sending
    counts = await tick_reminders(context, DUE)
    chunks = await queued_chunks(redis, reminders_queue)
    # And a second tick in the same minute finds them claimed
    second = await tick_reminders(context, DUE + timedelta(seconds=20))

    # Then there are three chunks of at most 100 slots covering all 250, and nothing sent yet
    assert (counts["claimed"], counts["chunks"], second["due"]) == (250, 3, 0)
    assert sorted(len(slot_ids) for slot_ids, _ in chunks) == [50, CHUNK_SIZE, CHUNK_SIZE]
    assert await notices(connection) == []

    # When every chunk message is delivered twice
    for slot_ids, tick_now in chunks * 2:
        await send_reminder_chunk(context, slot_ids, datetime.fromisoformat(tick_now))

    # Then each user got exactly one reminder
    sent = await notices(connection)
    assert len(sent) == len({notice.user_id for notice in sent}) == 250


async def test_a_lost_chunk_message_is_claimed_again_after_the_lease(
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    redis: Redis,
    reminders_queue: str,
) -> None:
    # Given 101 due reminders claimed by a tick whose chunk messages were then lost
    for _ in range(CHUNK_SIZE + 1):
        await add_goal(connection, await add_user(connection, timezone="America/New_York"), now=BUILT)
    context = job_context(database, settings)
    await tick_reminders(context, DUE)
    await redis.delete(reminders_queue)

    # When ticks run during the lease and after it (still within the staleness bound)
    during = await tick_reminders(context, DUE + timedelta(minutes=4))
    after = await tick_reminders(context, DUE + timedelta(minutes=6))

    # Then only the later tick claims them again
    assert (during["due"], after["claimed"], after["chunks"]) == (0, CHUNK_SIZE + 1, 2)


async def test_two_concurrent_ticks_on_two_connections_send_each_reminder_once(
    committed_database: EngineDatabase, settings: Settings
) -> None:
    # Given 30 committed reminders due at 18:00
    async with committed_database.transaction() as tx:
        for _ in range(30):
            await add_goal(
                tx.connection, await add_user(tx.connection, timezone="America/New_York"), now=BUILT
            )
    context = job_context(committed_database, settings)

    # When two ticks run at once (two scheduler processes), then a third one
    results = await asyncio.gather(tick_reminders(context, DUE), tick_reminders(context, DUE))
    third = await tick_reminders(context, DUE + timedelta(seconds=5))

    # Then together they sent 30 reminders, one per user
    assert sum(result["notified"] for result in results) == 30
    assert third["due"] == 0
    async with committed_database.transaction() as tx:
        sent = await notices(tx.connection)
    assert len(sent) == len({notice.user_id for notice in sent}) == 30
