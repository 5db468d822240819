"""POST /check-ins: the answer rules of §3.2, the stats of §3.3 and the local date of the owner."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.app import create_app
from api.clock import FixedClock
from db.checkins import recompute_goal_streaks
from db.daily_checkins import mark_missed_checkins
from db.tables import check_ins, device_tokens, notification_history, push_deliveries
from domain.notification_copy.checkin_replies import checkin_reply
from services.addresses import CHECKIN_REPLY
from services.transaction import EngineDatabase
from settings import Settings
from tests.api.auth_support import MakeUser
from tests.api.checkins_support import (
    CHECK_INS,
    answer,
    at_local,
    counted_statements,
    goal_stats,
    insert_checkin,
    rows_of_goal,
)
from tests.support.client import api_client
from tests.support.queues import probed_queue
from tests.support.rows import insert_goal_row as insert_goal
from tests.support.users import create_user

WEDNESDAY = date(2024, 6, 12)
NOON_UTC = datetime(2024, 6, 12, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOON_UTC)


# --- Status and stored row -----------------------------------------------------------------------------


async def test_completed_answer_updates_todays_pending_row_and_the_goal_stats(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a daily goal with today's pending row, its prompt and follow-up still due
    user = await make_user(name="Ada Lovelace", motivation_style="tough_love")
    goal_id = await insert_goal(connection, user.id, title="Morning run")
    pending_id = await insert_checkin(
        connection, user.id, goal_id, WEDNESDAY, prompt_due_at=NOON_UTC, followup_due_at=NOON_UTC
    )

    # When the owner answers "done" with a mood and a note
    response = await answer(client, user, goal_id, mood="amazing", note="  felt great  ")

    # Then the pending row itself is answered, its due instants are cleared, and the reply is the template
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] == str(pending_id)
    assert body["status"] == "completed"
    assert body["check_in_date"] == "2024-06-12"
    assert body["mood"] == "amazing"
    assert body["note"] == "felt great"
    assert body["current_streak"] == 1
    assert body["week_completions"] == 1
    assert body["ai_response"] == checkin_reply(
        "tough_love", "completed", 0, name="Ada", goal_title="Morning run"
    )
    [row] = await rows_of_goal(connection, goal_id)
    assert row.prompt_due_at is None
    assert row.followup_due_at is None
    assert row.responded_at == NOON_UTC
    stats = await goal_stats(connection, goal_id)
    assert (stats.current_streak, stats.longest_streak, stats.total_completions) == (1, 1, 1)
    assert stats.streak_start_date == stats.last_completed_date == stats.last_checkin_date == WEDNESDAY
    assert stats.week_start_date == date(2024, 6, 10)


async def test_answer_without_a_pending_row_inserts_todays_row(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given an active goal whose pending row was never created
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)

    # When the owner answers
    response = await answer(client, user, goal_id)

    # Then today's row is written, answered
    assert response.status_code == 201, response.text
    [row] = await rows_of_goal(connection, goal_id)
    assert (row.check_in_date, row.status) == (WEDNESDAY, "completed")


async def test_rest_day_keeps_the_streak_and_drops_a_skip_reason(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a goal on a 3-day streak
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)
    for days_ago in (3, 2, 1):
        await insert_checkin(connection, user.id, goal_id, WEDNESDAY - timedelta(days=days_ago), "completed")
    await recompute_goal_streaks(connection, [goal_id])

    # When the owner answers a rest day (the completed flag and a skip reason are overridden)
    response = await answer(client, user, goal_id, completed=True, is_rest_day=True, skip_reason="tired")

    # Then the row is a rest day without a skip reason and the streak is unchanged
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["skip_reason"], body["current_streak"]) == ("rest_day", None, 3)
    stats = await goal_stats(connection, goal_id)
    assert (stats.current_streak, stats.total_completions, stats.last_checkin_date) == (3, 3, WEDNESDAY)


async def test_skip_keeps_its_reason_and_resets_the_streak(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a goal on a 2-day streak
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)
    for days_ago in (2, 1):
        await insert_checkin(connection, user.id, goal_id, WEDNESDAY - timedelta(days=days_ago), "completed")
    await recompute_goal_streaks(connection, [goal_id])

    # When the owner skips today because of work
    response = await answer(client, user, goal_id, completed=False, skip_reason="work", mood="tough")

    # Then the row is skipped with its reason and the streak (and its start) are gone; longest stays
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["skip_reason"], body["mood"]) == ("skipped", "work", "tough")
    assert body["current_streak"] == 0
    stats = await goal_stats(connection, goal_id)
    assert (stats.current_streak, stats.longest_streak, stats.streak_start_date) == (0, 2, None)


async def test_completed_answer_drops_a_skip_reason(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given an active goal
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)

    # When the owner completes it but also sends a skip reason
    response = await answer(client, user, goal_id, skip_reason="sick")

    # Then the reason is not kept (it only belongs to skipped rows)
    assert response.status_code == 201, response.text
    assert response.json()["skip_reason"] is None


async def test_notes_is_accepted_as_the_older_name_of_note(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given an active goal
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)

    # When the older client sends `notes`
    response = await answer(client, user, goal_id, notes="legs were heavy")

    # Then it is stored as the note
    assert response.status_code == 201, response.text
    assert response.json()["note"] == "legs were heavy"


async def test_client_sent_date_is_ignored_and_the_server_uses_local_today(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given an active goal
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)

    # When the client claims the answer is for last week
    response = await answer(client, user, goal_id, check_in_date="2024-06-05")

    # Then the row is today's: no backfilling
    assert response.status_code == 201, response.text
    assert response.json()["check_in_date"] == WEDNESDAY.isoformat()


@pytest.mark.parametrize("plan", ["free", "premium"])
async def test_the_template_reply_is_stored_and_only_premium_queues_the_ai_reply(
    client: AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    redis: Redis,
    settings: Settings,
    plan: str,
) -> None:
    # Given a user on a 4-day streak, on either plan
    user = await make_user(plan=plan, name="Ada Lovelace", motivation_style="calm")
    goal_id = await insert_goal(connection, user.id, title="Swim", current_streak=4, longest_streak=4)

    # When they answer "skipped"
    async with probed_queue(redis, settings, CHECKIN_REPLY.queue_name) as queue:
        response = await answer(client, user, goal_id, completed=False, skip_reason="tired")
        queued = await queue.messages()

    # Then the template reply is stored at once, whatever the plan (the client never sees an empty one)
    assert response.status_code == 201, response.text
    assert response.json()["ai_response"] == checkin_reply(
        "calm", "skipped", 4, name="Ada", goal_title="Swim"
    )
    # And premium (ai_checkin_response) queues the AI reply for this answer and the lost streak; free never
    expected = [[response.json()["id"], str(user.id), NOON_UTC.isoformat(), 4]] if plan == "premium" else []
    assert [message["args"] for message in queued if message["actor_name"] == CHECKIN_REPLY.actor_name] == (
        expected
    )
    assert len(queued) == len(expected)


# --- Refusals ------------------------------------------------------------------------------------------


async def test_second_answer_the_same_local_day_is_refused_and_changes_nothing(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a goal answered today
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)
    assert (await answer(client, user, goal_id)).status_code == 201
    before = await goal_stats(connection, goal_id)

    # When the owner answers again (even with another status)
    response = await answer(client, user, goal_id, completed=False, skip_reason="tired")

    # Then it is refused and neither the row nor the stats move
    assert response.status_code == 400
    assert response.json()["code"] == "already_checked_in"
    assert "already checked in" in response.json()["detail"]
    [row] = await rows_of_goal(connection, goal_id)
    assert (row.status, row.skip_reason) == ("completed", None)
    assert await goal_stats(connection, goal_id) == before


async def test_weekly_goal_not_scheduled_today_is_refused_naming_its_days(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a Monday/Thursday goal and a Wednesday
    user = await make_user()
    goal_id = await insert_goal(connection, user.id, target_days=[1, 4])

    # When the owner answers
    response = await answer(client, user, goal_id)

    # Then it is refused, naming the scheduled days, and nothing is written
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "not_scheduled_today"
    assert "Monday" in body["detail"]
    assert "Thursday" in body["detail"]
    assert body["target_days"] == [1, 4]
    assert await rows_of_goal(connection, goal_id) == []


async def test_weekly_goal_on_sunday_counts_sunday_as_day_zero(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    # Given a Sunday-only goal (0 = Sunday) and a Sunday noon
    user = await make_user()
    goal_id = await insert_goal(connection, user.id, target_days=[0])
    clock.instant = datetime(2024, 6, 16, 12, 0, tzinfo=UTC)

    # When the owner answers
    response = await answer(client, user, goal_id)

    # Then it is accepted
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("status", ["paused", "archived"])
async def test_inactive_goal_is_refused(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, status: str
) -> None:
    # Given a paused or archived goal
    user = await make_user()
    goal_id = await insert_goal(connection, user.id, status=status)

    # When the owner answers
    response = await answer(client, user, goal_id)

    # Then it is refused as a broken rule
    assert response.status_code == 400
    assert response.json()["code"] == "goal_not_active"
    assert await rows_of_goal(connection, goal_id) == []


async def test_another_users_goal_is_not_found(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given someone else's goal
    owner, intruder = await make_user(), await make_user()
    goal_id = await insert_goal(connection, owner.id)

    # When another user answers it
    response = await answer(client, intruder, goal_id)

    # Then it does not exist for them, and nothing is written
    assert response.status_code == 404
    assert await rows_of_goal(connection, goal_id) == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"completed": True, "unknown": 1}, id="unknown field"),
        pytest.param({"completed": True, "mood": "meh"}, id="bad mood"),
        pytest.param({"completed": False, "skip_reason": "lazy"}, id="bad skip reason"),
        pytest.param({"completed": True, "note": "x" * 1001}, id="oversized note"),
        pytest.param({"completed": True, "notes": "x" * 1001}, id="oversized notes"),
        pytest.param({}, id="completed missing"),
        pytest.param({"completed": "yes"}, id="completed not a boolean"),
        pytest.param({"completed": True, "status": "completed"}, id="status is not an input"),
    ],
)
async def test_malformed_answer_is_422_and_writes_nothing(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, body: dict[str, object]
) -> None:
    # Given an active goal
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)

    # When the body is malformed
    response = await client.post(CHECK_INS, json={"goal_id": str(goal_id), **body}, headers=user.headers)

    # Then it is a 422 with the error body, and no row exists
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert await rows_of_goal(connection, goal_id) == []


async def test_goal_id_that_is_not_a_uuid_is_422(client: AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    response = await client.post(CHECK_INS, json={"goal_id": "abc", "completed": True}, headers=user.headers)
    assert response.status_code == 422


# --- The owner's local date ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "instant", "local_date"),
    [
        # Auckland is ahead of UTC: 00:30 on the 13th there is still the 12th in UTC.
        ("Pacific/Auckland", datetime(2024, 6, 12, 12, 30, tzinfo=UTC), date(2024, 6, 13)),
        ("Pacific/Auckland", datetime(2024, 6, 12, 11, 59, tzinfo=UTC), date(2024, 6, 12)),
        # Los Angeles is behind: 23:30 on the 12th there is already the 13th in UTC.
        ("America/Los_Angeles", datetime(2024, 6, 13, 6, 30, tzinfo=UTC), date(2024, 6, 12)),
        ("America/Los_Angeles", datetime(2024, 6, 13, 7, 0, tzinfo=UTC), date(2024, 6, 13)),
        # Los Angeles springs forward on 2024-03-10: 23:59 PST on the 9th, 23:59 PDT on the 10th.
        ("America/Los_Angeles", datetime(2024, 3, 10, 7, 59, tzinfo=UTC), date(2024, 3, 9)),
        ("America/Los_Angeles", datetime(2024, 3, 11, 6, 59, tzinfo=UTC), date(2024, 3, 10)),
        ("America/Los_Angeles", datetime(2024, 3, 11, 7, 0, tzinfo=UTC), date(2024, 3, 11)),
        # ... and falls back on 2024-11-03: midnight starts at 07:00 UTC, the next at 08:00 UTC.
        ("America/Los_Angeles", datetime(2024, 11, 3, 6, 59, tzinfo=UTC), date(2024, 11, 2)),
        ("America/Los_Angeles", datetime(2024, 11, 4, 7, 59, tzinfo=UTC), date(2024, 11, 3)),
        # Auckland leaves daylight time on 2024-04-07 (UTC+13 → +12) and enters it on 2024-09-29.
        ("Pacific/Auckland", datetime(2024, 4, 6, 10, 59, tzinfo=UTC), date(2024, 4, 6)),
        ("Pacific/Auckland", datetime(2024, 4, 6, 11, 0, tzinfo=UTC), date(2024, 4, 7)),
        ("Pacific/Auckland", datetime(2024, 4, 7, 11, 59, tzinfo=UTC), date(2024, 4, 7)),
        ("Pacific/Auckland", datetime(2024, 9, 28, 11, 59, tzinfo=UTC), date(2024, 9, 28)),
        ("Pacific/Auckland", datetime(2024, 9, 28, 12, 0, tzinfo=UTC), date(2024, 9, 29)),
        ("Pacific/Auckland", datetime(2024, 9, 29, 10, 59, tzinfo=UTC), date(2024, 9, 29)),
    ],
)
async def test_answer_counts_for_the_owners_local_date(
    client: AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    clock: FixedClock,
    zone: str,
    instant: datetime,
    local_date: date,
) -> None:
    # Given an owner in `zone` and the clock at `instant`
    user = await make_user(timezone=zone)
    goal_id = await insert_goal(connection, user.id)
    clock.instant = instant

    # When they answer
    response = await answer(client, user, goal_id)

    # Then the row carries their local date, never the UTC one
    assert response.status_code == 201, response.text
    assert response.json()["check_in_date"] == local_date.isoformat()


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "America/Los_Angeles"])
async def test_answers_a_minute_either_side_of_local_midnight_are_two_days(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock, zone: str
) -> None:
    # Given an owner in `zone`
    user = await make_user(timezone=zone)
    goal_id = await insert_goal(connection, user.id)

    # When they answer at 23:59 local and again at 00:01 local
    clock.instant = at_local(zone, date(2024, 6, 12), time(23, 59))
    first = await answer(client, user, goal_id)
    clock.instant = at_local(zone, date(2024, 6, 13), time(0, 1))
    second = await answer(client, user, goal_id)

    # Then both count, on consecutive local dates, and the streak is 2
    assert (first.status_code, second.status_code) == (201, 201)
    assert [first.json()["check_in_date"], second.json()["check_in_date"]] == ["2024-06-12", "2024-06-13"]
    assert second.json()["current_streak"] == 2


async def test_second_answer_an_hour_later_but_the_same_local_day_is_refused(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    # Given an Auckland owner who answered at 23:00 local (the UTC date is the same)...
    user = await make_user(timezone="Pacific/Auckland")
    goal_id = await insert_goal(connection, user.id)
    clock.instant = at_local("Pacific/Auckland", date(2024, 6, 12), time(0, 30))
    assert (await answer(client, user, goal_id)).status_code == 201

    # When they answer again at 23:30 local, which is the next UTC date
    clock.instant = at_local("Pacific/Auckland", date(2024, 6, 12), time(23, 30))
    assert clock.instant.date() == date(2024, 6, 12)
    response = await answer(client, user, goal_id)

    # Then it is the same local day: refused
    assert response.status_code == 400
    assert response.json()["code"] == "already_checked_in"


# --- Missed occurrences and the job ---------------------------------------------------------------------


async def test_older_pending_rows_turn_missed_before_todays_answer_counts(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    # Given a 2-day streak, then yesterday left pending (the missed job has not run yet)
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)
    for days_ago in (3, 2):
        await insert_checkin(connection, user.id, goal_id, WEDNESDAY - timedelta(days=days_ago), "completed")
    await insert_checkin(connection, user.id, goal_id, WEDNESDAY - timedelta(days=1), "pending")
    await recompute_goal_streaks(connection, [goal_id])
    assert (await goal_stats(connection, goal_id)).current_streak == 2

    # When the owner completes today
    response = await answer(client, user, goal_id)

    # Then yesterday is missed and the streak restarts at 1 today
    assert response.status_code == 201, response.text
    assert response.json()["current_streak"] == 1
    statuses = [row.status for row in await rows_of_goal(connection, goal_id)]
    assert statuses == ["completed", "completed", "missed", "completed"]
    stats = await goal_stats(connection, goal_id)
    assert (stats.current_streak, stats.longest_streak, stats.streak_start_date) == (1, 2, WEDNESDAY)

    # And when the missed job runs later it finds nothing left to do: the stats agree with the full walk
    assert await mark_missed_checkins(connection, now=clock.instant) == 0
    assert await goal_stats(connection, goal_id) == stats
    assert (await recompute_goal_streaks(connection, [goal_id]))[goal_id] == stats


# --- Weekly progress ------------------------------------------------------------------------------------


async def test_week_completions_count_this_local_week_and_restart_on_monday(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    # Given an Auckland owner with a daily goal
    zone = "Pacific/Auckland"
    user = await make_user(timezone=zone)
    goal_id = await insert_goal(connection, user.id)

    # When they complete Saturday and Sunday (local), then rest Monday and complete Tuesday
    replies = []
    for day, rest in ((15, False), (16, False), (17, True), (18, False)):
        clock.instant = at_local(zone, date(2024, 6, day), time(20, 0))
        response = await answer(client, user, goal_id, is_rest_day=rest)
        assert response.status_code == 201, response.text
        replies.append(response.json()["week_completions"])

    # Then the week counter follows the local Monday: 1, 2 in one week; none on the rest day; 1 after
    assert replies == [1, 2, 0, 1]
    stats = await goal_stats(connection, goal_id)
    assert (stats.week_start_date, stats.week_completions) == (date(2024, 6, 17), 1)


# --- Streak milestone notice ----------------------------------------------------------------------------


async def test_seventh_completion_writes_one_milestone_notice_with_its_push(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a 6-day streak and an active device
    user = await make_user()
    goal_id = await insert_goal(connection, user.id, title="Read")
    for days_ago in range(6, 0, -1):
        await insert_checkin(connection, user.id, goal_id, WEDNESDAY - timedelta(days=days_ago), "completed")
    await recompute_goal_streaks(connection, [goal_id])
    await connection.execute(
        sa.insert(device_tokens).values(
            user_id=user.id,
            fcm_token="ExponentPushToken[checkins-milestone]",
            device_type="ios",
            device_id="phone",
            app_version="1.0",
            os_version="17",
        )
    )

    # When the seventh day is completed, and the client then retries the answer
    response = await answer(client, user, goal_id)
    retry = await answer(client, user, goal_id)

    # Then exactly one streak_milestone inbox row exists, keyed by goal, milestone and streak start,
    # with a delivery row waiting for the push worker
    assert response.status_code == 201
    assert response.json()["current_streak"] == 7
    assert retry.status_code == 400
    notices = (
        await connection.execute(
            sa.select(notification_history).where(
                notification_history.c.user_id == user.id,
                notification_history.c.notification_type == "streak_milestone",
            )
        )
    ).all()
    assert len(notices) == 1
    [notice] = notices
    start = (WEDNESDAY - timedelta(days=6)).isoformat()
    assert notice.dedupe_key == f"streak_milestone:{goal_id}:7:{start}"
    assert (notice.entity_type, notice.entity_id) == ("goal", goal_id)
    assert notice.data["streak"] == 7
    deliveries = await connection.execute(
        sa.select(sa.func.count()).where(push_deliveries.c.notification_id == notice.id)
    )
    assert deliveries.scalar_one() == 1


async def test_a_completion_off_the_milestones_writes_no_notice(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a 5-day streak
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)
    for days_ago in range(5, 0, -1):
        await insert_checkin(connection, user.id, goal_id, WEDNESDAY - timedelta(days=days_ago), "completed")
    await recompute_goal_streaks(connection, [goal_id])

    # When the sixth day is completed
    response = await answer(client, user, goal_id)

    # Then there is no milestone notice (badges have their own notices)
    assert response.json()["current_streak"] == 6
    count = await connection.execute(
        sa.select(sa.func.count()).where(
            notification_history.c.user_id == user.id,
            notification_history.c.notification_type == "streak_milestone",
        )
    )
    assert count.scalar_one() == 0


async def test_answers_never_touch_another_goals_rows(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given two goals of one owner, the second with yesterday still pending
    user = await make_user()
    first, second = await insert_goal(connection, user.id), await insert_goal(connection, user.id)
    await insert_checkin(connection, user.id, second, WEDNESDAY - timedelta(days=1))

    # When the first goal is answered
    assert (await answer(client, user, first)).status_code == 201

    # Then the second goal's rows are left for the missed job or its own answer
    statuses = await connection.execute(sa.select(check_ins.c.status).where(check_ins.c.goal_id == second))
    assert statuses.scalars().all() == ["pending"]


# --- Cost and concurrency -------------------------------------------------------------------------------


@pytest.mark.parametrize(("overdue_days", "expected_statements"), [(0, 3), (1, 4)])
async def test_answer_takes_the_lock_and_one_write_plus_the_missed_sweep_only_when_overdue(
    client: AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    engine: AsyncEngine,
    overdue_days: int,
    expected_statements: int,
) -> None:
    # Given an active goal with today's pending row, maybe a pending row of yesterday too (and a warm
    # plan cache and activity throttle)
    user = await make_user()
    warm_up, goal_id = await insert_goal(connection, user.id), await insert_goal(connection, user.id)
    await insert_checkin(connection, user.id, goal_id, WEDNESDAY)
    for days_ago in range(1, overdue_days + 1):
        await insert_checkin(connection, user.id, goal_id, WEDNESDAY - timedelta(days=days_ago))
    assert (await answer(client, user, warm_up)).status_code == 201

    # When the owner answers
    with counted_statements(engine) as statements:
        response = await answer(client, user, goal_id)

    # Then the lock (which also reads the oldest pending date), the answer with the goal's stats and
    # the badge counts (the catalogue is cached, nothing new to unlock) are all it takes, plus the
    # missed sweep when an older row is still pending
    assert response.status_code == 201, response.text
    assert len(statements) == expected_statements, statements


async def test_concurrent_answers_for_one_goal_count_once(
    settings: Settings, committed_database: EngineDatabase, clock: FixedClock
) -> None:
    # Given a committed goal without today's row, and an app on real transactions
    app = create_app(settings, database=committed_database, clock=clock)
    async with committed_database.transaction() as tx:
        user = await create_user(tx.connection, app)
        goal_id = await insert_goal(tx.connection, user.id)

    # When the same answer arrives four times at once
    async with api_client(app) as client:
        responses = await asyncio.gather(*(answer(client, user, goal_id) for _ in range(4)))

    # Then the goal row lock lets exactly one through; the others are "already checked in"
    assert sorted(response.status_code for response in responses) == [201, 400, 400, 400]
    async with committed_database.transaction() as tx:
        stats = await goal_stats(tx.connection, goal_id)
        rows = await rows_of_goal(tx.connection, goal_id)
    assert (stats.current_streak, stats.total_completions, len(rows)) == (1, 1, 1)


async def test_goal_created_through_the_api_is_answered_and_shows_todays_status(
    client: AsyncClient, make_user: MakeUser, clock: FixedClock
) -> None:
    # Given a goal created through POST /goals by a Los Angeles owner at 23:50 local
    user = await make_user(timezone="America/Los_Angeles")
    clock.instant = at_local("America/Los_Angeles", WEDNESDAY, time(23, 50))
    created = await client.post(
        "/api/v1/goals", json={"title": "Walk", "frequency_type": "daily"}, headers=user.headers
    )
    assert created.status_code == 201, created.text
    goal_id = created.json()["id"]

    # When the owner answers its pending row of the day
    response = await client.post(
        CHECK_INS, json={"goal_id": goal_id, "completed": True}, headers=user.headers
    )

    # Then the goal reads as checked in today, with its streak and week progress
    assert response.status_code == 201, response.text
    assert response.json()["check_in_date"] == WEDNESDAY.isoformat()
    goal = (await client.get(f"/api/v1/goals/{goal_id}", headers=user.headers)).json()
    assert (goal["today_checkin_status"], goal["current_streak"], goal["total_completions"]) == (
        "completed",
        1,
        1,
    )
