"""recaps.weekly: last week's recap for premium users with active goals, in their local Monday 10:00 hour
(workers/jobs/weekly_recaps.py), with the numbers of db/weekly_recap_stats.py and the template texts
(no model configured)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import achievement_types, check_ins, goals, user_achievements, weekly_recaps
from db.weekly_recap_stats import RecapTarget
from settings import Settings
from tests.jobs.scheduling_support import add_checkin, add_goal, add_user, job_context, notices
from tests.support.queues import QueueProbe, probed_queue
from tests.support.rows import utc
from tests.support.savepoint_database import SavepointDatabase
from tests.support.social_rows import insert_pair
from workers.jobs.weekly_recaps import (
    BUILD_CHUNK,
    CHUNK_SIZE,
    build_recap_chunk,
    decode_targets,
    generate_weekly_recaps,
)
from workers.periodic_jobs import JobContext

# Monday 2025-06-16: 10:00 in Berlin (CEST, +2) at 08:00 UTC, 10:00 in Tokyo (+9) at 01:00 UTC.
BERLIN_RUN = utc("2025-06-16T08:00")
TOKYO_RUN = utc("2025-06-16T01:00")
WEEK = date(2025, 6, 9)
CREATED = BERLIN_RUN - timedelta(days=60)


async def user_with_week(
    connection: AsyncConnection,
    *,
    timezone: str = "Europe/Berlin",
    plan: str = "premium",
    goal_status: str = "active",
    statuses: Sequence[str] = ("completed", "completed", "missed"),
) -> UUID:
    """A user with one daily goal and check-ins on the first days of the recap week."""
    user_id = await add_user(connection, timezone=timezone, plan=plan, name="Lea Braun")
    goal_id = await add_goal(connection, user_id, now=CREATED, status=goal_status)
    for offset, status in enumerate(statuses):
        await add_checkin(connection, user_id, goal_id, WEEK + timedelta(days=offset), status=status)
    return user_id


async def recaps(connection: AsyncConnection) -> list[Any]:
    return list(
        await connection.execute(
            sa.select(weekly_recaps).order_by(weekly_recaps.c.user_id, weekly_recaps.c.week_start)
        )
    )


async def test_only_premium_users_with_active_goals_in_their_monday_10_oclock_hour_get_a_recap(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given premium users in Berlin and Tokyo, and users who fail one condition each
    berlin = await user_with_week(connection)
    tokyo = await user_with_week(connection, timezone="Asia/Tokyo")
    await user_with_week(connection, plan="free")
    await user_with_week(connection, goal_status="paused")
    await user_with_week(connection, timezone="America/Los_Angeles")  # 01:00 there, and Sunday 18:00
    await user_with_week(connection, statuses=())  # no occurrence in the week
    context = job_context(database, settings)

    # When the job runs at 10:00 in Berlin, at 10:00 in Tokyo, and on Tuesday at 10:00 in Berlin
    berlin_counts = await generate_weekly_recaps(context, BERLIN_RUN)
    after_berlin = [row.user_id for row in await recaps(connection)]
    tokyo_counts = await generate_weekly_recaps(context, TOKYO_RUN)
    tuesday_counts = await generate_weekly_recaps(context, BERLIN_RUN + timedelta(days=1))

    # Then each run recapped its own zone's premium user with an active goal and an occurrence
    assert after_berlin == [berlin]
    assert (berlin_counts["candidates"], berlin_counts["drafted"], berlin_counts["notified"]) == (2, 1, 1)
    assert (tokyo_counts["candidates"], tokyo_counts["written"]) == (1, 1)
    assert tuesday_counts == {}
    assert sorted(row.user_id for row in await recaps(connection)) == sorted([berlin, tokyo])
    assert {row.week_start for row in await recaps(connection)} == {WEEK}


async def test_two_runs_in_the_hour_write_one_recap_and_one_notice(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a premium Berlin user recapped at 10:00
    user_id = await user_with_week(connection)
    context = job_context(database, settings)
    await generate_weekly_recaps(context, BERLIN_RUN)

    # When the job runs again at 10:30 (a restarted scheduler)
    again = await generate_weekly_recaps(context, BERLIN_RUN + timedelta(minutes=30))

    # Then the user is not even a candidate any more, and there is one recap and one notice
    assert again["candidates"] == 0
    [recap] = await recaps(connection)
    [notice] = await notices(connection, "weekly_recap")
    assert notice.dedupe_key == f"weekly_recap:{user_id}:2025-06-09"
    assert notice.entity_id == recap.id
    assert notice.data["recapId"] == str(recap.id)
    assert notice.data["weekStart"] == "2025-06-09"
    assert notice.body == "You hit 1 of 1 goals with 67% consistency. See your week."


@pytest.fixture
async def default_queue(redis: Redis, settings: Settings) -> AsyncIterator[QueueProbe]:
    """The chunks' queue, emptied before and after the test."""
    async with probed_queue(redis, settings, BUILD_CHUNK.queue_name) as probe:
        yield probe


