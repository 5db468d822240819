"""Goal insights written by the model (the OpenAI stub, sandbox/openai): stored when usable, the
templates when not, and a model slower than the request's budget finished by `insights.finish`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from httpx import AsyncClient
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection

from api.app import create_app
from api.clock import FixedClock
from sandbox.openai.testing import StubHandle
from services.addresses import INSIGHTS_FINISH
from services.ai.client import build_text_model
from settings import Settings
from tests.api.auth_support import MakeUser
from tests.support.ai_stub import settings_with_stub
from tests.support.client import api_client
from tests.support.insights import insight_of, queued, seed_history
from tests.support.rows import insert_goal_row
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.insights import finish_generations
from workers.periodic_jobs import JobContext

NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 11)
# The request's budget in the test of a slow model (20 s otherwise, as in production).
SHORT_BUDGET_SECONDS = 0.5


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def stub_settings(settings: Settings, openai_stub: StubHandle) -> Settings:
    return settings_with_stub(settings, openai_stub)


@pytest.fixture
def app(stub_settings: Settings, database: SavepointDatabase, clock: FixedClock) -> Litestar:
    return create_app(stub_settings, database=database, clock=clock)


async def goal_with_history(connection: AsyncConnection, make_user: MakeUser) -> tuple[Any, UUID]:
    user = await make_user(plan="premium")
    goal_id = await insert_goal_row(connection, user.id, ("07:15",), current_streak=2, longest_streak=5)
    await seed_history(connection, user.id, goal_id, TODAY)
    return user, goal_id


async def test_the_models_insights_are_stored(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser, openai_stub: StubHandle
) -> None:
    user, goal_id = await goal_with_history(connection, make_user)

    body = (await client.get(f"/api/v1/goals/{goal_id}/insights", headers=user.headers)).json()

    # The stub answers the prompt's JSON example with its placeholders filled in
    assert body["status"] == "completed"
    [insight] = body["insights"]
    assert (insight["type"], insight["priority"]) == ("pattern", 1)
    assert insight["text"]
    assert not insight["text"].startswith("<")
    assert body["summary"]
    assert not body["summary"].startswith("<")
    assert body["nudge_config"] == {
        "risky_days": [1],
        "risk_level": "medium",
        "best_nudge_time": "07:15",
        "needs_extra_motivation": True,
    }
    row = await insight_of(connection, goal_id)
    assert row is not None
    assert row.insights == body["insights"]
    assert row.summary == body["summary"]
    [request] = openai_stub.requests()
    sent = request["body"]
    assert (sent["temperature"], sent["max_completion_tokens"]) == (0.7, 800)
    assert sent["response_format"] == {"type": "json_object"}
    assert "Weekdays over 90 days:" in sent["messages"][-1]["content"]


async def test_malformed_output_gives_the_template_insights(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser, openai_stub: StubHandle
) -> None:
    user, goal_id = await goal_with_history(connection, make_user)
    openai_stub.script({"fault": "malformed"})

    body = (await client.get(f"/api/v1/goals/{goal_id}/insights", headers=user.headers)).json()

    assert body["status"] == "completed"
    assert [insight["type"] for insight in body["insights"]] == ["pattern", "tip", "warning"]
    assert "Sunday" in body["insights"][0]["text"]
    assert body["summary"].startswith("Morning run: 62.5% done")


async def test_a_model_slower_than_the_budget_is_finished_by_the_worker(
    client: AsyncClient,
    clock: FixedClock,
    connection: AsyncConnection,
    make_user: MakeUser,
    openai_stub: StubHandle,
    database: SavepointDatabase,
    stub_settings: Settings,
    settings: Settings,
    redis: Redis,
) -> None:
    # Given a model that hangs on the first call
    user, goal_id = await goal_with_history(connection, make_user)
    openai_stub.script({"fault": "timeout", "hang_seconds": 3})

    # When the owner asks of a web process whose budget is shorter than the hang
    short = replace(stub_settings, insights_request_budget_seconds=SHORT_BUDGET_SECONDS)
    async with api_client(create_app(short, database=database, clock=clock)) as impatient:
        body = (await impatient.get(f"/api/v1/goals/{goal_id}/insights", headers=user.headers)).json()

    # Then the answer is "generating", the row is claimed and insights.finish was sent that claim
    assert body["status"] == "generating"
    row = await insight_of(connection, goal_id)
    assert row is not None
    assert row.status == "generating"
    assert [str(goal_id), str(row.claim_id)] in await queued(redis, settings, INSIGHTS_FINISH)

    # And when the worker runs that message, the model's insights are stored
    model = build_text_model(stub_settings, redis)
    try:
        context = JobContext(database, redis, stub_settings, model)
        counts = await finish_generations(context, {goal_id: row.claim_id}, now=NOW)
    finally:
        await model.aclose()
    assert (counts["held"], counts["stored"]) == (1, 1)
    done = (await client.get(f"/api/v1/goals/{goal_id}/insights", headers=user.headers)).json()
    assert done["status"] == "completed"
    assert [insight["type"] for insight in done["insights"]] == ["pattern"]
