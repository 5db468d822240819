"""Another user's goal is invisible: every /goals/{id} route answers 404 to user B for user A's goal,
for reads and writes, and changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import check_ins, goals, reminder_slots
from tests.api import test_goals
from tests.api.auth_support import MakeUser
from tests.api.test_goals import GOALS, post_goal

api = test_goals.api
clock = test_goals.clock

ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "", None),
    ("PUT", "", {"title": "Mine now"}),
    ("PUT", "", {"status": "archived"}),
    ("DELETE", "", None),
    ("GET", "/stats", None),
    ("POST", "/activate", None),
    ("POST", "/deactivate", None),
    ("POST", "/archive", None),
]


async def goal_state(connection: AsyncConnection, goal_id: str) -> tuple[Any, ...]:
    goal = (
        await connection.execute(
            sa.select(goals.c.title, goals.c.status).where(goals.c.id == uuid.UUID(goal_id))
        )
    ).one()
    rows = (
        await connection.execute(sa.select(sa.func.count()).where(check_ins.c.goal_id == uuid.UUID(goal_id)))
    ).scalar_one()
    slots = (
        await connection.execute(
            sa.select(sa.func.count()).where(reminder_slots.c.goal_id == uuid.UUID(goal_id))
        )
    ).scalar_one()
    return (*goal, rows, slots)


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
async def test_another_users_goal_answers_404_and_is_left_unchanged(
    api: httpx.AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    # Given user A's active goal, and user B
    owner, intruder = await make_user(), await make_user()
    goal = await post_goal(api, owner)
    before = await goal_state(connection, goal["id"])
    # When B calls the route on A's goal
    response = await api.request(method, f"{GOALS}/{goal['id']}{suffix}", json=body, headers=intruder.headers)
    # Then it is not found for B, and A's goal, rows and slots are as they were
    assert (response.status_code, response.json()["code"]) == (404, "goal_not_found"), response.text
    assert await goal_state(connection, goal["id"]) == before


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
async def test_an_unknown_goal_answers_404(
    api: httpx.AsyncClient, make_user: MakeUser, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    user = await make_user()
    response = await api.request(method, f"{GOALS}/{uuid.uuid4()}{suffix}", json=body, headers=user.headers)
    assert response.status_code == 404


async def test_lists_and_summary_show_only_the_callers_goals(
    api: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # Given a goal of A
    owner, other = await make_user(), await make_user()
    await post_goal(api, owner)
    # When B lists goals and reads the summary
    listed = await api.get(GOALS, headers=other.headers)
    summary = await api.get(f"{GOALS}/stats/summary", headers=other.headers)
    # Then A's goal appears nowhere
    assert listed.json() == []
    assert summary.json()["total_goals"] == 0


async def test_goal_routes_need_a_token(api: httpx.AsyncClient) -> None:
    assert (await api.get(GOALS)).status_code == 401
    assert (await api.post(GOALS, json={"title": "Run", "frequency_type": "daily"})).status_code == 401
