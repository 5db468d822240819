"""/recaps (api/recaps/controller.py): premium only, the caller's list by offset or cursor, one recap whose
first view sets viewed_at, and last week's recap generated on demand (no model: the template)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db.tables import achievement_types, goals, user_achievements, weekly_recaps
from tests.jobs.scheduling_support import add_checkin, add_goal
from tests.support.recap_rows import insert_recap
from tests.support.rows import utc
from tests.support.users import ApiUser

MakeUser = Callable[..., Awaitable[ApiUser]]
RECAPS = "/api/v1/recaps"
# Wednesday 2025-06-18, 12:00 UTC: last finished week is Monday 2025-06-09 to Sunday 2025-06-15.
NOON = utc("2025-06-18T12:00")
LAST_WEEK = date(2025, 6, 9)
# What the app's screens read (client-behaviour §6.1).
RECAP_FIELDS = {
    "id",
    "week_start",
    "week_end",
    "goals_hit",
    "goals_total",
    "consistency_percent",
    "summary",
    "recap_text",
    "win",
    "insight",
    "focus_next_week",
    "motivational_close",
    "stats",
    "goal_breakdown",
    "completion_rate_trend",
    "partner_context",
    "achievements_unlocked",
    "generated_at",
    "viewed_at",
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOON)


async def premium(make_user: MakeUser) -> ApiUser:
    return await make_user(plan="premium", name="Lea Braun")


@pytest.mark.parametrize("path", ["/list", "/weekly", f"/{UUID(int=7)}"])
async def test_free_users_get_403_on_every_recap_route(
    client: AsyncClient, make_user: MakeUser, path: str
) -> None:
    user = await make_user()
    response = await client.get(f"{RECAPS}{path}", headers=user.headers)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "weekly_recap_feature_required"


async def test_the_list_pages_by_offset_and_by_cursor_newest_week_first(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given three recaps of the caller and one of someone else
    user = await premium(make_user)
    weeks = [LAST_WEEK - timedelta(weeks=back) for back in range(3)]
    for week in weeks:
        await insert_recap(connection, user.id, week)
    await insert_recap(connection, (await premium(make_user)).id, LAST_WEEK)

    # When the app reads pages of two by offset, and the next page by cursor
    first = (
        await client.get(f"{RECAPS}/list", params={"limit": 2, "offset": 0}, headers=user.headers)
    ).json()
    second = (
        await client.get(f"{RECAPS}/list", params={"limit": 2, "offset": 2}, headers=user.headers)
    ).json()
    by_cursor = (
        await client.get(
            f"{RECAPS}/list", params={"limit": 2, "cursor": first["next_cursor"]}, headers=user.headers
        )
    ).json()

    # Then the pages hold the caller's weeks newest first, with the total and the app's fields
    assert [item["week_start"] for item in first["data"]] == [week.isoformat() for week in weeks[:2]]
    assert [item["week_start"] for item in second["data"]] == [weeks[2].isoformat()]
    assert by_cursor["data"] == second["data"]
    assert (first["total"], second["total"]) == (3, 3)
    assert "next_cursor" not in second
    assert set(first["data"][0]) >= RECAP_FIELDS
    assert first["data"][0]["recap_text"] == f"The week of {LAST_WEEK}."


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 51}, {"offset": -1}, {"cursor": "nope"}])
async def test_list_bounds_are_422(client: AsyncClient, make_user: MakeUser, params: dict[str, Any]) -> None:
    user = await premium(make_user)
    response = await client.get(f"{RECAPS}/list", params=params, headers=user.headers)
    assert response.status_code == 422, response.text


async def test_the_first_view_sets_viewed_at_once_and_counts_toward_the_recap_badges(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser, clock: FixedClock
) -> None:
    # Given four unread recaps
    user = await premium(make_user)
    recap_ids = [
        await insert_recap(connection, user.id, LAST_WEEK - timedelta(weeks=back)) for back in range(4)
    ]

    # When the first is opened, then opened again an hour later
    first = (await client.get(f"{RECAPS}/{recap_ids[0]}", headers=user.headers)).json()
    clock.instant = NOON + timedelta(hours=1)
    again = (await client.get(f"{RECAPS}/{recap_ids[0]}", headers=user.headers)).json()

    # Then viewed_at is the first view's instant both times
    assert first["viewed_at"] == again["viewed_at"]
    assert first["viewed_at"].startswith("2025-06-18T12:00:00")
    assert first["id"] == str(recap_ids[0])

    # When the other three are opened: four recaps read unlock "First Month Recap"
    for recap_id in recap_ids[1:]:
        assert (await client.get(f"{RECAPS}/{recap_id}", headers=user.headers)).status_code == 200
    unlocked = await connection.scalars(
        sa.select(achievement_types.c.badge_key)
        .join(user_achievements, user_achievements.c.achievement_type_id == achievement_types.c.id)
        .where(user_achievements.c.user_id == user.id)
    )
    assert "recaps_4" in set(unlocked)


async def test_an_unknown_recap_is_404(client: AsyncClient, make_user: MakeUser) -> None:
    user = await premium(make_user)
    response = await client.get(f"{RECAPS}/{uuid4()}", headers=user.headers)
    assert (response.status_code, response.json()["code"]) == (404, "recap_not_found")


async def user_with_last_week(connection: AsyncConnection, user: ApiUser) -> UUID:
    goal_id = await add_goal(connection, user.id, now=NOON - timedelta(days=30), title="Run")
    for offset, status in enumerate(["completed", "completed", "missed", "completed"]):
        await add_checkin(connection, user.id, goal_id, LAST_WEEK + timedelta(days=offset), status=status)
    return goal_id


async def test_weekly_is_404_without_an_active_goal_or_without_an_occurrence_last_week(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a premium user without goals, one whose goal has rows only this week, one with a paused goal
    nothing = await premium(make_user)
    this_week_only = await premium(make_user)
    goal_id = await add_goal(connection, this_week_only.id, now=NOON - timedelta(days=30))
    await add_checkin(
        connection, this_week_only.id, goal_id, LAST_WEEK + timedelta(days=7), status="completed"
    )
    paused = await premium(make_user)
    paused_goal = await user_with_last_week(connection, paused)
    await connection.execute(sa.update(goals).where(goals.c.id == paused_goal).values(status="paused"))

    for user in (nothing, this_week_only, paused):
        # When each asks for last week's recap, forced or not
        for params in ({}, {"force_regenerate": "true"}):
            response = await client.get(f"{RECAPS}/weekly", params=params, headers=user.headers)
            # Then there is none, and none is written
            assert (response.status_code, response.json()["code"]) == (404, "recap_not_available")
    assert await connection.scalar(sa.select(sa.func.count()).select_from(weekly_recaps)) == 0


async def test_weekly_generates_once_serves_the_stored_row_and_force_regenerate_rewrites_it(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser, clock: FixedClock
) -> None:
    # Given a premium user with three of four occurrences completed last week
    user = await premium(make_user)
    await user_with_last_week(connection, user)

    # When the app asks for last week's recap twice
    generated = await client.get(f"{RECAPS}/weekly", headers=user.headers)
    clock.instant = NOON + timedelta(hours=1)
    served = (await client.get(f"{RECAPS}/weekly", headers=user.headers)).json()

    # Then it was written once, from the stats, and served as stored the second time
    assert generated.status_code == 200, generated.text
    recap = generated.json()
    assert (recap["week_start"], recap["week_end"]) == ("2025-06-09", "2025-06-15")
    assert (recap["stats"]["completed_check_ins"], recap["stats"]["completion_rate"]) == (3, 75.0)
    assert recap["consistency_percent"] == 75.0
    assert recap["recap_text"] == recap["summary"]
    assert recap["summary"].startswith("Lea, you completed 3 of 4 scheduled check-ins this week (75%)")
    assert [week["scheduled"] for week in recap["completion_rate_trend"]] == [0, 0, 0, 4]
    assert served == recap

    # When the goal is archived, the stored recap is still served; forcing regenerates it as of now
    await connection.execute(sa.update(goals).where(goals.c.user_id == user.id).values(status="archived"))
    assert (await client.get(f"{RECAPS}/weekly", headers=user.headers)).json() == recap
    assert (
        await client.get(f"{RECAPS}/weekly", params={"force_regenerate": "true"}, headers=user.headers)
    ).status_code == 404
    await connection.execute(sa.update(goals).where(goals.c.user_id == user.id).values(status="active"))
    forced = (
        await client.get(f"{RECAPS}/weekly", params={"force_regenerate": "true"}, headers=user.headers)
    ).json()
    assert forced["id"] == recap["id"]
    assert forced["generated_at"] > recap["generated_at"]
    assert await connection.scalar(sa.select(sa.func.count()).select_from(weekly_recaps)) == 1
