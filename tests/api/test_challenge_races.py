"""Joins racing over real, separately committed connections: the challenge row is locked while its
participants are counted, so concurrent joins never exceed max_participants, a link admits one joiner,
and one user's joins at once never pass the plan's challenge_limit."""

from __future__ import annotations

import asyncio

import pytest
from litestar import Litestar

from api.app import create_app
from api.clock import FixedClock
from services.transaction import EngineDatabase
from settings import Settings
from tests.api.challenges_support import CHALLENGES, NOW, create, join, members
from tests.support.client import api_client
from tests.support.users import ApiUser, create_user

JOINERS = 8


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


async def _users(database: EngineDatabase, app: Litestar, count: int) -> list[ApiUser]:
    async with database.transaction() as tx:
        return [await create_user(tx.connection, app) for _ in range(count)]


async def _premium(database: EngineDatabase, app: Litestar) -> ApiUser:
    async with database.transaction() as tx:
        return await create_user(tx.connection, app, plan="premium")


async def test_concurrent_joins_never_exceed_max_participants(
    settings: Settings, committed_database: EngineDatabase, clock: FixedClock
) -> None:
    app = create_app(settings, database=committed_database, clock=clock)
    creator = await _premium(committed_database, app)
    joiners = await _users(committed_database, app, JOINERS)
    async with api_client(app) as client:
        challenge = await create(client, creator, max_participants=3)
        responses = await asyncio.gather(*(join(client, user, challenge["id"]) for user in joiners))

    outcomes = sorted((response.status_code, response.json().get("code")) for response in responses)
    assert outcomes == [(200, None)] * 2 + [(400, "challenge_full")] * (JOINERS - 2)
    async with committed_database.transaction() as tx:
        assert len(await members(tx.connection, challenge["id"])) == 3


async def test_a_link_used_by_many_at_once_admits_one(
    settings: Settings, committed_database: EngineDatabase, clock: FixedClock
) -> None:
    app = create_app(settings, database=committed_database, clock=clock)
    creator = await _premium(committed_database, app)
    joiners = await _users(committed_database, app, JOINERS)
    async with api_client(app) as client:
        challenge = await create(client, creator, is_public=False)
        link = await client.post(
            f"{CHALLENGES}/{challenge['id']}/invite-link", json={}, headers=creator.headers
        )
        code = link.json()["invite_code"]
        responses = await asyncio.gather(
            *(client.post(f"{CHALLENGES}/join/{code}", json={}, headers=user.headers) for user in joiners)
        )

    outcomes = sorted((response.status_code, response.json().get("code")) for response in responses)
    assert outcomes == [(200, None)] + [(400, "invite_not_pending")] * (JOINERS - 1)
    async with committed_database.transaction() as tx:
        assert len(await members(tx.connection, challenge["id"])) == 2


async def test_one_free_user_joining_two_challenges_at_once_gets_one(
    settings: Settings, committed_database: EngineDatabase, clock: FixedClock
) -> None:
    app = create_app(settings, database=committed_database, clock=clock)
    creator = await _premium(committed_database, app)
    [free] = await _users(committed_database, app, 1)
    async with api_client(app) as client:
        first, second = await create(client, creator), await create(client, creator)
        responses = await asyncio.gather(join(client, free, first["id"]), join(client, free, second["id"]))

    codes = sorted(response.status_code for response in responses)
    assert codes == [200, 403], [response.text for response in responses]
