"""insights.detect_patterns and its chunks (workers/jobs/insights.py, docs/domain.md §4): premium users'
active goals only, chunks of users as messages, one generation per goal per day however often it runs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.locks import try_job_lock
from db.tables import users
from settings import Settings
from tests.jobs.scheduling_support import job_context
from tests.support.insights import EXPECTED_METRICS, insight_of, queued, seed_history
from tests.support.rows import insert_goal_row, insert_user_row, utc
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs import insights
from workers.jobs.insights import DETECT_CHUNK, DETECT_JOB, detect_patterns, detect_patterns_for

# Monday 02:00 UTC, the job's cron; local today is that Monday in UTC.
RUN_AT = utc("2026-03-09T02:00")
TODAY = date(2026, 3, 9)


async def premium_user(connection: AsyncConnection, **fields: Any) -> UUID:
    return await insert_user_row(connection, plan="premium", **fields)


async def test_the_job_sends_premium_users_with_an_active_goal_in_chunks(
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    redis: Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given five premium users with an active goal, pages of 3 users and chunks of 2
    monkeypatch.setattr(insights, "PAGE_USERS", 3)
    monkeypatch.setattr(insights, "CHUNK_USERS", 2)
    premium = [await premium_user(connection) for _ in range(5)]
    # and users the job must leave out: free, only a paused goal, not onboarded, disabled
    left_out = [
        await insert_user_row(connection),
        await premium_user(connection),
        await premium_user(connection, onboarded=False),
        await premium_user(connection, status="disabled"),
    ]
    for user_id in [*premium, left_out[0], left_out[2], left_out[3]]:
        await insert_goal_row(connection, user_id)
    await insert_goal_row(connection, left_out[1], status="paused")

    # When the job runs
    counts = await detect_patterns(job_context(database, settings), RUN_AT)

    # Then exactly the premium users left, two per message, in three messages
    mine = {str(user_id) for user_id in premium + left_out}
    chunks = [args[0] for args in await queued(redis, settings, DETECT_CHUNK) if mine & set(args[0])]
    assert sorted(user for chunk in chunks for user in chunk) == sorted(str(user_id) for user_id in premium)
    assert sorted(len(chunk) for chunk in chunks) == [1, 2, 2]
    assert (counts["users"], counts["chunks"]) == (5, 3)


async def test_a_chunk_generates_premium_active_goals_once_a_day(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a premium user with an active goal (history), a paused goal and a goal without data,
    # and a free user with an active goal with the same history
    owner = await premium_user(connection)
    active = await insert_goal_row(connection, owner, current_streak=2, longest_streak=5)
    paused = await insert_goal_row(connection, owner, status="paused")
    empty = await insert_goal_row(connection, owner)
    free = await insert_user_row(connection)
    free_goal = await insert_goal_row(connection, free)
    for user_id, goal_id in ((owner, active), (owner, paused), (free, free_goal)):
        await seed_history(connection, user_id, goal_id, TODAY)
    context = job_context(database, settings)

    # When a chunk holding both users runs, then again the same day
    first = await detect_patterns_for(context, [owner, free], now=RUN_AT)
    second = await detect_patterns_for(context, [owner, free], now=RUN_AT + timedelta(hours=3))

    # Then only the premium user's active goals have rows, generated once
    assert (first["goals"], first["claimed"], first["stored"]) == (2, 1, 1)
    assert (second["claimed"], second["stored"]) == (0, 0)
    row = await insight_of(connection, active)
    assert row is not None
    assert row.status == "completed"
    assert row.generated_at == RUN_AT
    # The seeded weekdays fall two days earlier than in EXPECTED_METRICS' Wednesday: the 100 % days are
    # Friday and Sunday (best: Sunday, the lower index), the 0 % day Saturday.
    assert {key: row.current_metrics[key] for key in EXPECTED_METRICS} == {
        **EXPECTED_METRICS,
        "worst_day_index": 6,
    }
    empty_row = await insight_of(connection, empty)
    assert empty_row is not None
    assert empty_row.status == "insufficient_data"
    assert await insight_of(connection, paused) is None
    assert await insight_of(connection, free_goal) is None

    # And a week later the row is overwritten, the last metrics becoming the previous ones
    week_later = await detect_patterns_for(context, [owner], now=RUN_AT + timedelta(days=7))
    assert week_later["stored"] == 1
    again = await insight_of(connection, active)
    assert again is not None
    assert again.previous_metrics == row.current_metrics
    assert again.generated_at == RUN_AT + timedelta(days=7)


async def test_a_user_who_lost_the_feature_is_skipped_by_the_chunk(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    owner = await premium_user(connection)
    goal_id = await insert_goal_row(connection, owner)
    await seed_history(connection, owner, goal_id, TODAY)
    await connection.execute(sa.update(users).where(users.c.id == owner).values(plan="free"))

    counts = await detect_patterns_for(job_context(database, settings), [owner], now=RUN_AT)

    assert counts["goals"] == 0
    assert await insight_of(connection, goal_id) is None


async def test_a_run_finds_the_lock_taken_and_sends_nothing(
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    redis: Redis,
    engine: AsyncEngine,
) -> None:
    # Given a premium user with an active goal and another run holding the job's lock
    owner = await premium_user(connection)
    await insert_goal_row(connection, owner)
    async with engine.connect() as other, other.begin():
        assert await try_job_lock(other, DETECT_JOB)

        # When the job runs meanwhile
        counts = await detect_patterns(job_context(database, settings), RUN_AT)

    # Then it stopped at the lock
    assert counts == {"locked": 1}
    chunks = await queued(redis, settings, DETECT_CHUNK)
    assert not [chunk for chunk in chunks if str(owner) in chunk[0]]
