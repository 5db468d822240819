"""GET /analytics/dashboard: the premium per-goal analytics tab (docs/client-behaviour.md §6.3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.analytics.cache import CACHE_TTL_SECONDS, PROVISIONAL_TTL_SECONDS, DashboardCache
from api.clock import FixedClock
from db.tables import users
from domain.analytics import AnalyticsDashboard
from settings import Settings
from tests.api.auth_support import MakeUser
from tests.api.checkins_support import answer, at_local, counted_statements, insert_checkin
from tests.support.rows import insert_goal_row as insert_goal
from tests.support.users import ApiUser

DASHBOARD = "/api/v1/analytics/dashboard"
NOW = datetime(2024, 6, 12, 12, 0, tzinfo=UTC)  # a Wednesday
TODAY = NOW.date()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


async def read(client: AsyncClient, user: ApiUser, goal_id: UUID, **params: Any) -> dict[str, Any]:
    response = await client.get(DASHBOARD, params={"goal_id": str(goal_id), **params}, headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# The seeded history: (date, status, extra columns). Outside the 30-day window (13 May … 12 June):
# two completions in April (streak history only) and a skip on 12 May (counted nowhere).
HISTORY: list[tuple[date, str, dict[str, str]]] = [
    (date(2024, 4, 22), "completed", {}),
    (date(2024, 4, 23), "completed", {}),
    (date(2024, 5, 12), "skipped", {"skip_reason": "work"}),
    (date(2024, 5, 13), "completed", {"mood": "good"}),
    (date(2024, 5, 14), "completed", {"mood": "amazing"}),
    (date(2024, 5, 15), "rest_day", {}),
    (date(2024, 5, 16), "skipped", {"skip_reason": "tired", "mood": "tough"}),
    (date(2024, 5, 20), "missed", {}),
    (date(2024, 5, 21), "skipped", {}),
    (date(2024, 5, 22), "skipped", {"skip_reason": "work"}),
    (date(2024, 6, 3), "completed", {}),
    (date(2024, 6, 6), "skipped", {"skip_reason": "tired"}),
    (date(2024, 6, 7), "skipped", {"skip_reason": "tired"}),
    (date(2024, 6, 9), "completed", {"mood": "good"}),
    (date(2024, 6, 10), "completed", {}),
    (date(2024, 6, 11), "rest_day", {"mood": "amazing"}),
    (date(2024, 6, 12), "pending", {}),
]


async def seeded_goal(connection: AsyncConnection, user: ApiUser) -> UUID:
    goal_id = await insert_goal(
        connection,
        user.id,
        title="Run",
        created_at=datetime(2024, 4, 20, 10, 0, tzinfo=UTC),  # a Saturday
        current_streak=3,
        longest_streak=5,
    )
    for day, status, columns in HISTORY:
        await insert_checkin(connection, user.id, goal_id, day, status, **columns)
    return goal_id


async def test_every_section_of_a_seeded_history(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a premium user's daily goal with the history above
    user = await make_user(plan="premium")
    goal_id = await seeded_goal(connection, user)

    # When the 30-day dashboard is read
    body = await read(client, user, goal_id, days=30)

    # Then the goal, the summary (13 settled rows of the window, 7 of them done) and every chart match
    assert {key: body[key] for key in ("goal_id", "goal_title", "goal_created_at", "target_days")} == {
        "goal_id": str(goal_id),
        "goal_title": "Run",
        "goal_created_at": "2024-04-20",
        "target_days": None,
    }
    assert (body["total_check_ins"], body["completed_check_ins"], body["completion_rate"]) == (13, 7, 53.8)
    assert (body["current_streak"], body["longest_streak"]) == (3, 5)
    assert (body["data_range_days"], body["cache_hit"]) == (30, False)
    assert body["generated_at"].startswith("2024-06-12T12:00:00")

    heatmap = body["heatmap_data"]
    assert [item["date"] for item in heatmap] == [
        (date(2024, 5, 13) + timedelta(days=offset)).isoformat() for offset in range(31)
    ]
    shown = {item["date"]: (item["status"], item["intensity"]) for item in heatmap}
    in_window = {day.isoformat(): status for day, status, _ in HISTORY if day >= date(2024, 5, 13)}
    intensity = {"completed": 4, "rest_day": 3, "pending": 2, "skipped": 0, "missed": 0}
    assert shown == {
        day: (in_window[day], intensity[in_window[day]]) if day in in_window else ("not_scheduled", 1)
        for day in shown
    }

    assert body["this_week_summary"] == [
        {"date": "2024-06-06", "day_name": "Thu", "day_of_week": 4, "status": "skipped"},
        {"date": "2024-06-07", "day_name": "Fri", "day_of_week": 5, "status": "skipped"},
        {"date": "2024-06-08", "day_name": "Sat", "day_of_week": 6, "status": "not_scheduled"},
        {"date": "2024-06-09", "day_name": "Sun", "day_of_week": 0, "status": "completed"},
        {"date": "2024-06-10", "day_name": "Mon", "day_of_week": 1, "status": "completed"},
        {"date": "2024-06-11", "day_name": "Tue", "day_of_week": 2, "status": "rest_day"},
        {"date": "2024-06-12", "day_name": "Wed", "day_of_week": 3, "status": "pending"},
    ]
    assert body["weekly_consistency"] == [
        {"day": "Mon", "day_index": 1, "total": 4, "completed": 3, "percentage": 75},
        {"day": "Tue", "day_index": 2, "total": 3, "completed": 2, "percentage": 67},
        {"day": "Wed", "day_index": 3, "total": 2, "completed": 1, "percentage": 50},
        {"day": "Thu", "day_index": 4, "total": 2, "completed": 0, "percentage": 0},
        {"day": "Fri", "day_index": 5, "total": 1, "completed": 0, "percentage": 0},
        {"day": "Sun", "day_index": 0, "total": 1, "completed": 1, "percentage": 100},
    ]
    # W1 is the creation week (Monday 15 April); Sunday 9 June and Monday 10 June are in two weeks.
    assert body["streak_history"] == [
        {
            "week": f"W{number}",
            "week_start": (date(2024, 4, 15) + timedelta(weeks=number - 1)).isoformat(),
            "max_streak": streak,
        }
        for number, streak in enumerate([0, 2, 0, 0, 3, 0, 0, 1, 2], start=1)
    ]
    assert body["monthly_trend"] == [
        {"month": "May", "month_index": 4, "year": 2024, "total": 7, "completed": 3, "percentage": 43},
        {"month": "Jun", "month_index": 5, "year": 2024, "total": 6, "completed": 4, "percentage": 67},
    ]
    assert body["skip_reasons"] == [
        {"reason": "tired", "label": "Tired", "count": 3, "percentage": 60, "color": "#4ECDC4"},
        {"reason": "work", "label": "Work", "count": 1, "percentage": 20, "color": "#FF6B6B"},
        {"reason": "other", "label": "Other", "count": 1, "percentage": 20, "color": "#95A5A6"},
    ]
    assert body["mood_trend"] == [
        {"date": "2024-05-13", "mood": "good", "mood_score": 2, "label": "May 13"},
        {"date": "2024-05-14", "mood": "amazing", "mood_score": 3, "label": "May 14"},
        {"date": "2024-05-16", "mood": "tough", "mood_score": 1, "label": "May 16"},
        {"date": "2024-06-09", "mood": "good", "mood_score": 2, "label": "Jun 09"},
        {"date": "2024-06-11", "mood": "amazing", "mood_score": 3, "label": "Jun 11"},
    ]


async def test_a_new_goal_without_answers_still_carries_its_goal(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user(plan="premium")
    goal_id = await insert_goal(
        connection, user.id, target_days=[1, 3], created_at=datetime(2024, 6, 12, 8, 0, tzinfo=UTC)
    )

    body = await read(client, user, goal_id)

    assert (body["goal_id"], body["target_days"], body["goal_created_at"]) == (
        str(goal_id),
        [1, 3],
        "2024-06-12",
    )
    assert (body["total_check_ins"], body["completed_check_ins"], body["completion_rate"]) == (0, 0, 0.0)
    assert body["heatmap_data"] == [{"date": "2024-06-12", "status": "not_scheduled", "intensity": 1}]
    assert [item["status"] for item in body["this_week_summary"]] == ["no_data"] * 6 + ["not_scheduled"]
    assert body["streak_history"] == [{"week": "W1", "week_start": "2024-06-10", "max_streak": 0}]
    assert body["monthly_trend"] == [
        {"month": "Jun", "month_index": 5, "year": 2024, "total": 0, "completed": 0, "percentage": 0}
    ]
    assert body["weekly_consistency"] == body["skip_reasons"] == body["mood_trend"] == []


async def test_dates_are_the_owners_local_dates(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    # Given a Kiritimati (UTC+14) owner at 02:00 on the 13th (still the 12th in UTC), whose goal was
    # created at 01:00 local on the 11th (the 10th in UTC)
    zone = "Pacific/Kiritimati"
    user = await make_user(plan="premium", timezone=zone)
    clock.instant = at_local(zone, date(2024, 6, 13), time(2, 0))
    goal_id = await insert_goal(connection, user.id, created_at=at_local(zone, date(2024, 6, 11), time(1, 0)))
    for day, status in ((date(2024, 6, 11), "completed"), (date(2024, 6, 12), "skipped")):
        await insert_checkin(connection, user.id, goal_id, day, status)
    assert (await answer(client, user, goal_id)).status_code == 201  # today, the 13th, completed

    # When the 7-day dashboard is read
    body = await read(client, user, goal_id, days=7)

    # Then the window runs from the local creation date to the local today
    assert body["goal_created_at"] == "2024-06-11"
    assert [(item["date"], item["status"]) for item in body["heatmap_data"]] == [
        ("2024-06-11", "completed"),
        ("2024-06-12", "skipped"),
        ("2024-06-13", "completed"),
    ]
    assert [(item["date"], item["status"]) for item in body["this_week_summary"]] == [
        ("2024-06-07", "no_data"),
        ("2024-06-08", "no_data"),
        ("2024-06-09", "no_data"),
        ("2024-06-10", "no_data"),
        ("2024-06-11", "completed"),
        ("2024-06-12", "skipped"),
        ("2024-06-13", "completed"),
    ]
    assert body["streak_history"] == [{"week": "W1", "week_start": "2024-06-10", "max_streak": 1}]
    assert (body["total_check_ins"], body["completed_check_ins"]) == (3, 2)


async def test_free_plan_is_refused(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)

    response = await client.get(DASHBOARD, params={"goal_id": str(goal_id)}, headers=user.headers)

    assert response.status_code == 403, response.text
    assert response.json()["code"] == "feature_required"
    assert response.json()["feature"] == "advanced_analytics"


async def test_another_users_goal_is_not_found(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    owner, other = await make_user(plan="premium"), await make_user(plan="premium")
    goal_id = await seeded_goal(connection, owner)

    response = await client.get(DASHBOARD, params={"goal_id": str(goal_id)}, headers=other.headers)

    assert response.status_code == 404, response.text
    assert response.json()["code"] == "goal_not_found"


@pytest.mark.parametrize("status", ["paused", "archived"])
async def test_an_inactive_goal_is_refused(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, status: str
) -> None:
    user = await make_user(plan="premium")
    goal_id = await insert_goal(connection, user.id, status=status)

    response = await client.get(DASHBOARD, params={"goal_id": str(goal_id)}, headers=user.headers)

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "goal_not_active"


@pytest.mark.parametrize(
    "params",
    [{"days": "6"}, {"days": "181"}, {"days": "thirty"}, {"goal_id": None}, {"goal_id": "not-a-uuid"}],
)
async def test_bad_parameters_are_422(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, params: dict[str, str | None]
) -> None:
    user = await make_user(plan="premium")
    goal_id = await insert_goal(connection, user.id)
    query = {key: value for key, value in ({"goal_id": str(goal_id)} | params).items() if value is not None}

    response = await client.get(DASHBOARD, params=query, headers=user.headers)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


async def test_a_second_read_is_served_from_the_cache_until_a_check_in_is_answered(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a dashboard read once
    user = await make_user(plan="premium")
    goal_id = await seeded_goal(connection, user)
    first = await read(client, user, goal_id)

    # When a row appears behind the API's back, the next read is the cached answer
    await insert_checkin(connection, user.id, goal_id, date(2024, 6, 8), "completed")
    cached = await read(client, user, goal_id)
    assert cached["cache_hit"] is True
    assert cached == first | {"cache_hit": True}
    # A different window is cached apart
    assert (await read(client, user, goal_id, days=90))["cache_hit"] is False

    # When today's check-in is answered through the API
    assert (await answer(client, user, goal_id, mood="good")).status_code == 201

    # Then every window of the goal is computed again, with both new rows
    after = await read(client, user, goal_id)
    assert after["cache_hit"] is False
    assert (after["total_check_ins"], after["completed_check_ins"]) == (15, 9)
    assert (await read(client, user, goal_id, days=90))["cache_hit"] is False
    assert (await read(client, user, goal_id))["cache_hit"] is True


async def test_editing_todays_check_in_drops_the_cached_answer(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user(plan="premium")
    goal_id = await seeded_goal(connection, user)
    answered = await answer(client, user, goal_id, completed=False, skip_reason="work")
    assert answered.status_code == 201, answered.text
    await read(client, user, goal_id)

    edited = await client.put(
        f"/api/v1/check-ins/{answered.json()['id']}", json={"skip_reason": "sick"}, headers=user.headers
    )
    assert edited.status_code == 200, edited.text

    body = await read(client, user, goal_id)
    assert body["cache_hit"] is False
    assert {item["reason"]: item["count"] for item in body["skip_reasons"]} == {
        "tired": 3,
        "work": 1,
        "other": 1,
        "sick": 1,
    }


async def test_a_goal_status_change_drops_the_cached_answer(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user(plan="premium")
    goal_id = await seeded_goal(connection, user)
    await read(client, user, goal_id)

    for action in ("deactivate", "activate"):
        response = await client.post(f"/api/v1/goals/{goal_id}/{action}", headers=user.headers)
        assert response.status_code == 200, response.text

    assert (await read(client, user, goal_id))["cache_hit"] is False


async def test_skip_cache_recomputes_and_refreshes_the_cache(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user(plan="premium")
    goal_id = await seeded_goal(connection, user)
    await read(client, user, goal_id)
    await insert_checkin(connection, user.id, goal_id, date(2024, 6, 8), "completed")

    fresh = await read(client, user, goal_id, skip_cache="true")
    assert (fresh["cache_hit"], fresh["total_check_ins"]) == (False, 14)

    again = await read(client, user, goal_id)
    assert again == fresh | {"cache_hit": True}


async def test_a_cached_answer_lapses_at_the_owners_midnight(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    user = await make_user(plan="premium")
    goal_id = await seeded_goal(connection, user)
    clock.instant = datetime(2024, 6, 12, 23, 59, tzinfo=UTC)
    await read(client, user, goal_id)

    clock.instant = datetime(2024, 6, 13, 0, 1, tzinfo=UTC)
    body = await read(client, user, goal_id)

    assert body["cache_hit"] is False
    assert body["heatmap_data"][-1]["date"] == "2024-06-13"


async def test_an_answer_the_day_jobs_will_change_is_cached_briefly(
    client: AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    redis: aioredis.Redis,
    settings: Settings,
) -> None:
    # Given a goal whose today has its pending row, and one whose row the day-start job has not made yet
    user = await make_user(plan="premium")
    settled = await seeded_goal(connection, user)
    awaiting = await insert_goal(connection, user.id, created_at=NOW - timedelta(days=3))
    cache = DashboardCache(redis, settings.redis_key_prefix)

    # When both are read
    ttls = []
    for goal_id in (settled, awaiting):
        await read(client, user, goal_id)
        key = await cache.key(user_id=user.id, goal_id=goal_id, days=30, today=TODAY)
        assert key is not None
        ttls.append(await redis.ttl(key))

    # Then the first is kept an hour, the second five minutes
    assert PROVISIONAL_TTL_SECONDS < ttls[0] <= CACHE_TTL_SECONDS
    assert 0 < ttls[1] <= PROVISIONAL_TTL_SECONDS


async def test_an_answer_cached_in_another_shape_is_computed_again(
    client: AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    redis: aioredis.Redis,
    settings: Settings,
) -> None:
    user = await make_user(plan="premium")
    goal_id = await seeded_goal(connection, user)
    cache = DashboardCache(redis, settings.redis_key_prefix)
    key = await cache.key(user_id=user.id, goal_id=goal_id, days=30, today=TODAY)
    assert key is not None
    await redis.set(key, b'{"goal_id": "an older release"}', ex=60)

    body = await read(client, user, goal_id)

    assert (body["cache_hit"], body["total_check_ins"]) == (False, 13)
    assert (await read(client, user, goal_id))["cache_hit"] is True


async def test_the_plan_is_checked_before_the_cache(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user(plan="premium")
    goal_id = await seeded_goal(connection, user)
    await read(client, user, goal_id)

    await connection.execute(sa.update(users).where(users.c.id == user.id).values(plan="free"))
    response = await client.get(DASHBOARD, params={"goal_id": str(goal_id)}, headers=user.headers)

    assert response.status_code == 403, response.text


async def test_the_statements_do_not_grow_with_the_history(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, engine: AsyncEngine
) -> None:
    # Given a goal with one settled row and one with 180 days of them
    user = await make_user(plan="premium")
    short = await insert_goal(connection, user.id, created_at=NOW - timedelta(days=2))
    await insert_checkin(connection, user.id, short, TODAY - timedelta(days=1), "completed")
    long = await insert_goal(connection, user.id, created_at=NOW - timedelta(days=200))
    for offset in range(1, 181):
        status = ("completed", "skipped", "rest_day", "missed")[offset % 4]
        mood = None if status == "missed" else "good"
        await insert_checkin(connection, user.id, long, TODAY - timedelta(days=offset), status, mood=mood)

    # When both are computed (the cache skipped), after a first request (which also notes the user's
    # activity and loads the plan catalogue)
    await read(client, user, short)
    counts = []
    for goal_id in (short, long):
        with counted_statements(engine) as statements:
            await read(client, user, goal_id, days=180, skip_cache="true")
        counts.append(len(statements))

    # Then both took the same three statements: the plan, the goal, the dashboard
    assert counts == [3, 3], counts


async def test_an_unreachable_redis_only_turns_the_cache_off() -> None:
    cache = DashboardCache(aioredis.Redis.from_url("redis://127.0.0.1:1/0"), "test")
    goal_id = UUID(int=1)

    assert await cache.key(user_id=UUID(int=2), goal_id=goal_id, days=30, today=TODAY) is None
    assert await cache.get("any") is None
    await cache.store("any", _empty_dashboard(goal_id))


def _empty_dashboard(goal_id: UUID) -> AnalyticsDashboard:
    return AnalyticsDashboard(
        goal_id=goal_id,
        goal_title="Run",
        goal_created_at=TODAY,
        target_days=None,
        total_check_ins=0,
        completed_check_ins=0,
        completion_rate=0.0,
        current_streak=0,
        longest_streak=0,
        heatmap_data=[],
        this_week_summary=[],
        weekly_consistency=[],
        streak_history=[],
        monthly_trend=[],
        skip_reasons=[],
        mood_trend=[],
        data_range_days=30,
        generated_at=NOW,
    )
