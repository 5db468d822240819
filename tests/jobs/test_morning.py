"""reminders.morning: the morning motivation at the user's local morning time, when a goal is
scheduled that day, once per local day (workers/jobs/morning_motivations.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import goals, users
from db.users import refresh_morning_motivation
from settings import Settings
from tests.jobs.scheduling_support import (
    add_goal,
    add_user,
    job_context,
    notices,
)
from tests.support.rows import utc
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.morning_motivations import send_morning_motivations

# 08:00 in Tokyo (+9, no DST) on Tuesday 2025-06-10.
MORNING = utc("2025-06-09T23:00")
BEFORE = MORNING - timedelta(hours=12)


async def morning_user(connection: AsyncConnection, **fields: object) -> UUID:
    user_id = await add_user(connection, timezone="Asia/Tokyo", name="Kenji Sato", **fields)
    await refresh_morning_motivation(connection, [user_id], now=BEFORE)
    return user_id


async def next_morning(connection: AsyncConnection, user_id: UUID) -> datetime | None:
    result = await connection.execute(
        sa.select(users.c.next_morning_motivation_at).where(users.c.id == user_id)
    )
    value: datetime | None = result.scalar_one()
    return value


async def test_one_goal_today_is_named_with_its_streak_and_the_instant_moves_to_tomorrow(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a user whose 08:00 morning notice is due, with one daily goal on a 12-day streak
    user_id = await morning_user(connection)
    goal_id = await add_goal(connection, user_id, now=BEFORE, title="Read 20 pages", current_streak=12)
    context = job_context(database, settings)

    # When the job runs a minute early, on time, and again
    early = await send_morning_motivations(context, MORNING - timedelta(minutes=1))
    on_time = await send_morning_motivations(context, MORNING)
    again = await send_morning_motivations(context, MORNING + timedelta(minutes=1))

    # Then one notice names the goal and its streak and opens the goal
    assert (early["due"], on_time["notified"], again["due"]) == (0, 1, 0)
    [notice] = await notices(connection)
    assert notice.dedupe_key == f"morning_motivation:{user_id}:2025-06-10"
    assert "Read 20 pages" in notice.body
    assert "12" in notice.body
    assert "Kenji" in notice.title
    assert notice.data == {
        "type": "goal_prep",
        "goalId": str(goal_id),
        "deepLink": f"/(user)/(goals)/details?id={goal_id}",
    }
    # And the next one is due tomorrow at 08:00 local
    assert await next_morning(connection, user_id) == MORNING + timedelta(days=1)


async def test_several_goals_today_are_listed_and_a_goal_not_scheduled_today_is_left_out(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given two daily goals created one after the other and a weekly goal on Sundays only (Tuesday today)
    user_id = await morning_user(connection)
    for days_ago, title in ((30, "Run"), (20, "Meditate")):
        goal_id = await add_goal(connection, user_id, now=BEFORE, title=title)
        await connection.execute(
            sa.update(goals).where(goals.c.id == goal_id).values(created_at=BEFORE - timedelta(days=days_ago))
        )
    await add_goal(connection, user_id, now=BEFORE, title="Long ride", target_days=[0])

    # When the job runs at 08:00
    await send_morning_motivations(job_context(database, settings), MORNING)

    # Then the notice lists the two goals of the day and opens home
    [notice] = await notices(connection)
    assert notice.body == "2 goals today: Run, Meditate"
    assert notice.data == {"type": "goal_prep", "deepLink": "/(user)/(tabs)/home"}
    assert notice.entity_id is None


async def test_no_goal_scheduled_today_means_no_notice_but_the_instant_still_moves(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given only a Sunday goal, and a paused daily goal
    user_id = await morning_user(connection)
    await add_goal(connection, user_id, now=BEFORE, title="Long ride", target_days=[0])
    await add_goal(connection, user_id, now=BEFORE, title="Paused", status="paused")

    # When the job runs at 08:00 on Tuesday
    counts = await send_morning_motivations(job_context(database, settings), MORNING)

    # Then nothing is sent and tomorrow's instant is set
    assert (counts["no_goal_today"], counts["notified"]) == (1, 0)
    assert await notices(connection) == []
    assert await next_morning(connection, user_id) == MORNING + timedelta(days=1)


async def test_a_morning_later_than_the_bound_is_skipped_and_a_disabled_user_gets_none(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a due user with a goal, and a user whose switch went off after the instant was set
    late_user = await morning_user(connection)
    await add_goal(connection, late_user, now=BEFORE)
    switched_off = await morning_user(connection)
    await add_goal(connection, switched_off, now=BEFORE)
    await connection.execute(
        sa.update(users).where(users.c.id == switched_off).values(morning_motivation_enabled=False)
    )

    # When the job first runs at 09:05 local
    counts = await send_morning_motivations(job_context(database, settings), MORNING + timedelta(minutes=65))

    # Then neither gets a notice; the late user waits for tomorrow, the disabled one for nothing
    assert (counts["due"], counts["dropped"], counts["notified"]) == (2, 2, 0)
    assert await next_morning(connection, late_user) == MORNING + timedelta(days=1)
    assert await next_morning(connection, switched_off) is None
