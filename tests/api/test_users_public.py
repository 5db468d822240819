"""GET /users/{id}, /users/me/stats and /users/{id}/stats: public fields only for others, the private
counts only for oneself, 404 for unknown or hidden accounts, 4xx with the error body on bad input."""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import goals
from tests.api.auth_support import MakeUser
from tests.api.checkins_support import insert_checkin

USERS = "/api/v1/users"
PUBLIC_FIELDS = {"id", "username", "name", "profile_picture_url", "bio", "created_at"}
STATS_FIELDS = {"total_goals", "completed_goals", "total_check_ins", "current_streak", "longest_streak"}


async def add_goal(
    connection: AsyncConnection, user_id: UUID, *, status: str, current: int, longest: int
) -> UUID:
    goal_id: UUID = (
        await connection.execute(
            sa.insert(goals)
            .values(
                user_id=user_id,
                title=f"Goal {status} {current}",
                frequency_type="daily",
                status=status,
                current_streak=current,
                longest_streak=longest,
            )
            .returning(goals.c.id)
        )
    ).scalar_one()
    return goal_id


async def seed_history(connection: AsyncConnection, user_id: UUID) -> None:
    """Two active goals (streaks 3/5 and 1/2), a paused one with the best streaks, and check-ins:
    4 answered (completed, skipped, rest day), 1 missed, 1 pending."""
    running = await add_goal(connection, user_id, status="active", current=3, longest=5)
    await add_goal(connection, user_id, status="active", current=1, longest=2)
    paused = await add_goal(connection, user_id, status="paused", current=9, longest=12)
    for day, status in [
        (date(2026, 11, 1), "completed"),
        (date(2026, 11, 2), "skipped"),
        (date(2026, 11, 3), "rest_day"),
        (date(2026, 11, 4), "missed"),
        (date(2026, 11, 5), "pending"),
    ]:
        await insert_checkin(connection, user_id, running, day, status)
    await insert_checkin(connection, user_id, paused, date(2026, 11, 1), "completed")


async def test_a_user_reads_another_users_public_profile_only(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # Given a user with a bio and an avatar, and another user
    owner = await make_user(bio="Runner", profile_picture_url="avatar_7", country="NZ")
    viewer = await make_user()
    # When the other one reads the first by id
    response = await client.get(f"{USERS}/{owner.id}", headers=viewer.headers)
    # Then only the public fields come back: no email, plan, status, settings or activity
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == PUBLIC_FIELDS
    assert (body["id"], body["bio"], body["profile_picture_url"]) == (str(owner.id), "Runner", "avatar_7")
    assert owner.email not in response.text


async def test_reading_oneself_by_id_shows_the_same_public_shape(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    response = await client.get(f"{USERS}/{user.id}", headers=user.headers)
    assert response.status_code == 200
    assert set(response.json()) == PUBLIC_FIELDS


@pytest.mark.parametrize("suffix", ["", "/stats"])
async def test_an_unknown_or_suspended_user_is_404(
    client: httpx.AsyncClient, make_user: MakeUser, suffix: str
) -> None:
    # Given a viewer and a suspended account
    viewer = await make_user()
    suspended = await make_user(status="suspended")
    # When the viewer asks for an id nobody has, and for the suspended account
    for target in (uuid.uuid4(), suspended.id):
        response = await client.get(f"{USERS}/{target}{suffix}", headers=viewer.headers)
        # Then both are the same 404 with the error body
        assert response.status_code == 404, response.text
        assert response.json() == {"detail": "User not found.", "code": "user_not_found"}


async def test_own_stats_are_computed_from_goals_and_check_ins(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a user with goals in several states and a history of check-ins
    user = await make_user()
    await seed_history(connection, user.id)
    # When they read their stats, by /me and by their own id
    mine = await client.get(f"{USERS}/me/stats", headers=user.headers)
    by_id = await client.get(f"{USERS}/{user.id}/stats", headers=user.headers)
    # Then the counts follow §3.13: all goals, non-active goals, answered rows, and the streaks over
    # active goals only
    assert mine.status_code == by_id.status_code == 200, mine.text
    assert (
        mine.json()
        == by_id.json()
        == {
            "total_goals": 3,
            "completed_goals": 1,
            "total_check_ins": 4,
            "current_streak": 3,
            "longest_streak": 5,
        }
    )


async def test_a_new_user_has_zero_stats(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    response = await client.get(f"{USERS}/me/stats", headers=user.headers)
    assert response.json() == dict.fromkeys(STATS_FIELDS, 0)


async def test_another_users_stats_show_the_streaks_and_hide_the_counts(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given user A with a history, and user B
    owner, viewer = await make_user(), await make_user()
    await seed_history(connection, owner.id)
    # When B reads A's stats
    response = await client.get(f"{USERS}/{owner.id}/stats", headers=viewer.headers)
    # Then B sees A's streaks, but not how many goals and check-ins A has
    assert response.status_code == 200, response.text
    assert response.json() == {
        "total_goals": None,
        "completed_goals": None,
        "total_check_ins": None,
        "current_streak": 3,
        "longest_streak": 5,
    }


async def test_own_stats_never_count_another_users_rows(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given user A with a history, and user B without any
    owner, other = await make_user(), await make_user()
    await seed_history(connection, owner.id)
    # When B reads their own stats / Then A's rows count nowhere
    response = await client.get(f"{USERS}/me/stats", headers=other.headers)
    assert response.json() == dict.fromkeys(STATS_FIELDS, 0)


@pytest.mark.parametrize(
    "path",
    [
        "/not-a-uuid",
        "/not-a-uuid/stats",
        "/12345678-1234-1234-1234-1234567890a",
        "/%00",
        "/%00/stats",
    ],
)
async def test_a_malformed_user_id_is_a_4xx_with_the_error_body(
    client: httpx.AsyncClient, make_user: MakeUser, path: str
) -> None:
    user = await make_user()
    response = await client.get(f"{USERS}{path}", headers=user.headers)
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()) >= {"detail", "code"}


@pytest.mark.parametrize("path", ["/me/stats", "/{id}", "/{id}/stats"])
async def test_the_user_routes_need_a_token(
    client: httpx.AsyncClient, make_user: MakeUser, path: str
) -> None:
    user = await make_user()
    response = await client.get(USERS + path.format(id=user.id))
    assert response.status_code == 401
