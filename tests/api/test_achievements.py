"""/achievements: the catalogue, the caller's unlocks, the check and the totals (§3.7, §5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db.tables import achievement_types
from tests.api.auth_support import MakeUser
from tests.api.checkins_support import answer, insert_checkin
from tests.api.test_goals import post_goal
from tests.services.achievements_support import add_completed_days
from tests.support.rows import insert_goal_row as insert_goal
from tests.support.social_rows import insert_pair

ACHIEVEMENTS = "/api/v1/achievements"
NOON_UTC = datetime(2024, 6, 12, 12, 0, tzinfo=UTC)
TYPE_FIELDS = {
    "id",
    "badge_key",
    "badge_name",
    "badge_description",
    "badge_icon",
    "unlock_condition",
    "category",
    "rarity",
    "points",
    "sort_order",
    "is_active",
}
UNLOCK_FIELDS = {
    "id",
    "user_id",
    "achievement_type_id",
    "goal_id",
    "unlocked_at",
    "viewed_at",
    "metadata",
    "badge_key",
    "badge_name",
    "badge_description",
    "badge_icon",
    "category",
    "rarity",
    "points",
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOON_UTC)


async def get_json(client: AsyncClient, path: str, user: Any, **params: Any) -> Any:
    response = await client.get(f"{ACHIEVEMENTS}{path}", headers=user.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_types_answer_the_whole_active_catalogue_by_default(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    response = await client.get(f"{ACHIEVEMENTS}/types", headers=user.headers)
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 69
    assert "X-Next-Cursor" not in response.headers
    assert set(body[0]) == TYPE_FIELDS
    assert body[0]["badge_key"] == "first_checkin"
    assert body[0]["unlock_condition"] == {"type": "checkin_count", "value": 1}
    assert [row["sort_order"] for row in body] == list(range(1, 70))
    assert all(row["is_active"] for row in body)


async def test_types_page_with_limit_and_cursor_and_leave_inactive_badges_out(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given one badge switched off
    await connection.execute(
        sa.update(achievement_types).where(achievement_types.c.badge_key == "goals_3").values(is_active=False)
    )
    user = await make_user()

    # When the catalogue is read 30 at a time
    keys: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 30} | ({"cursor": cursor} if cursor else {})
        response = await client.get(f"{ACHIEVEMENTS}/types", headers=user.headers, params=params)
        keys += [row["badge_key"] for row in response.json()]
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            break

    # Then every active badge came once, in order
    assert len(keys) == len(set(keys)) == 68
    assert "goals_3" not in keys


@pytest.mark.parametrize("cursor", ["nope", "WzFd", "WyJ4IiwieSJd"])
async def test_a_foreign_cursor_is_422(client: AsyncClient, make_user: MakeUser, cursor: str) -> None:
    user = await make_user()
    for path in ("/types", "/me"):
        response = await client.get(f"{ACHIEVEMENTS}{path}", headers=user.headers, params={"cursor": cursor})
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_cursor"


async def test_creating_a_goal_unlocks_goal_setter_with_its_goal(
    client: AsyncClient, make_user: MakeUser
) -> None:
    # Given a new user
    user = await make_user()

    # When they create a goal
    goal = await post_goal(client, user)

    # Then Goal Setter is theirs, linked to the goal
    [unlock] = await get_json(client, "/me", user)
    assert set(unlock) == UNLOCK_FIELDS
    assert unlock["badge_key"] == "first_goal"
    assert (unlock["goal_id"], unlock["user_id"], unlock["viewed_at"]) == (goal["id"], str(user.id), None)
    assert unlock["metadata"]["goal_count"] == 1
    assert unlock["metadata"]["source_type"] == "goal"
    assert (unlock["points"], unlock["rarity"], unlock["category"]) == (15, "common", "milestone")


async def test_a_completed_check_in_unlocks_in_its_transaction(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a goal with 9 completed days before today
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)
    await add_completed_days(
        connection, user.id, goal_id, [date(2024, 6, 12) - timedelta(days=n) for n in range(1, 10)]
    )

    # When today is skipped, nothing new; when it is completed instead (another goal), the tenth
    assert (await answer(client, user, goal_id, completed=False, skip_reason="tired")).status_code == 201
    assert await get_json(client, "/me", user) == []
    other = await insert_goal(connection, user.id, title="Read")
    assert (await answer(client, user, other)).status_code == 201

    # Then the check-in, goal and perfect-week badges are unlocked (the goals were inserted without
    # the API, so nothing was evaluated before)
    keys = {row["badge_key"] for row in await get_json(client, "/me", user)}
    assert keys == {"first_checkin", "first_goal", "checkins_10", "perfect_week"}


async def test_check_answers_only_what_it_unlocked(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a user with three goals written without the API
    user = await make_user()
    for title in ("A", "B", "C"):
        await insert_goal(connection, user.id, title=title)

    # When they ask for a check twice
    first = await client.post(f"{ACHIEVEMENTS}/check", headers=user.headers, json={})
    second = await client.post(f"{ACHIEVEMENTS}/check", headers=user.headers, json={})

    # Then the first answers the two goal badges in the /me shape, the second nothing
    assert first.status_code == 200, first.text
    assert [row["badge_key"] for row in first.json()] == ["first_goal", "goals_3"]
    assert set(first.json()[0]) == UNLOCK_FIELDS
    assert first.json()[0]["goal_id"] is None
    assert first.json()[0]["metadata"]["source_type"] == "check"
    assert second.json() == []


async def test_stats_sum_points_and_count_rarities(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given first_goal (15, common), goals_3 (30, common), first_partner (20, common) and nothing else
    user, partner = await make_user(), await make_user()
    for title in ("A", "B", "C"):
        await insert_goal(connection, user.id, title=title)
    await insert_pair(connection, user.id, partner.id)
    await client.post(f"{ACHIEVEMENTS}/check", headers=user.headers)

    # Then
    breakdown = {"common": 3, "rare": 0, "epic": 0, "legendary": 0}
    assert await get_json(client, "/stats", user) == {
        "total_achievements": 3,
        "total_points": 65,
        "rarity_breakdown": breakdown,
        "by_rarity": breakdown,
    }
    empty = {"common": 0, "rare": 0, "epic": 0, "legendary": 0}
    assert await get_json(client, "/stats", partner) == {
        "total_achievements": 0,
        "total_points": 0,
        "rarity_breakdown": empty,
        "by_rarity": empty,
    }


async def test_me_shows_only_the_callers_unlocks(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given two users, each with unlocks
    mine, theirs = await make_user(), await make_user()
    await post_goal(client, mine)
    theirs_goal = await insert_goal(connection, theirs.id)
    await insert_checkin(connection, theirs.id, theirs_goal, date(2024, 6, 11), "completed")
    await client.post(f"{ACHIEVEMENTS}/check", headers=theirs.headers)

    # When each reads /me, then each sees their own only
    assert {row["user_id"] for row in await get_json(client, "/me", mine)} == {str(mine.id)}
    assert {row["badge_key"] for row in await get_json(client, "/me", mine)} == {"first_goal"}
    assert {row["badge_key"] for row in await get_json(client, "/me", theirs)} == {
        "first_goal",
        "first_checkin",
    }
    assert (await get_json(client, "/stats", mine))["total_achievements"] == 1


async def test_me_pages_newest_first(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given five unlocks
    user = await make_user()
    for title in ("A", "B", "C", "D", "E"):
        await insert_goal(connection, user.id, title=title)
    goal_id = await insert_goal(connection, user.id, title="F")
    await insert_checkin(connection, user.id, goal_id, date(2024, 6, 11), "completed")
    await client.post(f"{ACHIEVEMENTS}/check", headers=user.headers)
    everything = await get_json(client, "/me", user)

    # When read two at a time
    first = await client.get(f"{ACHIEVEMENTS}/me", headers=user.headers, params={"limit": 2})
    cursor = first.headers["X-Next-Cursor"]
    rest = await get_json(client, "/me", user, cursor=cursor)

    # Then the pages are the whole list in order
    assert len(everything) == 4  # first_checkin, first_goal, goals_3, goals_5
    assert [row["id"] for row in first.json() + rest] == [row["id"] for row in everything]


async def test_routes_need_a_token(client: AsyncClient) -> None:
    for method, path in [("GET", "/types"), ("GET", "/me"), ("POST", "/check"), ("GET", "/stats")]:
        assert (await client.request(method, f"{ACHIEVEMENTS}{path}")).status_code == 401
