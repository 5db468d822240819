"""Nobody acts on a partnership they are not part of: every /partners/{id} route answers 404 to a
third user and changes nothing; partners read each other's goals, others do not; a blocked pair does
not see each other's profile."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from tests.api.auth_support import MakeUser
from tests.api.partners_support import NOW, PARTNERS, add_goal, make_partners, request_id, rows_between

ACTIONS = [
    ("POST", "accept"),
    ("POST", "reject"),
    ("POST", "cancel"),
    ("POST", "block"),
    ("POST", "unblock"),
    ("DELETE", ""),
]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.mark.parametrize("state", ["pending", "accepted", "blocked"])
@pytest.mark.parametrize(("method", "action"), ACTIONS)
async def test_a_third_user_cannot_touch_another_pairs_row(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    state: str,
    method: str,
    action: str,
) -> None:
    # Given a B↔C row in each state, and A
    a, b, c = await make_user(), await make_user(), await make_user()
    partnership = await request_id(client, b, c)
    if state == "accepted":
        await client.post(f"{PARTNERS}/{partnership}/accept", headers=c.headers)
    if state == "blocked":
        await client.post(f"{PARTNERS}/{partnership}/block", headers=c.headers)
    before = await rows_between(connection, b.id, c.id)
    # When A calls the route on it
    url = f"{PARTNERS}/{partnership}/{action}" if action else f"{PARTNERS}/{partnership}"
    response = await client.request(method, url, headers=a.headers)
    # Then not found, and the row is as it was
    assert response.status_code == 404, response.text
    assert await rows_between(connection, b.id, c.id) == before


async def test_a_non_partner_cannot_read_a_dashboard(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    a, b, c = await make_user(), await make_user(), await make_user()
    await make_partners(client, b, c)
    for owner in (b, c):
        response = await client.get(f"{PARTNERS}/{owner.id}/dashboard", headers=a.headers)
        assert (response.status_code, response.json()["code"]) == (404, "partnership_not_found")


async def test_partners_read_each_others_goals_read_only(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    owner, partner, stranger = await make_user(), await make_user(), await make_user()
    goal = await add_goal(connection, owner.id, "Run")
    url = f"/api/v1/goals/{goal}"
    assert (await client.get(url, headers=partner.headers)).status_code == 404
    partnership = await make_partners(client, partner, owner)
    read = await client.get(url, headers=partner.headers)
    assert (read.status_code, read.json()["title"]) == (200, "Run")
    assert (await client.get(url, headers=stranger.headers)).status_code == 404
    # writes stay the owner's
    assert (await client.put(url, json={"title": "Mine"}, headers=partner.headers)).status_code == 404
    assert (await client.delete(url, headers=partner.headers)).status_code == 404
    # a block ends the read
    await client.post(f"{PARTNERS}/{partnership}/block", headers=owner.headers)
    assert (await client.get(url, headers=partner.headers)).status_code == 404


async def test_a_blocked_pair_does_not_see_each_others_profile(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    a, b, c = await make_user(), await make_user(), await make_user()
    assert (await client.get(f"/api/v1/users/{b.id}", headers=a.headers)).status_code == 200
    await client.post(
        f"{PARTNERS}/report/{b.id}", json={"reason": "spam", "block_partner": True}, headers=a.headers
    )
    for viewer, shown in ((a, b), (b, a)):
        for suffix in ("", "/stats"):
            response = await client.get(f"/api/v1/users/{shown.id}{suffix}", headers=viewer.headers)
            assert (response.status_code, response.json()["code"]) == (404, "user_not_found")
    assert (await client.get(f"/api/v1/users/{b.id}", headers=c.headers)).status_code == 200
