"""Another user's goal or check-in is 404 on every check-in route, and the routes the server does not
offer stay unoffered."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.api.auth_support import MakeUser
from tests.api.checkins_support import CHECK_INS, insert_checkin, rows_of_goal
from tests.support.rows import insert_goal_row as insert_goal


@pytest.fixture
async def strangers_rows(make_user: MakeUser, connection: AsyncConnection) -> dict[str, Any]:
    """Given user A's goal with today's answered row (the default clock is the real now; any date works)."""
    owner = await make_user()
    goal_id = await insert_goal(connection, owner.id)
    checkin_id = await insert_checkin(connection, owner.id, goal_id, date.today(), "completed")
    return {"goal_id": goal_id, "checkin_id": checkin_id}


ROUTES = [
    pytest.param("POST", CHECK_INS, {"json": {"goal_id": "{goal_id}", "completed": True}}, id="answer"),
    pytest.param("GET", CHECK_INS, {"params": {"goal_id": "{goal_id}"}}, id="list by goal"),
    pytest.param("GET", f"{CHECK_INS}/goal/{{goal_id}}/today", {}, id="goal today"),
    pytest.param("GET", f"{CHECK_INS}/stats", {"params": {"goal_id": "{goal_id}"}}, id="stats"),
    pytest.param("GET", f"{CHECK_INS}/streak", {"params": {"goal_id": "{goal_id}"}}, id="streak"),
    pytest.param(
        "GET",
        f"{CHECK_INS}/calendar",
        {"params": {"goal_id": "{goal_id}", "year": 2024, "month": 6}},
        id="calendar",
    ),
    pytest.param("GET", f"{CHECK_INS}/{{checkin_id}}", {}, id="one check-in"),
    pytest.param("PUT", f"{CHECK_INS}/{{checkin_id}}", {"json": {"mood": "good"}}, id="edit"),
]


def _filled(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _filled(item, ids) for key, item in value.items()}
    return value


@pytest.mark.parametrize(("method", "path", "options"), ROUTES)
async def test_another_users_rows_are_not_found(
    client: AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    strangers_rows: dict[str, Any],
    method: str,
    path: str,
    options: dict[str, Any],
) -> None:
    # When user B addresses user A's goal or check-in
    intruder = await make_user()
    response = await client.request(
        method, _filled(path, strangers_rows), headers=intruder.headers, **_filled(options, strangers_rows)
    )

    # Then it does not exist for B, and A's rows are untouched
    assert response.status_code == 404, response.text
    assert set(response.json()) >= {"detail", "code"}
    [row] = await rows_of_goal(connection, strangers_rows["goal_id"])
    assert (row.status, row.mood) == ("completed", None)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{CHECK_INS}/range"),
        ("POST", f"{CHECK_INS}/bulk"),
        ("GET", f"{CHECK_INS}/mood-trends"),
        ("DELETE", f"{CHECK_INS}/{{checkin_id}}"),
    ],
)
async def test_routes_the_server_does_not_offer(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, method: str, path: str
) -> None:
    # Given the owner's own answered row
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)
    checkin_id = await insert_checkin(connection, user.id, goal_id, date.today(), "completed")

    # When the client calls a route it knows but the server does not offer
    response = await client.request(method, path.format(checkin_id=checkin_id), headers=user.headers)

    # Then it is 404 or 405 and answers cannot be deleted
    assert response.status_code in (404, 405)
    assert len(await rows_of_goal(connection, goal_id)) == 1


async def test_paths_answer_with_a_trailing_slash_without_redirecting(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    for path in (f"{CHECK_INS}/", f"{CHECK_INS}/today/", f"{CHECK_INS}/streak/"):
        response = await client.get(path, headers=user.headers)
        assert response.status_code == 200, path


async def test_every_route_needs_a_token(client: AsyncClient) -> None:
    for path in (CHECK_INS, f"{CHECK_INS}/today", f"{CHECK_INS}/stats", "/api/v1/home/dashboard"):
        assert (await client.get(path)).status_code == 401
