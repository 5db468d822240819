"""Daily motivations written by the model (the session's OpenAI stub): GET /today and regenerate use the
model's text when it passes the rules and the tone's template otherwise; the morning chunk asks for all
its users at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from api.app import create_app
from api.clock import FixedClock
from db.tables import daily_motivations
from domain.daily_motivation import MotivationSubject, template_motivation
from sandbox.openai.testing import StubHandle
from settings import Settings
from tests.api.auth_support import MakeUser
from tests.support.ai_stub import settings_with_stub
from tests.support.client import api_client, in_own_task
from tests.support.rows import insert_goal_row
from tests.support.savepoint_database import SavepointDatabase
from tests.support.stub_model import stub_text_model
from workers.jobs.daily_motivations import write_daily_motivations
from workers.periodic_jobs import JobContext

TODAY = "/api/v1/daily-motivations/today"
NOW = datetime(2024, 6, 12, 11, 0, tzinfo=UTC)


@pytest.fixture
async def ai_client(
    settings: Settings, database: SavepointDatabase, openai_stub: StubHandle
) -> AsyncIterator[AsyncClient]:
    """The API with the stub as its model: one attempt of at most a second per text."""
    stub_settings = settings_with_stub(
        settings, openai_stub, openai_max_attempts=1, openai_attempt_timeout_seconds=1.0
    )
    app = create_app(stub_settings, database=database, clock=FixedClock(NOW))
    async with in_own_task(api_client(app)) as client:
        yield client


async def get_today(client: AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(TODAY, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_today_is_the_models_text_asked_with_the_users_goals_streak_and_tone(
    ai_client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, openai_stub: StubHandle
) -> None:
    # Given a calm user with four active goals (the best on a 9-day streak) and a paused one
    user = await make_user(name="Grace Hopper", motivation_style="calm")
    # (oldest first)
    goals = [("Paused", 30, "paused"), ("Run", 2, "active"), ("Read", 9, "active"), ("Swim", 0, "active")]
    for age, (title, streak, status) in enumerate([*goals, ("Stretch", 1, "active")]):
        await insert_goal_row(
            connection,
            user.id,
            title=title,
            status=status,
            current_streak=streak,
            longest_streak=streak,
            created_at=NOW - timedelta(days=10 - age),
        )

    # When they open today's motivation
    body = await get_today(ai_client, user.headers)

    # Then it is the model's text, stored
    template = template_motivation(MotivationSubject("Grace", "calm", (), 0))
    assert body["message"] != template
    assert body["message"] == (await get_today(ai_client, user.headers))["message"]
    # And the model was asked once, with the feature's limits, persona, tone and facts
    [request] = openai_stub.requests()
    sent = request["body"]
    assert (sent["model"], sent["temperature"], sent["max_completion_tokens"]) == ("gpt-4o-mini", 0.9, 100)
    system, facts = (message["content"] for message in sent["messages"])
    assert "You are FitNudge, an accountability coach" in system
    assert "patient and philosophical" in system
    assert "Grace" in system
    assert facts.splitlines()[1:] == ["Active goals: Run, Read, Swim", "Best current streak: 9 days"]


@pytest.mark.parametrize(
    "outcome",
    [
        {"fault": "rate_limit", "retry_after": 30},
        {"fault": "timeout", "hang_seconds": 2},
        {"fault": "malformed"},
        {"content": "Grace, you've got this 💪 keep going."},
        {"content": "Grace, keep going today. #NoExcuses"},
        {"content": "Good morning, Grace! Run today."},
    ],
    ids=["429", "timeout", "malformed", "emoji", "hashtag", "greeting"],
)
async def test_today_is_the_template_when_the_model_fails_or_breaks_the_rules(
    ai_client: AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    openai_stub: StubHandle,
    outcome: dict[str, Any],
) -> None:
    user = await make_user(name="Grace Hopper", motivation_style="tough_love")
    openai_stub.script(outcome)

    body = await get_today(ai_client, user.headers)

    assert body["message"] == template_motivation(MotivationSubject("Grace", "tough_love", (), 0))
    [row] = (await connection.execute(sa.select(daily_motivations.c.id))).all()
    assert str(row.id) == body["id"]


async def test_regenerate_asks_the_model_for_a_new_text(
    ai_client: AsyncClient, make_user: MakeUser, openai_stub: StubHandle
) -> None:
    user = await make_user(plan="premium")
    first = await get_today(ai_client, user.headers)
    openai_stub.script({"content": "Sam, eleven days in. Lace up and add one more before lunch."})

    response = await ai_client.post("/api/v1/daily-motivations/regenerate", json={}, headers=user.headers)

    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Sam, eleven days in. Lace up and add one more before lunch."
    assert response.json()["id"] == first["id"]
    assert len(openai_stub.requests()) == 2


async def test_a_morning_chunk_asks_for_all_its_users_at_once_and_stores_each_text(
    make_user: MakeUser,
    database: SavepointDatabase,
    connection: AsyncConnection,
    settings: Settings,
    redis: aioredis.Redis,
    openai_stub: StubHandle,
) -> None:
    # Given three users due for their morning, a model that takes a moment, and one failing answer
    users = [await make_user(name=f"User{index} X") for index in range(3)]
    openai_stub.configure(latency_ms=1000)
    openai_stub.script({"fault": "server_error"})
    pairs = [(user.id, date(2024, 6, 12)) for user in users]

    # When the chunk runs
    limits = {"openai_timeout_seconds": 5.0, "openai_attempt_timeout_seconds": 5.0}
    async with stub_text_model(settings, openai_stub, redis, **limits) as model:
        counts = await write_daily_motivations(JobContext(database, redis, settings, model), pairs, now=NOW)

    # Then the three calls were in flight together, and every user has a row: two texts, one template
    # (at least: a timed-out request of an earlier test may still be held by the stub)
    assert openai_stub.stats()["max_inflight"] >= 3
    assert (counts["stored"], counts["templates"]) == (3, 1)
    messages = (await connection.execute(sa.select(daily_motivations.c.message))).scalars().all()
    templates = {
        template_motivation(MotivationSubject(user_name, None, (), 0))
        for user_name in ("User0", "User1", "User2")
    }
    assert len(set(messages) & templates) == 1
