"""GET /challenges/{id}/leaderboard: ranks derived when read by standard competition ranking (ties share
a rank: 1, 1, 3), ordered by rank then joined_at, keyset-paged; a private challenge is 404 to
outsiders and visible to a participant's accepted partner. Under many concurrent check-ins the
leaderboard equals a ranking computed independently from the stored points."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.app import create_app
from api.clock import FixedClock
from api.pagination import encode_cursor
from db.tables import challenge_leaderboard
from services.transaction import EngineDatabase
from settings import Settings
from tests.api.auth_support import MakeUser
from tests.api.challenge_scores_support import running_challenge
from tests.support.client import api_client
from tests.support.social_rows import insert_pair
from tests.support.users import ApiUser, create_user


def leaderboard_path(challenge_id: UUID) -> str:
    return f"/api/v1/challenges/{challenge_id}/leaderboard"


def competition_ranks(points: dict[UUID, int]) -> dict[UUID, int]:
    """The rank of §3.6, computed here without SQL: 1 + how many have more points."""
    return {user: 1 + sum(other > mine for other in points.values()) for user, mine in points.items()}


async def test_ties_share_a_rank_the_next_skips_and_ties_order_by_joined_at(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    users = [await make_user() for _ in range(5)]
    challenge_id = await running_challenge(
        connection, users[0].id, [user.id for user in users[1:]], points=[10, 30, 10, 30, 0]
    )

    response = await client.get(leaderboard_path(challenge_id), headers=users[2].headers)

    assert response.status_code == 200, response.text
    assert [(entry["user_id"], entry["rank"], entry["points"]) for entry in response.json()] == [
        (str(users[1].id), 1, 30),
        (str(users[3].id), 1, 30),
        (str(users[0].id), 3, 10),
        (str(users[2].id), 3, 10),
        (str(users[4].id), 5, 0),
    ]
    first = response.json()[0]
    assert first["user"]["id"] == first["user_id"]
    assert first["total_check_ins"] == 0


async def test_pages_join_up_by_cursor(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    users = [await make_user() for _ in range(7)]
    challenge_id = await running_challenge(
        connection, users[0].id, [user.id for user in users[1:]], points=[5, 5, 10, 5, 0, 10, 5]
    )
    whole = (await client.get(leaderboard_path(challenge_id), headers=users[0].headers)).json()

    served, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = await client.get(leaderboard_path(challenge_id), params=params, headers=users[0].headers)
        served += page.json()
        cursor = page.headers.get("X-Next-Cursor")
        if cursor is None:
            break

    assert served == whole
    assert [entry["rank"] for entry in served] == [1, 1, 3, 3, 3, 3, 7]


@pytest.mark.parametrize(
    "cursor",
    ["bm90LWEtY3Vyc29y", encode_cursor(2**40, datetime(2024, 6, 1, tzinfo=UTC), UUID(int=1))],
    ids=["not-a-cursor", "rank-beyond-integer"],
)
async def test_a_bad_cursor_is_422(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, cursor: str
) -> None:
    creator = await make_user()
    challenge_id = await running_challenge(connection, creator.id)

    response = await client.get(
        leaderboard_path(challenge_id), params={"cursor": cursor}, headers=creator.headers
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_cursor"


async def test_a_private_leaderboard_is_404_to_outsiders_and_open_to_a_participants_partner(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, member, partner, outsider = [await make_user() for _ in range(4)]
    challenge_id = await running_challenge(connection, creator.id, [member.id], is_public=False)
    await insert_pair(connection, partner.id, member.id)

    hidden = await client.get(leaderboard_path(challenge_id), headers=outsider.headers)
    shown = await client.get(leaderboard_path(challenge_id), headers=partner.headers)
    unknown = await client.get(leaderboard_path(UUID(int=1)), headers=creator.headers)

    assert (hidden.status_code, hidden.json()["code"]) == (404, "challenge_not_found")
    assert unknown.status_code == 404
    assert shown.status_code == 200
    assert len(shown.json()) == 2


async def test_a_public_leaderboard_is_open_to_anyone(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, passer_by = await make_user(), await make_user()
    challenge_id = await running_challenge(connection, creator.id)

    response = await client.get(leaderboard_path(challenge_id), headers=passer_by.headers)

    assert response.status_code == 200
    assert [entry["rank"] for entry in response.json()] == [1]


# --- Concurrent check-ins (real commits) ------------------------------------------------------------------

PARTICIPANTS = 40
NOW = datetime.fromisoformat("2024-06-12T12:00:00+00:00")


async def test_concurrent_check_ins_leave_ties_ranked_like_an_independent_count(
    settings: Settings, committed_database: EngineDatabase
) -> None:
    # Given a committed challenge of 40 participants starting on 0, 5, 10 or 15 points (many ties)
    app = create_app(settings, database=committed_database, clock=FixedClock(NOW))
    engine = committed_database.engine
    async with engine.begin() as connection:
        users: list[ApiUser] = [await create_user(connection, app) for _ in range(PARTICIPANTS)]
        start = [15, 15] + [(index % 3) * 5 for index in range(PARTICIPANTS - 2)]
        challenge_id = await running_challenge(
            connection,
            users[0].id,
            [user.id for user in users[1:]],
            points=start,
            start_date=date(2024, 6, 1),
        )
    # Everyone but the first two and every fifth one checks in (+10), so new ties form across groups
    checking_in = [user for index, user in enumerate(users) if index >= 2 and index % 5 != 0]

    # When they all check in concurrently through the API
    async with api_client(app) as client:
        responses = await asyncio.gather(
            *(
                client.post(f"/api/v1/challenges/{challenge_id}/check-in", json={}, headers=user.headers)
                for user in checking_in
            )
        )
        assert [response.status_code for response in responses] == [201] * len(checking_in), [
            response.text for response in responses if response.status_code != 201
        ]
        board = []
        cursor = None
        while True:
            params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
            page = await client.get(leaderboard_path(challenge_id), params=params, headers=users[0].headers)
            board += page.json()
            cursor = page.headers.get("X-Next-Cursor")
            if cursor is None:
                break

    # Then the stored points are the start plus 10 per check-in, and the leaderboard's ranks are the
    # competition ranks computed independently from them, in rank then joined_at order
    async with engine.connect() as connection:
        stored = {
            row.user_id: row.points
            for row in await connection.execute(
                sa.select(challenge_leaderboard.c.user_id, challenge_leaderboard.c.points).where(
                    challenge_leaderboard.c.challenge_id == challenge_id
                )
            )
        }
    added = {user.id for user in checking_in}
    assert stored == {
        user.id: points + (10 if user.id in added else 0) for user, points in zip(users, start, strict=True)
    }
    expected = competition_ranks(stored)
    assert {UUID(entry["user_id"]): entry["rank"] for entry in board} == expected
    joined = {user.id: index for index, user in enumerate(users)}
    order = [UUID(entry["user_id"]) for entry in board]
    assert order == sorted(stored, key=lambda user: (expected[user], joined[user]))
    # (and the board does hold shared ranks with the skip after them: 1, 1, …, then 1 + the tied count)
    ranks = [entry["rank"] for entry in board]
    assert ranks[:2] == [1, 1]
    assert ranks[ranks.count(1)] == 1 + ranks.count(1)
