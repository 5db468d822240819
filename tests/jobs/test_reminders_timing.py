"""reminders.tick fires each goal reminder at the UTC instant of the user's local reminder time,
DST change days included, and once only (workers/jobs/reminders.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from settings import Settings
from tests.jobs.scheduling_support import (
    add_goal,
    add_user,
    job_context,
    next_fire_times,
    notices,
)
from tests.support.rows import utc
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.reminders import tick_reminders

ONE_MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("timezone", "reminder_time", "local_date", "fires_at"),
    [
        # An ordinary day and the spring-forward day in New York (EST -5 → EDT -4 on 2025-03-09)
        ("America/New_York", "18:00", date(2025, 3, 8), utc("2025-03-08T23:00")),
        ("America/New_York", "18:00", date(2025, 3, 9), utc("2025-03-09T22:00")),
        # 02:30 does not exist on the spring-forward day: it fires at the next valid minute, 03:00 EDT
        ("America/New_York", "02:30", date(2025, 3, 9), utc("2025-03-09T07:00")),
        # London's spring-forward day (GMT → BST on 2025-03-30) and its fall-back day (2025-10-26)
        ("Europe/London", "18:00", date(2025, 3, 30), utc("2025-03-30T17:00")),
        ("Europe/London", "18:00", date(2025, 10, 26), utc("2025-10-26T18:00")),
        # Auckland's fall-back day (NZDT +13 → NZST +12 on 2025-04-06) and spring-forward day (2025-09-28)
        ("Pacific/Auckland", "07:00", date(2025, 4, 6), utc("2025-04-05T19:00")),
        ("Pacific/Auckland", "07:00", date(2025, 9, 28), utc("2025-09-27T18:00")),
        # No DST, a half-hour offset
        ("Asia/Kolkata", "18:00", date(2025, 3, 9), utc("2025-03-09T12:30")),
    ],
)
async def test_reminder_fires_at_the_utc_instant_of_the_local_time(
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    timezone: str,
    reminder_time: str,
    local_date: date,
    fires_at: datetime,
) -> None:
    # Given a daily goal whose slots were built the day before
    user_id = await add_user(connection, timezone=timezone)
    goal_id = await add_goal(
        connection, user_id, now=fires_at - timedelta(hours=20), reminder_times=[reminder_time]
    )
    context = job_context(database, settings)

    # When the tick runs a minute before the instant, then at it, then a minute after
    early = await tick_reminders(context, fires_at - ONE_MINUTE)
    on_time = await tick_reminders(context, fires_at)
    late = await tick_reminders(context, fires_at + ONE_MINUTE)

    # Then exactly the on-time tick sends, keyed by the local date and wall time
    assert early["notified"] == 0
    assert on_time["notified"] == 1
    assert late["notified"] == 0
    [notice] = await notices(connection)
    assert notice.notification_type == "ai_motivation"
    assert notice.dedupe_key == f"ai_motivation:{goal_id}:{user_id}:{local_date.isoformat()}:{reminder_time}"
    assert notice.data == {
        "type": "ai_motivation",
        "itemType": "goal",
        "itemId": str(goal_id),
        "deepLink": f"/(user)/(goals)/details?id={goal_id}",
    }
    assert notice.push_status == "pending"
    # And the slot moved on to a later day
    [next_fire] = await next_fire_times(connection, goal_id)
    assert next_fire > fires_at + timedelta(hours=20)


async def test_ambiguous_fall_back_time_fires_once_at_its_first_occurrence(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a 01:30 reminder in New York, where 01:30 happens twice on 2025-11-02 (EDT, then EST)
    user_id = await add_user(connection, timezone="America/New_York")
    await add_goal(connection, user_id, now=utc("2025-11-01T12:00"), reminder_times=["01:30"])
    context = job_context(database, settings)

    # When the tick runs at both occurrences
    first = await tick_reminders(context, utc("2025-11-02T05:30"))
    second = await tick_reminders(context, utc("2025-11-02T06:30"))

    # Then only the first one sends
    assert (first["notified"], second["notified"]) == (1, 0)
    [notice] = await notices(connection)
    assert notice.dedupe_key.endswith(":2025-11-02:01:30")


async def test_each_reminder_time_fires_once_per_local_day(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a goal with three reminder times in Kolkata
    user_id = await add_user(connection, timezone="Asia/Kolkata")
    await add_goal(
        connection, user_id, now=utc("2025-06-01T00:00"), reminder_times=["07:00", "12:00", "21:15"]
    )
    context = job_context(database, settings)

    # When the tick runs every 15 minutes for two local days
    instant = utc("2025-06-01T00:00")
    while instant < utc("2025-06-02T18:30"):
        await tick_reminders(context, instant)
        instant += timedelta(minutes=15)

    # Then each time fired once per day, in order
    assert [notice.dedupe_key[-16:] for notice in await notices(connection)] == [
        f"{day}:{time}" for day in ("2025-06-01", "2025-06-02") for time in ("07:00", "12:00", "21:15")
    ]


async def test_weekly_goal_reminds_only_on_its_target_days(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a Monday/Thursday goal (1 and 4, 0 = Sunday) at 08:00 in London
    user_id = await add_user(connection, timezone="Europe/London")
    await add_goal(
        connection, user_id, now=utc("2025-06-01T00:00"), reminder_times=["08:00"], target_days=[1, 4]
    )
    context = job_context(database, settings)

    # When the tick runs hourly through a whole week (Sunday 2025-06-01 to Saturday 2025-06-07)
    for hour in range(7 * 24):
        await tick_reminders(context, utc("2025-06-01T00:00") + timedelta(hours=hour))

    # Then Monday and Thursday got their reminder (07:00 UTC in BST), nothing else did
    assert [notice.dedupe_key[-16:] for notice in await notices(connection)] == [
        "2025-06-02:08:00",
        "2025-06-05:08:00",
    ]
