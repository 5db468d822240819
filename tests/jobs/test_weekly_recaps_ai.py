"""recaps.weekly against the OpenAI stub (sandbox/openai): the model's five texts when it answers in
shape, the template when it answers malformed JSON or fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import weekly_recaps
from sandbox.openai.testing import StubHandle
from services.ai.client import build_text_model
from services.transaction import Database
from settings import Settings
from tests.jobs.test_weekly_recaps import BERLIN_RUN, user_with_week
from tests.support.ai_stub import settings_with_stub
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.weekly_recaps import generate_weekly_recaps
from workers.periodic_jobs import JobContext

TEXT_FIELDS = ("summary", "win", "insight", "focus_next_week", "motivational_close")
# What the template writes for the seeded user: 2 of 3 occurrences completed.
TEMPLATE_SUMMARY = (
    "Lea, you completed 2 of 3 scheduled check-ins this week (66.7%) and kept 1 of 1 goals on track."
)


@pytest.fixture
async def stub_context(
    database: SavepointDatabase, settings: Settings, redis: aioredis.Redis, openai_stub: StubHandle
) -> AsyncIterator[JobContext]:
    """A job context whose model is the stub (one attempt per call: a failure is final at once)."""
    stub_settings = settings_with_stub(settings, openai_stub, openai_max_attempts=1)
    model = build_text_model(stub_settings, redis)
    yield JobContext(database, redis, stub_settings, model)
    await model.aclose()


async def run_and_read(connection: AsyncConnection, context: JobContext, database: Database) -> Any:
    await user_with_week(connection)
    counts = await generate_weekly_recaps(context, BERLIN_RUN)
    assert counts["written"] == 1
    return (await connection.execute(sa.select(weekly_recaps))).one()


async def test_the_models_answer_fills_the_five_texts(
    connection: AsyncConnection,
    database: SavepointDatabase,
    stub_context: JobContext,
    openai_stub: StubHandle,
) -> None:
    # When the job runs with the stub answering in shape
    recap = await run_and_read(connection, stub_context, database)

    # Then the texts are the model's (the stub fills the prompt's placeholders), recap_text the summary
    assert all(getattr(recap, field) for field in TEXT_FIELDS)
    assert recap.summary != TEMPLATE_SUMMARY
    assert recap.recap_text == recap.summary
    assert len(recap.summary.split()) == 60  # "<40-60 words …>": the stub takes the upper bound
    # And the request was the one §3.12 names: JSON mode, temperature 0.8, at most 300 tokens
    [request] = openai_stub.requests()
    body = request["body"]
    assert (body["model"], body["temperature"], body["max_completion_tokens"]) == ("gpt-4o-mini", 0.8, 300)
    assert body["response_format"] == {"type": "json_object"}
    assert "Completed 2 of 3 scheduled check-ins (66.7%)" in body["messages"][-1]["content"]


@pytest.mark.parametrize("fault", ["malformed", "server_error", "empty"])
async def test_a_malformed_or_failed_answer_gives_the_template(
    connection: AsyncConnection,
    database: SavepointDatabase,
    stub_context: JobContext,
    openai_stub: StubHandle,
    fault: str,
) -> None:
    # Given a stub that answers malformed JSON, a 500 or nothing
    openai_stub.configure(fault=fault)

    # When the job runs
    recap = await run_and_read(connection, stub_context, database)

    # Then the recap is still written, with the template's texts
    assert recap.summary == TEMPLATE_SUMMARY
    assert all(getattr(recap, field) for field in TEXT_FIELDS)
    assert len(openai_stub.requests()) == 1


async def test_an_answer_of_the_wrong_shape_gives_the_template(
    connection: AsyncConnection,
    database: SavepointDatabase,
    stub_context: JobContext,
    openai_stub: StubHandle,
) -> None:
    # Given a model answer that is JSON but misses a field and has an empty one
    openai_stub.script({"content": '{"summary": "Fine week.", "win": "", "insight": "Mondays."}'})

    # When the job runs
    recap = await run_and_read(connection, stub_context, database)

    # Then the template wrote every field
    assert recap.summary == TEMPLATE_SUMMARY
