"""Concurrent coach sends over real committed connections: the daily quota lets exactly the limit
through, and messages sent at once to one conversation each get their own position; concurrent unlocks
of one ad count it once (docs/coach.md)."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from litestar import Litestar

from api.app import create_app
from db.tables import ai_coach_daily_usage, ai_coach_messages
from services.transaction import EngineDatabase
from settings import Settings
from tests.support.client import api_client
from tests.support.users import ApiUser, create_user

COACH = "/api/v1/ai-coach"


async def committed_user(
    committed_database: EngineDatabase, settings: Settings, **fields: Any
) -> tuple[Litestar, ApiUser]:
    app = create_app(settings, database=committed_database)
    async with committed_database.engine.begin() as connection:
        user = await create_user(connection, app, **fields)
    return app, user


async def test_concurrent_sends_past_the_limit_accept_exactly_the_limit(
    settings: Settings, committed_database: EngineDatabase
) -> None:
    # Given a free user (3 messages a day) with nothing sent yet
    app, user = await committed_user(committed_database, settings)
    # When eight messages go out at once, to no conversation in particular
    async with api_client(app) as client:
        responses = await asyncio.gather(
            *(
                client.post(f"{COACH}/chat/async", json={"message": f"m{n}"}, headers=user.headers)
                for n in range(8)
            )
        )
    # Then exactly three were accepted, the rest are 429 (never a 500), and the day counts three
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 3 + [429] * 5, [response.text for response in responses]
    async with committed_database.engine.connect() as connection:
        stored = await connection.scalar(sa.select(sa.func.count()).select_from(ai_coach_messages))
        counted = await connection.scalar(sa.select(ai_coach_daily_usage.c.message_count))
    assert (stored, counted) == (3, 3)


async def test_concurrent_sends_to_one_conversation_take_one_position_each(
    settings: Settings, committed_database: EngineDatabase
) -> None:
    # Given a premium user's conversation
    app, user = await committed_user(committed_database, settings, plan="premium")
    async with api_client(app) as client:
        first = await client.post(f"{COACH}/chat/async", json={"message": "start"}, headers=user.headers)
        conversation_id = first.json()["conversation_id"]
        # When six more messages go to it at once
        responses = await asyncio.gather(
            *(
                client.post(
                    f"{COACH}/chat/async",
                    json={"message": f"m{n}", "conversation_id": conversation_id},
                    headers=user.headers,
                )
                for n in range(6)
            )
        )
        detail = await client.get(f"{COACH}/conversations/{conversation_id}", headers=user.headers)
    # Then every one is accepted at a position of its own, after the first
    assert [response.status_code for response in responses] == [200] * 6, [r.text for r in responses]
    assert sorted(response.json()["message_index"] for response in responses) == list(range(1, 7))
    assert [message["message_index"] for message in detail.json()["messages"]] == list(range(7))
    assert detail.json()["message_count"] == 7


async def test_concurrent_claims_of_one_ad_count_it_once(
    settings: Settings, committed_database: EngineDatabase
) -> None:
    app, user = await committed_user(committed_database, settings)
    body = {"reward_type": "ai_message", "reward_amount": 2, "reward_id": "ad-42"}
    async with api_client(app) as client:
        responses = await asyncio.gather(
            *(client.post(f"{COACH}/unlock-message", json=body, headers=user.headers) for _ in range(5))
        )
    assert [response.status_code for response in responses] == [200] * 5, [r.text for r in responses]
    assert {response.json()["daily_limit"] for response in responses} == {5}
    async with committed_database.engine.connect() as connection:
        assert await connection.scalar(sa.select(ai_coach_daily_usage.c.bonus_messages)) == 2
