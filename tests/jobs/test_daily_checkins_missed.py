"""checkins.mark_missed: a pending row turns missed when its owner's local day ends, and the same
statement zeroes the goal's streak; answered rows and today's pending rows are never touched."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.daily_checkins import mark_missed_checkins, realign_user_pending_checkins
from db.locks import try_job_lock
from db.tables import check_ins, goals, users
from tests.jobs.test_daily_checkins import checkin_rows
from tests.support.rows import insert_goal_row as add_goal
from tests.support.rows import insert_user_row as add_user
from tests.support.rows import pending_day_end, utc
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.daily_checkins import MARK_MISSED_JOB, run_mark_missed

JUNE_12 = date(2024, 6, 12)


async def add_checkin(
    connection: AsyncConnection, goal_id: UUID, day: date = JUNE_12, status: str = "pending"
) -> None:
    user_id = (await connection.execute(sa.select(goals.c.user_id).where(goals.c.id == goal_id))).scalar_one()
    await connection.execute(
        sa.insert(check_ins).values(
            user_id=user_id,
            goal_id=goal_id,
            check_in_date=day,
            status=status,
            prompt_due_at=utc("2024-06-12T18:30") if status == "pending" else None,
            followup_due_at=utc("2024-06-12T20:30") if status == "pending" else None,
            missed_due_at=pending_day_end(user_id, day) if status == "pending" else None,
        )
    )


async def streak_of(connection: AsyncConnection, goal_id: UUID) -> tuple[int, date | None, int]:
    row = (
        await connection.execute(
            sa.select(goals.c.current_streak, goals.c.streak_start_date, goals.c.longest_streak).where(
                goals.c.id == goal_id
            )
        )
    ).one()
    return row.current_streak, row.streak_start_date, row.longest_streak


async def on_a_streak(connection: AsyncConnection, timezone: str) -> UUID:
    """A goal on a 5-day streak (best 9) with a pending row for 2024-06-12."""
    goal_id = await add_goal(
        connection,
        await add_user(connection, timezone),
        current_streak=5,
        longest_streak=9,
        streak_start_date=date(2024, 6, 7),
    )
    await add_checkin(connection, goal_id)
    return goal_id


async def test_pending_rows_turn_missed_at_the_owners_local_midnight_and_zero_the_streak(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given goals on a streak in Auckland and Los Angeles, each with a pending row for 2024-06-12
    auckland = await on_a_streak(connection, "Pacific/Auckland")
    los_angeles = await on_a_streak(connection, "America/Los_Angeles")

    # When the job runs at 12:05 UTC: past midnight in Auckland, 05:05 in Los Angeles
    assert await run_mark_missed(database, now=utc("2024-06-12T12:05")) == 1
    # Then only Auckland's row is missed, its streak zeroed in the same statement (the best stays)
    assert await checkin_rows(connection) == {
        (auckland, JUNE_12, "missed"),
        (los_angeles, JUNE_12, "pending"),
    }
    assert await streak_of(connection, auckland) == (0, None, 9)
    assert await streak_of(connection, los_angeles) == (5, date(2024, 6, 7), 9)

    # When it runs after UTC midnight (17:05 in Los Angeles), then after Los Angeles midnight
    assert await run_mark_missed(database, now=utc("2024-06-13T00:05")) == 0
    assert await run_mark_missed(database, now=utc("2024-06-13T07:05")) == 1
    # Then Los Angeles' row turned missed only then
    assert await checkin_rows(connection) == {(auckland, JUNE_12, "missed"), (los_angeles, JUNE_12, "missed")}
    assert await streak_of(connection, los_angeles) == (0, None, 9)


async def test_an_earlier_pending_row_ends_with_the_day_of_the_owners_new_timezone(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given a Los Angeles goal with a pending row for 2024-06-12 (due to turn missed at LA midnight)
    goal_id = await on_a_streak(connection, "America/Los_Angeles")
    user_id = (await connection.execute(sa.select(goals.c.user_id).where(goals.c.id == goal_id))).scalar_one()
    # When its owner moves to Auckland on 2024-06-14 (local), the day's rows realigned
    moved = sa.update(users).where(users.c.id == user_id).values(timezone="Pacific/Auckland")
    await connection.execute(moved)
    await realign_user_pending_checkins(connection, user_id, local_date=date(2024, 6, 14))
    # Then the June 12 row is due at Auckland's end of June 12, long before Los Angeles' one
    assert await run_mark_missed(database, now=utc("2024-06-12T12:05")) == 1
    assert (goal_id, JUNE_12, "missed") in await checkin_rows(connection)


async def test_answered_rows_and_todays_pending_rows_stay_and_due_instants_are_cleared(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given yesterday answered for one goal, and today pending for another (UTC)
    user_id = await add_user(connection, "UTC")
    answered = await add_goal(connection, user_id, current_streak=3, longest_streak=3)
    await add_checkin(connection, answered, status="completed")
    today = await add_goal(connection, user_id, current_streak=2, longest_streak=2)
    await add_checkin(connection, today, day=date(2024, 6, 13))
    missed = await add_goal(connection, user_id)
    await add_checkin(connection, missed)
    # When the job runs on 2024-06-13
    assert await run_mark_missed(database, now=utc("2024-06-13T00:05")) == 1
    # Then only yesterday's pending row changed, and it no longer asks for a prompt or follow-up
    assert await checkin_rows(connection) == {
        (answered, JUNE_12, "completed"),
        (today, date(2024, 6, 13), "pending"),
        (missed, JUNE_12, "missed"),
    }
    assert await streak_of(connection, answered) == (3, None, 3)
    assert await streak_of(connection, today) == (2, None, 2)
    due = await connection.execute(
        sa.select(check_ins.c.prompt_due_at, check_ins.c.followup_due_at).where(check_ins.c.goal_id == missed)
    )
    assert due.one() == (None, None)


async def test_a_doubled_run_changes_nothing(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given a missed row already handled by a first run, and a streak rebuilt since (an answer today)
    goal_id = await on_a_streak(connection, "UTC")
    assert await run_mark_missed(database, now=utc("2024-06-13T00:05")) == 1
    await connection.execute(
        sa.update(goals)
        .where(goals.c.id == goal_id)
        .values(current_streak=1, streak_start_date=date(2024, 6, 13))
    )
    # When the job runs again
    assert await run_mark_missed(database, now=utc("2024-06-13T00:20")) == 0
    # Then the new streak is left alone
    assert await streak_of(connection, goal_id) == (1, date(2024, 6, 13), 9)


async def test_a_run_finds_the_lock_taken_and_does_nothing(
    connection: AsyncConnection, database: SavepointDatabase, engine: AsyncEngine
) -> None:
    # Given a due row, and another process in the middle of a mark-missed run
    goal_id = await on_a_streak(connection, "UTC")
    async with engine.connect() as other_process, other_process.begin():
        assert await try_job_lock(other_process, MARK_MISSED_JOB)
        # When this run starts meanwhile
        missed = await run_mark_missed(database, now=utc("2024-06-13T00:05"))
    # Then it stepped aside without writing
    assert missed == 0
    assert await checkin_rows(connection) == {(goal_id, JUNE_12, "pending")}


async def test_batches_run_until_no_due_row_is_left(connection: AsyncConnection) -> None:
    # Given three users, each with two goals whose pending rows are overdue (one with two days each)
    goal_ids = []
    for _ in range(3):
        user_id = await add_user(connection, "UTC")
        goal_ids += [await add_goal(connection, user_id), await add_goal(connection, user_id)]
    for goal_id in goal_ids:
        await add_checkin(connection, goal_id)
    await add_checkin(connection, goal_ids[0], day=date(2024, 6, 11))
    # When batches of two are taken until one comes back short
    sizes = []
    while True:
        missed = await mark_missed_checkins(connection, now=utc("2024-06-13T00:05"), limit=2)
        sizes.append(missed)
        if missed < 2:
            break
    # Then all seven rows are missed, none twice
    assert sum(sizes) == 7
    assert {status for _, _, status in await checkin_rows(connection)} == {"missed"}
