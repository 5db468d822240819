"""The streak fields kept incrementally (answers through the API, the day-start and missed jobs) always
equal the full walk over the rows (domain.streaks.recompute_stats, db.checkins.recompute_goal_streaks)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db.checkins import recompute_goal_streaks
from db.tables import goals
from domain.schedule import is_scheduled
from domain.streaks import GoalStreakStats, recompute_stats
from tests.api.auth_support import MakeUser
from tests.api.checkins_support import (
    answer,
    at_local,
    goal_stats,
    insert_checkin,
    rows_of_goal,
)
from tests.support.rows import insert_goal_row as insert_goal
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.daily_checkins import mark_missed, precreate_pending_checkins

# March–April 2024 crosses Los Angeles' spring-forward (03-10) and Auckland's fall-back (04-07).
FIRST_DAY = date(2024, 3, 4)
DAYS = 40
ZONES = ("Pacific/Auckland", "America/Los_Angeles", "UTC")
ANSWERS = ("completed", "completed", "completed", "skipped", "rest_day", None, None)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2024, 3, 1, tzinfo=UTC))


async def full_walk(connection: AsyncConnection, goal_id: UUID) -> GoalStreakStats:
    return recompute_stats((row.check_in_date, row.status) for row in await rows_of_goal(connection, goal_id))


@pytest.mark.parametrize("seed", range(6))
async def test_incremental_streaks_agree_with_the_full_walk_after_random_histories(
    client: AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    database: SavepointDatabase,
    clock: FixedClock,
    seed: int,
) -> None:
    # Given an owner in a random zone with a random daily or weekly goal
    rng = random.Random(seed)
    zone = rng.choice(ZONES)
    user = await make_user(timezone=zone)
    target_days = None if rng.random() < 0.4 else sorted(rng.sample(range(7), rng.randint(1, 4)))
    goal_id = await insert_goal(connection, user.id, target_days=target_days)

    for offset in range(DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        # When the day starts (pending rows), then, in a random order within the day, the missed job may
        # run (or not, leaving older rows pending) and the owner may answer (or not)
        await precreate_pending_checkins(database, now=at_local(zone, day, time(0, 5)))
        events: list[tuple[int, str | None]] = []
        if rng.random() < 0.5:
            events.append((rng.randint(0, 23), "job"))
        if is_scheduled("daily" if target_days is None else "weekly", target_days, day):
            events.append((rng.randint(0, 23), rng.choice(ANSWERS)))
        for hour, event in sorted(events, key=lambda item: item[0]):
            clock.instant = at_local(zone, day, time(hour, 30))
            if event == "job":
                await mark_missed(database, now=clock.instant)
            elif event is not None:
                response = await answer(
                    client, user, goal_id, completed=event == "completed", is_rest_day=event == "rest_day"
                )
                assert response.status_code == 201, response.text

        # Then at the end of every day the stored stats equal the walk over the rows
        assert await goal_stats(connection, goal_id) == await full_walk(connection, goal_id), (seed, day)

    # And the repair function writes exactly what the incremental path already holds
    kept = await goal_stats(connection, goal_id)
    assert (await recompute_goal_streaks(connection, [goal_id]))[goal_id] == kept
    assert await goal_stats(connection, goal_id) == kept


async def test_recompute_repairs_corrupted_stats_of_several_goals_at_once(
    make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given two goals whose stored stats were corrupted, one of them without any row
    user = await make_user()
    with_rows, without_rows = await insert_goal(connection, user.id), await insert_goal(connection, user.id)
    for offset, status in enumerate(("completed", "completed", "missed", "completed", "rest_day")):
        await insert_checkin(connection, user.id, with_rows, FIRST_DAY + timedelta(days=offset), status)
    await connection.execute(
        sa.update(goals)
        .where(goals.c.id.in_([with_rows, without_rows]))
        .values(current_streak=40, longest_streak=50, total_completions=99)
    )

    # When both are recomputed
    rebuilt = await recompute_goal_streaks(connection, [with_rows, without_rows])

    # Then the stored stats are the walk's (a goal without rows is back to a new goal's)
    assert (
        await goal_stats(connection, with_rows)
        == rebuilt[with_rows]
        == await full_walk(connection, with_rows)
    )
    assert (rebuilt[with_rows].current_streak, rebuilt[with_rows].longest_streak) == (1, 2)
    assert await goal_stats(connection, without_rows) == GoalStreakStats()
