"""POST/GET /goals: the Goal shape, validation (422 shape, 400 rules), plan limits, lists and stats,
all at the owner's local date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db.tables import check_ins, goals, reminder_slots
from tests.api.auth_support import MakeUser
from tests.support.revenuecat import add_goals
from tests.support.users import ApiUser

GOALS = "/api/v1/goals"
# A Wednesday afternoon in UTC: 2024-06-12 for UTC users, 2024-06-13 03:00 in Auckland, 08:00 in LA.
NOW = datetime(2024, 6, 12, 15, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def api(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The API, its clock fixed at `clock` (tests move it)."""
    return client


async def post_goal(api: httpx.AsyncClient, user: ApiUser, **fields: Any) -> dict[str, Any]:
    response = await api.post(
        GOALS, json={"title": "Run", "frequency_type": "daily", **fields}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def pending_rows(connection: AsyncConnection, goal_id: str) -> list[Any]:
    result = await connection.execute(
        sa.select(
            check_ins.c.check_in_date,
            check_ins.c.status,
            check_ins.c.prompt_due_at,
            check_ins.c.followup_due_at,
        )
        .where(check_ins.c.goal_id == UUID(goal_id))
        .order_by(check_ins.c.check_in_date)
    )
    return list(result)


async def slot_times(connection: AsyncConnection, goal_id: str) -> dict[str, datetime]:
    result = await connection.execute(
        sa.select(reminder_slots.c.reminder_time, reminder_slots.c.next_fire_at).where(
            reminder_slots.c.goal_id == UUID(goal_id)
        )
    )
    return {row.reminder_time: row.next_fire_at for row in result}


async def goal_count(connection: AsyncConnection, user: ApiUser) -> int:
    result = await connection.execute(sa.select(sa.func.count()).where(goals.c.user_id == user.id))
    return int(result.scalar_one())


async def set_goal(connection: AsyncConnection, goal_id: str, **columns: Any) -> None:
    await connection.execute(sa.update(goals).where(goals.c.id == UUID(goal_id)).values(**columns))


async def add_checkin(
    connection: AsyncConnection, user: ApiUser, goal_id: str, day: date, status: str
) -> None:
    await connection.execute(
        sa.insert(check_ins).values(user_id=user.id, goal_id=UUID(goal_id), check_in_date=day, status=status)
    )


# --- Create ---------------------------------------------------------------------------------------


async def test_daily_goal_is_created_with_defaults_today_pending_row_and_reminder_slot(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a free user in UTC
    user = await make_user()
    # When they create a daily goal sending weekly-only fields and a padded title
    goal = await post_goal(
        api, user, title="  Run 5k  ", frequency_count=3, target_days=[1], why_statement=" fit "
    )
    # Then the goal is daily (count 1, no days), trimmed, reminded at 18:00 and active
    assert {key: goal[key] for key in goal if key not in ("id", "created_at", "updated_at")} == {
        "user_id": str(user.id),
        "title": "Run 5k",
        "frequency_type": "daily",
        "frequency_count": 1,
        "target_days": None,
        "reminder_times": ["18:00"],
        "why_statement": "fit",
        "status": "active",
        "current_streak": 0,
        "longest_streak": 0,
        "total_completions": 0,
        "last_completed_date": None,
        "is_scheduled_today": True,
        "today_checkin_status": None,
        "progress_this_week": None,
    }
    # And today's pending row exists with its prompt (18:30) and follow-up (20:30), and the 18:00 slot
    assert await pending_rows(connection, goal["id"]) == [
        (date(2024, 6, 12), "pending", utc("2024-06-12T18:30"), utc("2024-06-12T20:30"))
    ]
    assert await slot_times(connection, goal["id"]) == {"18:00": utc("2024-06-12T18:00")}


async def test_weekly_goal_sorts_its_days_and_gets_no_row_on_an_unscheduled_day(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given Wednesday 2024-06-12; When a Monday/Friday goal is created with its days unsorted
    goal = await post_goal(api, await make_user(), frequency_type="weekly", target_days=[5, 1])
    # Then its days are sorted, the count derived, and nothing is due today; the slot waits for Friday
    assert (goal["frequency_count"], goal["target_days"]) == (2, [1, 5])
    assert (goal["is_scheduled_today"], goal["progress_this_week"]) == (False, {"completed": 0, "target": 2})
    assert await pending_rows(connection, goal["id"]) == []
    assert await slot_times(connection, goal["id"]) == {"18:00": utc("2024-06-14T18:00")}


async def test_reminder_times_are_cut_to_minutes_deduplicated_and_sorted(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a premium user (5 reminder times per goal)
    user = await make_user(plan="premium")
    # When the times come with seconds and a duplicate
    goal = await post_goal(api, user, reminder_times=["20:00", "07:30:15", "07:30"])
    # Then they are stored as distinct sorted "HH:MM", each with its slot, the prompt after the last
    assert goal["reminder_times"] == ["07:30", "20:00"]
    assert await slot_times(connection, goal["id"]) == {
        "07:30": utc("2024-06-13T07:30"),
        "20:00": utc("2024-06-12T20:00"),
    }
    [row] = await pending_rows(connection, goal["id"])
    assert row.prompt_due_at == utc("2024-06-12T20:30")
    assert row.followup_due_at == utc("2024-06-12T22:30")


@pytest.mark.parametrize(
    "body",
    [
        {"title": "Run", "frequency_type": "daily", "colour": "red"},  # unknown field
        {"frequency_type": "daily"},  # missing title
        {"title": 7, "frequency_type": "daily"},  # wrong type
        {"title": "x" * 201, "frequency_type": "daily"},  # oversized title
        {"title": "Run", "frequency_type": "monthly"},
        {"title": "Run", "frequency_type": "weekly", "target_days": ["mon"]},
        {
            "title": "Run",
            "frequency_type": "weekly",
            "target_days": [0, 1, 2, 3, 4, 5, 6, 0],
        },  # oversized list
        {"title": "Run", "frequency_type": "daily", "reminder_times": ["25:00"]},
        {"title": "Run", "frequency_type": "daily", "reminder_times": ["6pm"]},
        {"title": "Run", "frequency_type": "daily", "reminder_times": ["18:00:00:00"]},
        {"title": "Run", "frequency_type": "daily", "reminder_times": [f"0{hour}:00" for hour in range(6)]},
        {"title": "Run", "frequency_type": "daily", "why_statement": "y" * 1001},
    ],
)
async def test_malformed_bodies_are_422_and_write_nothing(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, body: dict[str, Any]
) -> None:
    user = await make_user(plan="premium")
    response = await api.post(GOALS, json=body, headers=user.headers)
    assert response.status_code == 422, response.text
    assert set(response.json()) >= {"detail", "code"}
    assert await goal_count(connection, user) == 0


async def test_a_body_that_is_not_json_is_422(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    response = await api.post(
        GOALS, content=b'{"title": "Run",', headers={**user.headers, "content-type": "application/json"}
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": "   "}, "title_required"),
        ({"frequency_type": "weekly", "frequency_count": 0, "target_days": []}, "invalid_frequency_count"),
        (
            {"frequency_type": "weekly", "frequency_count": 8, "target_days": [0, 1, 2, 3, 4, 5, 6]},
            "invalid_frequency_count",
        ),
        ({"frequency_type": "weekly", "target_days": [7]}, "invalid_target_days"),
        ({"frequency_type": "weekly", "target_days": [-1]}, "invalid_target_days"),
        ({"frequency_type": "weekly", "frequency_count": 2, "target_days": [1]}, "invalid_target_days"),
        ({"frequency_type": "weekly", "frequency_count": 2, "target_days": [1, 1]}, "invalid_target_days"),
        ({"frequency_type": "weekly"}, "invalid_frequency_count"),
        ({"reminder_times": []}, "reminder_times_required"),
    ],
)
async def test_broken_rules_are_400_with_their_code_and_write_nothing(
    api: httpx.AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    fields: dict[str, Any],
    code: str,
) -> None:
    user = await make_user()
    response = await api.post(
        GOALS, json={"title": "Run", "frequency_type": "daily", **fields}, headers=user.headers
    )
    assert (response.status_code, response.json()["code"]) == (400, code), response.text
    assert await goal_count(connection, user) == 0


# --- Plan limits ----------------------------------------------------------------------------------


async def test_free_plan_caps_non_archived_goals_at_two_counting_paused_ones(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a free user with two goals, one of them paused
    user = await make_user()
    first = await post_goal(api, user)
    await post_goal(api, user)
    await api.post(f"{GOALS}/{first['id']}/deactivate", headers=user.headers)
    # When they create a third
    refused = await api.post(GOALS, json={"title": "Swim", "frequency_type": "daily"}, headers=user.headers)
    # Then the plan refuses it (paused goals count) and nothing is written
    assert refused.status_code == 403
    assert (refused.json()["code"], refused.json()["limit"]) == ("goal_limit_reached", 2)
    assert await goal_count(connection, user) == 2
    # When the paused goal is archived, the third fits
    await api.post(f"{GOALS}/{first['id']}/archive", headers=user.headers)
    await post_goal(api, user, title="Swim")


async def test_premium_plan_allows_ten_goals(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user(plan="premium")
    for number in range(10):
        await post_goal(api, user, title=f"Goal {number}")
    refused = await api.post(
        GOALS, json={"title": "Eleventh", "frequency_type": "daily"}, headers=user.headers
    )
    assert (refused.status_code, refused.json()["limit"]) == (403, 10)


async def test_reminder_times_beyond_the_plan_are_403(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a free user (one reminder time) and a premium one (five)
    free, premium = await make_user(), await make_user(plan="premium")
    # When each asks for more than their plan allows, or exactly the premium maximum
    two_times = {"title": "Run", "frequency_type": "daily", "reminder_times": ["08:00", "18:00"]}
    refused = await api.post(GOALS, json=two_times, headers=free.headers)
    five = await post_goal(api, premium, reminder_times=["06:00", "09:00", "12:00", "15:00", "18:00"])
    # Then the free one is refused by the plan, the premium one gets all five
    assert (refused.status_code, refused.json()["code"]) == (403, "reminder_times_limit")
    assert await goal_count(connection, free) == 0
    assert len(five["reminder_times"]) == 5


# --- Local dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "local_23_30", "local_00_30"),
    [
        ("Pacific/Auckland", utc("2024-06-12T11:30"), utc("2024-06-12T12:30")),  # NZST, +12
        ("America/Los_Angeles", utc("2024-06-13T06:30"), utc("2024-06-13T07:30")),  # PDT, -7
    ],
)
async def test_todays_row_is_dated_by_the_owners_local_date_around_midnight(
    api: httpx.AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    clock: FixedClock,
    timezone: str,
    local_23_30: datetime,
    local_00_30: datetime,
) -> None:
    # Given a premium user in that zone (three goals fit the plan)
    user = await make_user(timezone=timezone, plan="premium")
    # When a goal is created at 23:30 local on 2024-06-12, and another at 00:30 on 2024-06-13
    clock.instant = local_23_30
    late = await post_goal(api, user, reminder_times=["23:00"])
    clock.instant = local_00_30
    early = await post_goal(api, user, reminder_times=["23:00"])
    # Then the first is dated the 12th, the second the 13th, whatever the UTC date is
    assert [row.check_in_date for row in await pending_rows(connection, late["id"])] == [date(2024, 6, 12)]
    assert [row.check_in_date for row in await pending_rows(connection, early["id"])] == [date(2024, 6, 13)]
    # And a Wednesday-only goal (3) is scheduled by the local weekday: Thursday 00:30 is not Wednesday
    wednesday_only = await post_goal(api, user, frequency_type="weekly", target_days=[3])
    assert wednesday_only["is_scheduled_today"] is False
    clock.instant = local_23_30
    listed = (await api.get(f"{GOALS}/{wednesday_only['id']}", headers=user.headers)).json()
    assert listed["is_scheduled_today"] is True


# --- Reads ----------------------------------------------------------------------------------------


async def test_today_status_reports_answered_rows_only_and_week_progress_resets_by_local_monday(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a pending daily goal, and a weekly goal completed today with 2 completions this week
    user = await make_user(plan="premium")
    daily = await post_goal(api, user)
    weekly = await post_goal(api, user, frequency_type="weekly", target_days=[1, 3, 5])
    await connection.execute(
        sa.update(check_ins).where(check_ins.c.goal_id == UUID(weekly["id"])).values(status="completed")
    )
    await set_goal(connection, weekly["id"], week_completions=2, week_start_date=date(2024, 6, 10))
    # When they are read
    pending = (await api.get(f"{GOALS}/{daily['id']}", headers=user.headers)).json()
    completed = (await api.get(f"{GOALS}/{weekly['id']}", headers=user.headers)).json()
    # Then a pending row shows as no status, the answered one as its status, and this week is 2 of 3
    assert pending["today_checkin_status"] is None
    assert completed["today_checkin_status"] == "completed"
    assert completed["progress_this_week"] == {"completed": 2, "target": 3}
    # And a counter from an earlier week reads as 0
    await set_goal(connection, weekly["id"], week_start_date=date(2024, 6, 3))
    stale = (await api.get(f"{GOALS}/{weekly['id']}", headers=user.headers)).json()
    assert stale["progress_this_week"] == {"completed": 0, "target": 3}


async def test_list_is_newest_first_with_cursor_pages_offset_and_filters(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given five goals created one after another, one archived and one answered today
    user = await make_user(plan="premium")
    created = [await post_goal(api, user, title=f"Goal {number}") for number in range(5)]
    for position, goal in enumerate(created):
        await set_goal(connection, goal["id"], created_at=utc(f"2024-06-0{position + 1}T09:00"))
    await set_goal(connection, created[0]["id"], status="archived")
    await connection.execute(
        sa.update(check_ins).where(check_ins.c.goal_id == UUID(created[4]["id"])).values(status="skipped")
    )
    newest_first = [goal["id"] for goal in reversed(created)]
    # When the list is read two at a time following the cursor (with and without a trailing slash)
    first = await api.get(f"{GOALS}/", params={"limit": 2}, headers=user.headers)
    second = await api.get(
        GOALS, params={"limit": 2, "cursor": first.headers["X-Next-Cursor"]}, headers=user.headers
    )
    third = await api.get(
        GOALS, params={"limit": 2, "cursor": second.headers["X-Next-Cursor"]}, headers=user.headers
    )
    # Then the pages are newest first, without gaps, and the last has no next cursor
    pages = [[goal["id"] for goal in page.json()] for page in (first, second, third)]
    assert pages == [newest_first[:2], newest_first[2:4], newest_first[4:]]
    assert "X-Next-Cursor" not in third.headers
    assert first.json()[0]["today_checkin_status"] == "skipped"
    # And offset (older clients) skips rows, active_only hides the archived goal, and today's status
    # can be left out
    by_offset = await api.get(GOALS, params={"offset": 3}, headers=user.headers)
    assert [goal["id"] for goal in by_offset.json()] == newest_first[3:]
    active = await api.get(GOALS, params={"active_only": "true"}, headers=user.headers)
    assert [goal["id"] for goal in active.json()] == newest_first[:4]
    without_status = await api.get(GOALS, params={"include_today_status": "false"}, headers=user.headers)
    assert without_status.json()[0]["today_checkin_status"] is None


async def test_list_without_a_limit_holds_more_than_fifty_goals(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a premium user with ten active goals and sixty archived ones (archiving frees the cap)
    user = await make_user(plan="premium")
    await add_goals(connection, user.id, 60, status="archived", first_created=utc("2024-01-01T09:00"))
    await add_goals(connection, user.id, 10, first_created=utc("2024-04-01T09:00"))
    # When the app lists them as it does, without a limit
    everything = await api.get(f"{GOALS}/", params={"active_only": "false"}, headers=user.headers)
    active = await api.get(f"{GOALS}/", params={"active_only": "true"}, headers=user.headers)
    # Then every goal comes back in one answer, with no next page
    assert len(everything.json()) == 70
    assert "X-Next-Cursor" not in everything.headers
    assert len(active.json()) == 10


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"cursor": "not-a-cursor"}, {"offset": -1}])
async def test_bad_list_parameters_are_422(
    api: httpx.AsyncClient, make_user: MakeUser, params: dict[str, Any]
) -> None:
    user = await make_user()
    response = await api.get(GOALS, params=params, headers=user.headers)
    assert response.status_code == 422, response.text


async def test_goal_stats_count_settled_rows_in_the_owners_recent_local_days(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a goal pending today (2024-06-12) with older rows: two completed, one skipped, one missed
    user = await make_user()
    goal = await post_goal(api, user)
    await set_goal(connection, goal["id"], current_streak=1, longest_streak=4, total_completions=2)
    for day, status in [
        (date(2024, 6, 11), "completed"),
        (date(2024, 6, 10), "skipped"),
        (date(2024, 6, 1), "missed"),
        (date(2024, 5, 1), "completed"),
    ]:
        await add_checkin(connection, user, goal["id"], day, status)
    # When its stats are read
    response = await api.get(f"{GOALS}/{goal['id']}/stats", headers=user.headers)
    # Then the pending row counts nowhere, and the windows are the last 7 and 30 local days
    assert response.status_code == 200
    assert response.json() == {
        "goal_id": goal["id"],
        "title": "Run",
        "current_streak": 1,
        "longest_streak": 4,
        "total_completions": 2,
        "total_checkins": 4,
        "completed_checkins": 2,
        "completion_rate": 50.0,
        "checkins_last_7d": 2,
        "checkins_last_30d": 3,
        "goal_created": goal["created_at"],
    }


async def test_summary_counts_goals_and_takes_streaks_from_active_goals(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given an active goal on a 3-day streak, a paused one and an archived one with a longer history,
    # and settled rows: two completed, one skipped (today's pending row counts nowhere)
    user = await make_user(plan="premium")
    active = await post_goal(api, user)
    paused = await post_goal(api, user)
    archived = await post_goal(api, user)
    await set_goal(connection, active["id"], current_streak=3, longest_streak=5, total_completions=7)
    await set_goal(connection, paused["id"], status="paused")
    await set_goal(
        connection, archived["id"], status="archived", current_streak=9, longest_streak=9, total_completions=9
    )
    for day, status in [(date(2024, 6, 11), "completed"), (date(2024, 6, 10), "skipped")]:
        await add_checkin(connection, user, active["id"], day, status)
    await add_checkin(connection, user, archived["id"], date(2024, 6, 11), "completed")
    stranger = await make_user()
    strangers_goal = await post_goal(api, stranger)
    await add_checkin(connection, stranger, strangers_goal["id"], date(2024, 6, 11), "missed")
    # When the summary is read
    response = await api.get(f"{GOALS}/stats/summary", headers=user.headers)
    # Then every goal counts in the totals and the app's best streaks, and the user streak is that of
    # active goals; nobody else's rows count
    assert response.json() == {
        "total_goals": 3,
        "active_goals": 1,
        "paused_goals": 1,
        "archived_goals": 1,
        "total_checkins": 3,
        "completed_checkins": 2,
        "completion_rate": 66.7,
        "best_streak_ever": 9,
        "current_best_streak": 9,
        "total_completions": 16,
        "current_streak": 3,
        "longest_streak": 5,
    }