async def queued_chunks(default_queue: QueueProbe) -> list[tuple[list[list[str]], str]]:
    payloads = await default_queue.messages()
    chunks = [payload for payload in payloads if payload["actor_name"] == BUILD_CHUNK.actor_name]
    return [(payload["args"][0], payload["args"][1]) for payload in chunks]


async def test_more_than_10_users_leave_as_chunk_messages_of_50_and_each_chunk_is_idempotent(
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    redis: Redis,
    default_queue: QueueProbe,
) -> None:
    # Given 60 premium Berlin users due a recap
    users = {await user_with_week(connection) for _ in range(60)}
    context = job_context(database, settings)

    # When the job runs: it enqueues chunks instead of writing
    counts = await generate_weekly_recaps(context, BERLIN_RUN)
    chunks = await queued_chunks(default_queue)

    # Then two chunks (50 + 10) cover every user, and nothing is written yet
    assert (counts["candidates"], counts["chunks"]) == (60, 2)
    assert sorted(len(targets) for targets, _ in chunks) == [10, CHUNK_SIZE]
    assert {UUID(user_id) for targets, _ in chunks for user_id, _ in targets} == users
    assert await recaps(connection) == []

    # When every chunk message is delivered twice
    for targets, run_at in chunks * 2:
        await build_recap_chunk(context, decode_targets(targets), datetime.fromisoformat(run_at))

    # Then each user has one recap and one notice
    assert {row.user_id for row in await recaps(connection)} == users
    assert len(await recaps(connection)) == 60
    sent = await notices(connection, "weekly_recap")
    assert len(sent) == len({notice.user_id for notice in sent}) == 60


