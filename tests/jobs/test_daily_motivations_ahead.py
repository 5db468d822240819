"""motivations.prepare and motivations.write_chunk: each morning's daily motivation written ahead of the
user's local morning, each user claimed once, one row per user and local date
(workers/jobs/daily_motivations.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, time, timedelta
from typing import Any
from uuid import UUID

import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import daily_motivations, users
from db.users import refresh_morning_motivation
from domain.daily_motivation import BACKGROUND_COLORS, BackgroundStyle, MotivationSubject, template_motivation
from settings import Settings
from tests.jobs.scheduling_support import add_goal, add_user, job_context
from tests.support.queues import QueueProbe, probed_queue
from tests.support.rows import utc
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.daily_motivations import (
    CLAIM_LEASE,
    WRITE_CHUNK,
    prepare_daily_motivations,
    write_daily_motivations,
)

# 08:00 in Tokyo (+9) on Tuesday 2025-06-10 is 23:00 UTC on the 9th; the job runs 90 minutes before.
MORNING = utc("2025-06-09T23:00")
RUN = MORNING - timedelta(minutes=90)
TOKYO_DATE = date(2025, 6, 10)


@pytest.fixture
async def chunk_queue(redis: aioredis.Redis, settings: Settings) -> AsyncIterator[QueueProbe]:
    async with probed_queue(redis, settings, WRITE_CHUNK.queue_name) as probe:
        yield probe


async def sent_chunks(queue: QueueProbe) -> list[list[list[str]]]:
    """The `pairs` argument of every chunk message sent so far."""
    messages = await queue.messages()
    assert all(message["actor_name"] == WRITE_CHUNK.actor_name for message in messages)
    return [message["args"][0] for message in messages]


async def morning_user(connection: AsyncConnection, *, timezone: str = "Asia/Tokyo", **fields: Any) -> UUID:
    """A user whose morning instant is set as the profile code sets it, as of well before the run."""
    user_id = await add_user(connection, timezone=timezone, **fields)
    await refresh_morning_motivation(connection, [user_id], now=RUN - timedelta(hours=12))
    return user_id


async def rows_of(connection: AsyncConnection, user_id: UUID) -> list[Any]:
    result = await connection.execute(
        sa.select(daily_motivations).where(daily_motivations.c.user_id == user_id)
    )
    return list(result)


async def test_the_users_whose_morning_is_near_are_claimed_once_and_written_once(
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    chunk_queue: QueueProbe,
) -> None:
    # Given a Tokyo user whose 08:00 is 90 minutes away, and users who must not be taken: a morning
    # 3 hours away, the morning notice off, a disabled account, and one whose row is written already
    due = await morning_user(connection, name="Kenji Sato", motivation_style="calm")
    await morning_user(connection, morning_motivation_time=time(9, 30))
    await morning_user(connection, morning_motivation_enabled=False)
    await morning_user(connection, status="disabled")
    written = await morning_user(connection)
    await connection.execute(
        sa.insert(daily_motivations).values(
            user_id=written,
            date=TOKYO_DATE,
            message="Already here",
            background_style="gradient_ice",
            background_colors=list(BACKGROUND_COLORS[BackgroundStyle.GRADIENT_ICE]),
            generated_at=RUN,
        )
    )
    context = job_context(database, settings)

    # When the job runs, and again (an overlapping or repeated tick)
    first = await prepare_daily_motivations(context, RUN)
    second = await prepare_daily_motivations(context, RUN + timedelta(minutes=10))

    # Then only the due user was claimed, once, for their local date, in one chunk message
    assert (first["claimed"], first["chunks"], second["claimed"]) == (1, 1, 0)
    assert await sent_chunks(chunk_queue) == [[[str(due), TOKYO_DATE.isoformat()]]]

    # When the chunk runs twice (a redelivered message)
    pairs = [(due, TOKYO_DATE)]
    once = await write_daily_motivations(context, pairs, now=RUN)
    twice = await write_daily_motivations(context, pairs, now=RUN)

    # Then one row holds the user's template (no model here), dated by their calendar
    assert (once["stored"], twice["stored"], twice["written_before"]) == (1, 0, 1)
    [row] = await rows_of(connection, due)
    assert row.date == TOKYO_DATE
    assert row.message == template_motivation(MotivationSubject("Kenji Sato", "calm", (), 0))
    assert row.background_colors == list(BACKGROUND_COLORS[BackgroundStyle(row.background_style)])
    # And a later run within the morning's lead takes nobody: the row is written
    later = await prepare_daily_motivations(context, RUN + CLAIM_LEASE + timedelta(minutes=1))
    assert later["claimed"] == 0


async def test_a_claim_whose_row_never_came_is_taken_again_after_the_lease(
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    chunk_queue: QueueProbe,
) -> None:
    # Given a due user claimed by a run whose message was lost
    user_id = await morning_user(connection)
    context = job_context(database, settings)
    assert (await prepare_daily_motivations(context, RUN))["claimed"] == 1

    # When runs come within the lease and after it
    within = await prepare_daily_motivations(context, RUN + CLAIM_LEASE - timedelta(minutes=1))
    after = await prepare_daily_motivations(context, RUN + CLAIM_LEASE)

    # Then the user is claimed again only once the lease ran out
    assert (within["claimed"], after["claimed"]) == (0, 1)
    assert len(await sent_chunks(chunk_queue)) == 2
    assert await rows_of(connection, user_id) == []


async def test_writing_a_morning_deletes_the_users_earlier_rows(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given yesterday's row and today's goals
    user_id = await morning_user(connection)
    await add_goal(connection, user_id, now=RUN, title="Read")
    await connection.execute(
        sa.insert(daily_motivations).values(
            user_id=user_id,
            date=TOKYO_DATE - timedelta(days=1),
            message="Yesterday",
            background_colors=list(BACKGROUND_COLORS[BackgroundStyle.GRADIENT_SUNSET]),
            generated_at=RUN - timedelta(days=1),
        )
    )

    # When this morning's row is written
    await write_daily_motivations(job_context(database, settings), [(user_id, TOKYO_DATE)], now=RUN)

    # Then it is the only row left
    assert [row.date for row in await rows_of(connection, user_id)] == [TOKYO_DATE]


async def test_a_user_deleted_before_the_chunk_is_skipped(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    user_id = await morning_user(connection)
    await connection.execute(sa.delete(users).where(users.c.id == user_id))

    counts = await write_daily_motivations(job_context(database, settings), [(user_id, TOKYO_DATE)], now=RUN)

    assert (counts["given"], counts["stored"]) == (1, 0)
