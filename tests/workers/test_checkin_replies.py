"""checkins.write_reply (workers/checkin_replies.py): the model's reply replaces the template stored with
a premium answer, only for that answer, and only when it passes the reply rules (§3.12)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db.tables import check_ins
from domain.notification_copy.checkin_replies import checkin_reply
from sandbox.openai.testing import StubHandle
from services.ai.model import NO_MODEL
from settings import Settings
from tests.api.auth_support import MakeUser
from tests.api.checkins_support import answer
from tests.support.rows import insert_goal_row
from tests.support.savepoint_database import SavepointDatabase
from tests.support.stub_model import stub_text_model
from workers.checkin_replies import ReplyOutcome, write_reply

NOW = datetime(2024, 6, 12, 12, 0, tzinfo=UTC)
TEMPLATE = checkin_reply("tough_love", "completed", 6, name="Ada", goal_title="Swim")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


async def premium_answer(client: AsyncClient, make_user: MakeUser, connection: AsyncConnection) -> UUID:
    """A premium user's completed answer on a 6-day streak, with a mood, a note and a why."""
    user = await make_user(plan="premium", name="Ada Lovelace", motivation_style="tough_love")
    goal_id = await insert_goal_row(
        connection, user.id, title="Swim", why_statement="to feel strong", current_streak=6, longest_streak=6
    )
    response = await answer(client, user, goal_id, mood="good", note="cold water today")
    assert response.status_code == 201, response.text
    assert response.json()["ai_response"] == TEMPLATE
    return UUID(response.json()["id"])


async def stored_reply(connection: AsyncConnection, checkin_id: UUID) -> Any:
    result = await connection.execute(
        sa.select(check_ins.c.ai_response, check_ins.c.user_id).where(check_ins.c.id == checkin_id)
    )
    return result.one()


async def test_without_a_model_the_template_stays(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, database: SavepointDatabase
) -> None:
    checkin_id = await premium_answer(client, make_user, connection)
    row = await stored_reply(connection, checkin_id)

    outcome = await write_reply(
        database, NO_MODEL, checkin_id=checkin_id, user_id=row.user_id, responded_at=NOW, streak=7
    )

    assert outcome is ReplyOutcome.TEMPLATE_KEPT
    assert (await stored_reply(connection, checkin_id)).ai_response == TEMPLATE


async def test_the_models_reply_replaces_the_template_and_was_asked_with_the_answer(
    client: AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    redis: aioredis.Redis,
    openai_stub: StubHandle,
) -> None:
    # Given a premium answer holding the template
    checkin_id = await premium_answer(client, make_user, connection)
    user_id = (await stored_reply(connection, checkin_id)).user_id

    # When the actor's function runs against the model
    async with stub_text_model(settings, openai_stub, redis) as model:
        outcome = await write_reply(
            database, model, checkin_id=checkin_id, user_id=user_id, responded_at=NOW, streak=7
        )

    # Then the model's text replaced the template
    assert outcome is ReplyOutcome.WRITTEN
    reply = (await stored_reply(connection, checkin_id)).ai_response
    assert reply
    assert reply != TEMPLATE
    # And the model was asked with §3.12's limits and the answer's facts
    [request] = openai_stub.requests()
    body = request["body"]
    assert (body["model"], body["temperature"], body["max_completion_tokens"]) == ("gpt-4o-mini", 0.8, 80)
    system, user = (message["content"] for message in body["messages"])
    assert "Ada" in system
    assert "a direct coach with urgency" in system
    for fact in ("Goal: Swim", "completed", "Mood: good", "cold water today", "to feel strong", "7 days"):
        assert fact in user


@pytest.mark.parametrize(
    "outcome",
    [
        {"fault": "rate_limit", "retry_after": 5},
        {"fault": "server_error"},
        {"fault": "timeout", "hang_seconds": 2},
        {"fault": "malformed"},
        {"fault": "empty"},
        {"content": "Crushed it 🎉🔥💪"},
        {"content": "Crushed it, Ada! #swimming"},
    ],
    ids=["429", "500", "timeout", "malformed", "empty", "three-emoji", "hashtag"],
)
async def test_a_failed_or_rule_breaking_reply_keeps_the_template(
    client: AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    redis: aioredis.Redis,
    openai_stub: StubHandle,
    outcome: dict[str, Any],
) -> None:
    checkin_id = await premium_answer(client, make_user, connection)
    user_id = (await stored_reply(connection, checkin_id)).user_id
    openai_stub.script(outcome)

    async with stub_text_model(settings, openai_stub, redis) as model:
        result = await write_reply(
            database, model, checkin_id=checkin_id, user_id=user_id, responded_at=NOW, streak=7
        )

    assert result is ReplyOutcome.TEMPLATE_KEPT
    assert (await stored_reply(connection, checkin_id)).ai_response == TEMPLATE


async def test_a_reply_for_an_earlier_answer_never_overwrites_a_later_one(
    client: AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    redis: aioredis.Redis,
    openai_stub: StubHandle,
) -> None:
    # Given a premium answer, and a model that takes a while
    checkin_id = await premium_answer(client, make_user, connection)
    user_id = (await stored_reply(connection, checkin_id)).user_id
    openai_stub.configure(latency_ms=1000)
    later = NOW + timedelta(minutes=5)

    async def answer_again_while_the_model_writes() -> None:
        # Once the model has the request (the stub logs it on arrival, then holds it for its latency)
        for _ in range(1000):
            if await asyncio.to_thread(openai_stub.requests):
                break
            await asyncio.sleep(0.01)
        await connection.execute(
            sa.update(check_ins)
            .where(check_ins.c.id == checkin_id)
            .values(status="rest_day", responded_at=later, ai_response="Reply to the new answer")
        )

    # When the row is answered again while the reply to the first answer is being written
    async with stub_text_model(
        settings, openai_stub, redis, openai_timeout_seconds=5.0, openai_attempt_timeout_seconds=5.0
    ) as model:
        outcome, _ = await asyncio.gather(
            write_reply(database, model, checkin_id=checkin_id, user_id=user_id, responded_at=NOW, streak=7),
            answer_again_while_the_model_writes(),
        )
        # And a reply to the first answer comes after it (a redelivered message)
        redelivered = await write_reply(
            database, model, checkin_id=checkin_id, user_id=user_id, responded_at=NOW, streak=7
        )

    # Then neither touched the new answer's reply, and the second did not even ask the model
    assert (outcome, redelivered) == (ReplyOutcome.ANSWER_CHANGED, ReplyOutcome.ANSWER_CHANGED)
    assert (await stored_reply(connection, checkin_id)).ai_response == "Reply to the new answer"
    assert len(openai_stub.requests()) == 1


async def test_another_users_id_changes_nothing(
    client: AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    redis: aioredis.Redis,
    openai_stub: StubHandle,
) -> None:
    checkin_id = await premium_answer(client, make_user, connection)
    stranger = await make_user()

    async with stub_text_model(settings, openai_stub, redis) as model:
        outcome = await write_reply(
            database, model, checkin_id=checkin_id, user_id=stranger.id, responded_at=NOW, streak=7
        )

    assert outcome is ReplyOutcome.ANSWER_CHANGED
    assert (await stored_reply(connection, checkin_id)).ai_response == TEMPLATE
