"""GET /home/dashboard: today's unanswered check-ins with their goals, and the user's streaks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.clock import FixedClock
from db.checkins import recompute_goal_streaks
from tests.api.auth_support import MakeUser
from tests.api.checkins_support import (
    answer,
    at_local,
    counted_statements,
    insert_checkin,
)
from tests.support.rows import insert_goal_row as insert_goal

DASHBOARD = "/api/v1/home/dashboard"
WEDNESDAY = date(2024, 6, 12)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2024, 6, 12, 12, 0, tzinfo=UTC))


async def test_dashboard_lists_todays_pending_goals_and_the_user_streaks(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given three active goals (one answered today, one pending on a 3-day streak, one pending new) and a
    # paused goal holding the user's best streaks
    user = await make_user()
    answered = await insert_goal(connection, user.id, title="Stretch")
    streaking = await insert_goal(connection, user.id, title="Run")
    fresh = await insert_goal(connection, user.id, title="Read", target_days=[1, 3])
    paused = await insert_goal(connection, user.id, title="Swim", status="paused")
    for day in (WEDNESDAY - timedelta(days=offset) for offset in (3, 2, 1)):
        await insert_checkin(connection, user.id, streaking, day, "completed")
    for day in (WEDNESDAY - timedelta(days=offset) for offset in range(1, 12)):
        await insert_checkin(connection, user.id, paused, day, "completed")
    await recompute_goal_streaks(connection, [streaking, paused])
    pending_ids = {
        goal_id: await insert_checkin(connection, user.id, goal_id, WEDNESDAY)
        for goal_id in (answered, streaking, fresh)
    }
    assert (await answer(client, user, answered)).status_code == 201

    # When the dashboard is read
    response = await client.get(DASHBOARD, headers=user.headers)

    # Then the two pending goals are listed with their rows and goals; the streaks ignore the paused goal
    assert response.status_code == 200, response.text
    body = response.json()
    items = {item["data"]["goal_id"]: item for item in body["today_pending_checkins"]}
    assert set(items) == {str(streaking), str(fresh)}
    run = items[str(streaking)]
    assert run["type"] == "goal"
    assert run["data"] == {
        "id": str(pending_ids[streaking]),
        "goal_id": str(streaking),
        "check_in_date": WEDNESDAY.isoformat(),
        "is_checked_in": False,
    }
    assert (run["item"]["id"], run["item"]["title"], run["item"]["current_streak"]) == (
        str(streaking),
        "Run",
        3,
    )
    assert (run["item"]["is_scheduled_today"], run["item"]["today_checkin_status"]) == (True, None)
    assert items[str(fresh)]["item"]["progress_this_week"] == {"completed": 0, "target": 2}
    assert (body["current_streak"], body["longest_streak"]) == (3, 3)


async def test_dashboard_uses_the_owners_local_today_and_ignores_the_timezone_parameter(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    # Given an Auckland owner at 07:00 on the 13th (the 12th in UTC), with rows on both dates pending
    zone = "Pacific/Auckland"
    user = await make_user(timezone=zone)
    goal_id = await insert_goal(connection, user.id)
    clock.instant = at_local(zone, date(2024, 6, 13), time(7, 0))
    await insert_checkin(connection, user.id, goal_id, date(2024, 6, 12))
    todays = await insert_checkin(connection, user.id, goal_id, date(2024, 6, 13))

    # When the dashboard is read, the client claiming to be in Los Angeles
    response = await client.get(DASHBOARD, params={"timezone": "America/Los_Angeles"}, headers=user.headers)

    # Then only the owner's local 13th counts
    assert response.status_code == 200, response.text
    assert [item["data"]["id"] for item in response.json()["today_pending_checkins"]] == [str(todays)]


async def test_dashboard_without_goals_is_empty(client: AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    response = await client.get(DASHBOARD, headers=user.headers)
    assert response.json() == {"today_pending_checkins": [], "current_streak": 0, "longest_streak": 0}


async def test_dashboard_reads_in_one_statement(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, engine: AsyncEngine
) -> None:
    # Given several active goals with pending rows
    user = await make_user(plan="premium")
    for _ in range(5):
        goal_id = await insert_goal(connection, user.id)
        await insert_checkin(connection, user.id, goal_id, WEDNESDAY)

    # When the dashboard is read (after a first request, which also notes the user's activity)
    assert (await client.get(DASHBOARD, headers=user.headers)).status_code == 200
    with counted_statements(engine) as statements:
        response = await client.get(DASHBOARD, headers=user.headers)

    # Then it took one statement, whatever the number of goals
    assert len(response.json()["today_pending_checkins"]) == 5
    assert len(statements) == 1, statements
