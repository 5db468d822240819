"""engagement.reengage: once a day, in the user's local 10:00 hour, for users with ≥ 2 missed check-ins
in the last 14 local days and a goal scheduled today (workers/jobs/reengagement.py)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import check_ins, goals, users
from settings import Settings
from tests.jobs.scheduling_support import (
    add_checkin,
    add_goal,
    add_user,
    job_context,
    notices,
)
from tests.support.rows import utc
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.reengagement import BATCH_SIZE, send_reengagement_notifications, zones_in_notice_hour

# 10:00 in Berlin (CEST, +2) on Wednesday 2025-06-11; 01:00 in Los Angeles.
RUN_AT = utc("2025-06-11T08:00")
TODAY = date(2025, 6, 11)


async def user_with_missed(
    connection: AsyncConnection,
    missed_days_ago: list[int],
    *,
    timezone: str = "Europe/Berlin",
    target_days: list[int] | None = None,
    **fields: object,
) -> UUID:
    """A user with one goal and missed check-ins that many days before TODAY."""
    user_id = await add_user(connection, timezone=timezone, name="Lea Braun", **fields)
    goal_id = await add_goal(connection, user_id, now=RUN_AT, target_days=target_days)
    for days_ago in missed_days_ago:
        await add_checkin(connection, user_id, goal_id, TODAY - timedelta(days=days_ago), status="missed")
    return user_id


@pytest.mark.parametrize(
    ("missed_days_ago", "title"),
    [
        ([1, 2], "Quick check-in?"),
        ([1, 5, 9], "Don't break the chain"),
        ([1, 2, 3, 4, 5, 6, 14], "We miss you, Lea"),
    ],
)
async def test_copy_follows_the_missed_count(
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    missed_days_ago: list[int],
    title: str,
) -> None:
    # Given a Berlin user with that many missed check-ins in the window
    user_id = await user_with_missed(connection, missed_days_ago)

    # When the job runs at 10:00 Berlin time
    await send_reengagement_notifications(job_context(database, settings), RUN_AT)

    # Then one re-engagement notice with the copy of that count went out
    [notice] = await notices(connection)
    assert (notice.notification_type, notice.title) == ("reengagement", title)
    assert notice.dedupe_key == f"reengagement:{user_id}:2025-06-11"
    assert notice.data == {"type": "reengagement", "deepLink": "/(user)/(tabs)"}


async def test_only_missed_rows_inside_the_14_days_before_today_count(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given one missed check-in in the window, one today and one 15 days ago, plus skipped ones
    user_id = await user_with_missed(connection, [3, 0, 15])
    [goal_id] = (await connection.execute(sa.select(goals.c.id).where(goals.c.user_id == user_id))).scalars()
    for days_ago in (4, 5):
        await add_checkin(connection, user_id, goal_id, TODAY - timedelta(days=days_ago), status="skipped")

    # When the job runs
    counts = await send_reengagement_notifications(job_context(database, settings), RUN_AT)

    # Then the user was looked at but not notified
    assert (counts["users_checked"], counts["eligible"]) == (1, 0)
    assert await notices(connection) == []


async def test_users_outside_their_10_oclock_hour_or_not_eligible_get_nothing(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given users with enough missed check-ins who fail exactly one other condition
    await user_with_missed(connection, [1, 2], timezone="America/Los_Angeles")  # 01:00 there
    await user_with_missed(connection, [1, 2], onboarding_completed_at=None)
    await user_with_missed(connection, [1, 2], status="suspended")
    await user_with_missed(connection, [1, 2], target_days=[1, 5])  # Wednesday is 3
    paused_owner = await user_with_missed(connection, [1, 2])
    await connection.execute(sa.update(goals).where(goals.c.user_id == paused_owner).values(status="paused"))

    # When the job runs
    await send_reengagement_notifications(job_context(database, settings), RUN_AT)

    # Then nobody is notified
    assert await notices(connection) == []


async def test_a_second_run_in_the_hour_sends_nothing_more(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given an eligible user notified at 10:00
    await user_with_missed(connection, [1, 2])
    context = job_context(database, settings)
    await send_reengagement_notifications(context, RUN_AT)

    # When the job runs again at 10:30 (a restarted scheduler)
    again = await send_reengagement_notifications(context, RUN_AT + timedelta(minutes=30))

    # Then the dedupe key held
    assert (again["eligible"], again["notified"]) == (1, 0)
    assert len(await notices(connection)) == 1


async def test_users_are_walked_in_pages_of_500(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given more eligible users than one page holds (rows written set-wise)
    count = BATCH_SIZE + 7
    user_ids = list(
        (
            await connection.execute(
                sa.insert(users).returning(users.c.id),
                [
                    {
                        "email": f"p{index}@example.com",
                        "username": f"page_{index}",
                        "name": f"Page {index}",
                        "timezone": "Europe/Berlin",
                        "onboarding_completed_at": RUN_AT - timedelta(days=100),
                    }
                    for index in range(count)
                ],
            )
        ).scalars()
    )
    goal_ids = list(
        (
            await connection.execute(
                sa.insert(goals).returning(goals.c.id),
                [{"user_id": user_id, "title": "Walk", "frequency_type": "daily"} for user_id in user_ids],
            )
        ).scalars()
    )
    await connection.execute(
        sa.insert(check_ins),
        [
            {
                "user_id": user_id,
                "goal_id": goal_id,
                "check_in_date": TODAY - timedelta(days=days),
                "status": "missed",
            }
            for user_id, goal_id in zip(user_ids, goal_ids, strict=True)
            for days in (1, 2)
        ],
    )

    # When the job runs
    counts = await send_reengagement_notifications(job_context(database, settings), RUN_AT)

    # Then every one of them got a notice (inbox only: they have no device)
    assert (counts["users_checked"], counts["notified"]) == (count, count)
    assert {notice.push_status for notice in await notices(connection)} == {"skipped"}


def test_every_zone_in_its_10_oclock_hour_is_picked_with_its_local_date() -> None:
    # When it is 04:30 UTC on 2025-06-11
    zones = {zone.timezone: zone.local_date for zone in zones_in_notice_hour(utc("2025-06-11T04:30"))}

    # Then +5:30 (10:00), +5:45 (10:15) and +6 (10:30) zones are in, +5 (09:30) and +7 (11:30) are not
    assert zones["Asia/Kolkata"] == zones["Asia/Kathmandu"] == zones["Asia/Dhaka"] == date(2025, 6, 11)
    assert "Asia/Karachi" not in zones
    assert "Asia/Bangkok" not in zones