async def test_the_numbers_of_a_seeded_week_and_the_template_texts(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a Berlin user with a daily and a Monday/Thursday goal, and rows around the recap week
    user_id = await add_user(connection, timezone="Europe/Berlin", plan="premium", name="Lea Braun")
    run = await add_goal(connection, user_id, now=CREATED, title="Run", current_streak=2)
    read = await add_goal(
        connection, user_id, now=CREATED, title="Read", target_days=[1, 4], current_streak=1
    )
    await connection.execute(sa.update(goals).where(goals.c.id == run).values(longest_streak=10))
    week: dict[UUID, list[str | None]] = {
        run: ["completed", "completed", "missed", "completed", "rest_day", "completed", "skipped"],
        read: ["completed", None, None, "missed", None, None, None],
    }
    moods = {0: "good", 1: "amazing", 3: "tough", 5: "good"}
    for goal_id, statuses in week.items():
        for offset, status in enumerate(statuses):
            if status is not None:
                checkin = await add_checkin(
                    connection, user_id, goal_id, WEEK + timedelta(days=offset), status=status
                )
                if goal_id == run and offset in moods:
                    await connection.execute(
                        sa.update(check_ins).where(check_ins.c.id == checkin).values(mood=moods[offset])
                    )
    earlier = {
        -7: "completed",
        -6: "completed",
        -5: "completed",
        -4: "missed",
        -14: "completed",
        -22: "completed",
    }
    for offset, status in earlier.items():
        await add_checkin(connection, user_id, run, WEEK + timedelta(days=offset), status=status)
    await add_checkin(connection, user_id, run, WEEK + timedelta(days=7))  # today, pending
    # Badges unlocked just inside the local week (Monday 01:00 Berlin) and just outside it
    badge_rows = await connection.execute(sa.select(achievement_types.c.badge_key, achievement_types.c.id))
    badge_ids = {row.badge_key: row.id for row in badge_rows}
    for key, unlocked_at in [
        ("first_checkin", "2025-06-08T23:00"),
        ("first_goal", "2025-06-08T21:00"),
        ("streak_3", "2025-06-15T22:30"),
    ]:
        await connection.execute(
            sa.insert(user_achievements).values(
                user_id=user_id, achievement_type_id=badge_ids[key], unlocked_at=utc(unlocked_at)
            )
        )
    # An accepted partner with a 12-day streak, and one whose account is suspended
    partner = await add_user(connection, name="Max")
    await add_goal(connection, partner, now=CREATED, current_streak=12)
    partnership = await insert_pair(connection, partner, user_id)
    await insert_pair(connection, user_id, await add_user(connection, status="suspended"))

    # When the job runs at 10:00 Berlin time, with no model configured
    await generate_weekly_recaps(job_context(database, settings), BERLIN_RUN)

    # Then the recap holds the week's numbers, rates over scheduled occurrences
    [recap] = await recaps(connection)
    assert (recap.week_start, recap.week_end, recap.goals_hit, recap.goals_total) == (
        WEEK,
        date(2025, 6, 15),
        2,
        2,
    )
    assert float(recap.consistency_percent) == 55.6
    assert recap.stats == {
        "completed_check_ins": 5,
        "scheduled_check_ins": 9,
        "days_with_checkins": 4,
        "current_streak": 2,
        "longest_streak": 10,
        "completion_rate": 55.6,
        "total_check_ins": 7,
        "rest_day_count": 1,
        "previous_week_checkins": 3,
        "week_over_week_change": 2,
        "strongest_day": "Monday",
        "weakest_day": "Wednesday",
        "mood_distribution": {"tough": 1, "good": 2, "amazing": 1},
    }
    assert [
        (
            goal["goal_id"],
            goal["completed"],
            goal["total"],
            goal["days_active"],
            goal["completion_rate"],
            goal["status"],
        )
        for goal in recap.goal_breakdown
    ] == [(str(run), 4, 7, 4, 57.1, "good"), (str(read), 1, 2, 1, 50.0, "good")]
    assert [
        (
            week["week_start"],
            week["completed"],
            week["scheduled"],
            week["total"],
            week["completion_rate"],
            week["is_current"],
        )
        for week in recap.completion_rate_trend
    ] == [
        ("2025-05-19", 0, 0, 0, 0.0, False),
        ("2025-05-26", 1, 1, 1, 100.0, False),
        ("2025-06-02", 3, 4, 4, 75.0, False),
        ("2025-06-09", 5, 9, 9, 55.6, True),
    ]
    assert [badge["badge_key"] for badge in recap.achievements_unlocked] == ["first_checkin"]
    assert recap.partner_context == [
        {
            "partner_id": str(partner),
            "partner_name": "Max",
            "partner_streak": 12,
            "partnership_id": str(partnership),
        }
    ]
    # And the five texts are the template's, filled from those numbers; recap_text is the summary
    assert recap.summary == (
        "Lea, you completed 5 of 9 scheduled check-ins this week (55.6%) and kept 2 of 2 goals on track."
    )
    assert recap.recap_text == recap.summary
    assert recap.win == "You unlocked the Getting Started badge this week."
    assert (
        recap.insight
        == "Monday was your strongest day. That is 2 more completed check-ins than the week before."
    )
    assert all([recap.focus_next_week, recap.motivational_close])


async def statements_of_a_chunk(
    connection: AsyncConnection, context: JobContext, targets: list[RecapTarget]
) -> list[str]:
    recorded: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "SAVEPOINT" not in statement:  # the test database's stand-in for transactions
            recorded.append(statement)

    sa.event.listen(connection.sync_engine, "before_cursor_execute", record)
    try:
        counts = await build_recap_chunk(context, targets, BERLIN_RUN)
    finally:
        sa.event.remove(connection.sync_engine, "before_cursor_execute", record)
    assert counts["notified"] == len(targets)
    return recorded


async def test_a_chunk_issues_the_same_statements_for_one_user_as_for_ten(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given eleven users due a recap, and a chunk already run once (the plan catalogue is cached)
    targets = [RecapTarget(await user_with_week(connection), WEEK) for _ in range(12)]
    context = job_context(database, settings)
    await build_recap_chunk(context, targets[:1], BERLIN_RUN)

    # When a chunk of one and a chunk of ten run
    one = await statements_of_a_chunk(connection, context, targets[1:2])
    ten = await statements_of_a_chunk(connection, context, targets[2:])

    # Then they sent the same statements: reads, the recap insert and the notices are set-wise
    assert one == ten
    assert sum("INSERT INTO weekly_recaps" in statement for statement in ten) == 1
