"""A coach turn below the worker (services/coach/reply.py, workers/coach_replies.py): the message is sent
over the API, the turn runs against the OpenAI stub over HTTP, and the conversation is read back over
the API. Tools are answered from the caller's rows only; faults end in a stored reply or the fallback;
a doubled or overtaken run writes nothing; the sweeper re-drives or fails what was left waiting."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db.tables import ai_coach_daily_usage, ai_coach_messages
from domain.coach import FALLBACK_REPLY
from sandbox.openai.testing import StubHandle
from sandbox.openai.tool_calls import UNKNOWN_TOOL
from services.addresses import COACH_REPLY, COACH_TITLE
from services.ai.model import TextModel
from services.coach.reply import (
    TurnOutcome,
    TurnResult,
    answer_message,
    claim_turn,
    finish_turn,
    name_conversation,
)
from settings import Settings
from tests.support.queues import probed_queue
from tests.support.rows import insert_goal_row, utc
from tests.support.savepoint_database import SavepointDatabase
from tests.support.stub_model import stub_text_model
from tests.support.users import ApiUser
from workers.coach_replies import MAX_TURN_ATTEMPTS, sweep_coach_turns
from workers.periodic_jobs import JobContext

MakeUser = Callable[..., Awaitable[ApiUser]]
COACH = "/api/v1/ai-coach"
SENT_AT = utc("2026-03-10T12:00")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(SENT_AT)


@pytest.fixture
async def model(
    settings: Settings, openai_stub: StubHandle, redis: aioredis.Redis
) -> AsyncIterator[TextModel]:
    async with stub_text_model(
        settings, openai_stub, redis, openai_max_attempts=2, openai_attempt_timeout_seconds=2.0
    ) as text_model:
        yield text_model


def at(seconds: float) -> Callable[[], datetime]:
    """The turn's clock, `seconds` after the message was sent."""
    return lambda: SENT_AT + timedelta(seconds=seconds)


async def send(client: httpx.AsyncClient, user: ApiUser, message: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(
        f"{COACH}/chat/async", json={"message": message, **fields}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def conversation(client: httpx.AsyncClient, user: ApiUser, conversation_id: str) -> dict[str, Any]:
    response = await client.get(f"{COACH}/conversations/{conversation_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def remaining(client: httpx.AsyncClient, user: ApiUser) -> int:
    limit: int = (await client.get(f"{COACH}/rate-limit", headers=user.headers)).json()["remaining_messages"]
    return limit


async def answer(
    database: SavepointDatabase,
    model: TextModel,
    settings: Settings,
    sent: dict[str, Any],
    seconds: float = 1,
) -> TurnResult:
    return await answer_message(database, model, settings, UUID(sent["user_message_id"]), clock=at(seconds))


async def test_the_reply_is_stored_after_the_users_message_with_a_title(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    database: SavepointDatabase,
    model: TextModel,
    settings: Settings,
    openai_stub: StubHandle,
    redis: aioredis.Redis,
) -> None:
    user = await make_user()
    openai_stub.script(
        {"content": "Great question. Start with ten minutes a day."}, {"content": "Running more"}
    )
    sent = await send(client, user, "How do I run more often? I keep skipping.", language="fr")

    async with probed_queue(redis, settings, COACH_TITLE.queue_name) as queue:
        await queue.clear()
        result = await answer(database, model, settings, sent)
        queued = [(m["actor_name"], m["args"]) for m in await queue.messages()]

    assert result.outcome is TurnOutcome.ANSWERED
    detail = await conversation(client, user, sent["conversation_id"])
    assert [(m["role"], m["status"]) for m in detail["messages"]] == [
        ("user", "completed"),
        ("assistant", "completed"),
    ]
    assert detail["messages"][1]["content"] == "Great question. Start with ten minutes a day."
    # Stored with the fallback title; the coach.title message then asks the model for a better one.
    assert detail["title"] == "How do I run more often"
    assert queued == [("coach.title", [sent["user_message_id"]])]
    assert await name_conversation(database, model, UUID(sent["user_message_id"]))
    assert (await conversation(client, user, sent["conversation_id"]))["title"] == "Running more"
    [reply_request, title_request] = openai_stub.requests()
    assert reply_request["body"]["tools"]
    assert "tools" not in title_request["body"]
    messages = reply_request["body"]["messages"]
    assert messages[0]["role"] == "system"
    assert "Respond in French." in messages[0]["content"]
    # The user's words travel only as their own message, never inside the system prompt.
    assert "skipping" not in messages[0]["content"]
    assert messages[-1] == {"role": "user", "content": "How do I run more often? I keep skipping."}
    assert await remaining(client, user) == 2
    # The reply's tokens went to the reply, the conversation and the day's usage.
    reply_tokens = (
        await connection.execute(
            sa.select(ai_coach_messages.c.tokens_used).where(ai_coach_messages.c.id == result.reply_id)
        )
    ).scalar_one()
    day_tokens = (
        await connection.execute(
            sa.select(ai_coach_daily_usage.c.tokens_used).where(ai_coach_daily_usage.c.user_id == user.id)
        )
    ).scalar_one()
    assert reply_tokens == result.tokens_used == day_tokens > 0


async def test_a_tool_call_is_answered_from_the_callers_rows_only(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    database: SavepointDatabase,
    model: TextModel,
    settings: Settings,
    openai_stub: StubHandle,
) -> None:
    me, other = await make_user(), await make_user()
    await insert_goal_row(connection, me.id, title="Run 5 km", current_streak=4, longest_streak=4)
    await insert_goal_row(connection, other.id, title="Secret other goal")
    await send(client, other, "Other user's private words")
    sent = await send(client, me, "how are my get_goals doing?")

    result = await answer(database, model, settings, sent)

    assert result.outcome is TurnOutcome.ANSWERED
    tool_answers = [
        m for r in openai_stub.requests() for m in r["body"]["messages"] if m.get("role") == "tool"
    ]
    [goals] = {m["content"] for m in tool_answers}
    [goal] = json.loads(goals)["results"]
    assert (goal["title"], goal["current_streak"]) == ("Run 5 km", 4)
    everything_sent = json.dumps([r["body"] for r in openai_stub.requests()])
    assert "Secret other goal" not in everything_sent
    assert "private words" not in everything_sent
    stored = (
        await connection.execute(
            sa.select(ai_coach_messages.c.tool_calls).where(ai_coach_messages.c.id == result.reply_id)
        )
    ).scalar_one()
    assert stored == [{"name": "get_goals", "rows": 1}]


@pytest.mark.parametrize("fault", ["malformed_tool_call", "unknown_tool"])
async def test_a_bad_tool_call_is_answered_as_an_error_and_never_run(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    database: SavepointDatabase,
    model: TextModel,
    settings: Settings,
    openai_stub: StubHandle,
    fault: str,
) -> None:
    user = await make_user()
    openai_stub.script({"fault": fault}, {"content": "Let us look at it together."})
    sent = await send(client, user, "Hello coach", conversation_id=None)

    result = await answer(database, model, settings, sent)

    assert (result.outcome, result.content) == (TurnOutcome.ANSWERED, "Let us look at it together.")
    [tool_answer] = [
        m for r in openai_stub.requests() for m in r["body"]["messages"] if m.get("role") == "tool"
    ]
    error = json.loads(tool_answer["content"])["error"]
    assert ("not valid JSON" in error) if fault == "malformed_tool_call" else (UNKNOWN_TOOL in error)


async def test_a_rate_limited_model_is_asked_again_after_retry_after(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    database: SavepointDatabase,
    model: TextModel,
    settings: Settings,
    openai_stub: StubHandle,
) -> None:
    user = await make_user()
    sent = await send(client, user, "Hello coach")
    openai_stub.script({"fault": "rate_limit", "retry_after": 0.2}, {"content": "Here for you."})

    result = await answer(database, model, settings, sent)

    assert (result.outcome, result.content) == (TurnOutcome.ANSWERED, "Here for you.")


async def test_a_model_that_hangs_leaves_the_fallback_and_gives_the_message_back(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    database: SavepointDatabase,
    model: TextModel,
    settings: Settings,
    openai_stub: StubHandle,
) -> None:
    user = await make_user()
    sent = await send(client, user, "Hello coach")
    openai_stub.configure(fault="timeout", hang_seconds=10)
    assert await remaining(client, user) == 2

    # 17.5 s after sending: 1.5 s of the 20 s deadline are left, so the model gets 0.5 s.
    result = await answer(database, model, settings, sent, seconds=17.5)

    assert result.outcome is TurnOutcome.FALLBACK
    detail = await conversation(client, user, sent["conversation_id"])
    assert detail["messages"][-1]["content"] == FALLBACK_REPLY
    assert detail["messages"][-1]["role"] == "assistant"
    assert detail["title"] == "Hello coach"  # the fallback title: no model asked for one
    assert await remaining(client, user) == 3


async def test_a_run_that_starts_after_the_deadline_stores_the_fallback_without_asking(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    database: SavepointDatabase,
    model: TextModel,
    settings: Settings,
    openai_stub: StubHandle,
) -> None:
    user = await make_user()
    sent = await send(client, user, "Hello coach")

    result = await answer(database, model, settings, sent, seconds=90)

    assert result.outcome is TurnOutcome.FALLBACK
    assert [r for r in openai_stub.requests() if r["body"].get("tools")] == []


async def test_a_doubled_message_and_an_overtaken_run_write_nothing(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    database: SavepointDatabase,
    model: TextModel,
    settings: Settings,
) -> None:
    user = await make_user()
    sent = await send(client, user, "Hello coach")
    message_id = UUID(sent["user_message_id"])
    first = await claim_turn(connection, message_id, settings, now=at(1)())
    assert first is not None

    # While the first run's lease holds, a second message for the turn finds nothing to do.
    assert (await answer(database, model, settings, sent, seconds=2)).outcome is TurnOutcome.NOT_CLAIMED
    # Past the lease another run takes the turn over; the first one's store then writes nothing.
    second = await claim_turn(
        connection, message_id, settings, now=at(1 + settings.coach_claim_lease_seconds + 1)()
    )
    assert second is not None
    late = await finish_turn(database, model, settings, first, clock=at(5))

    assert late.outcome is TurnOutcome.CLAIM_LOST
    detail = await conversation(client, user, sent["conversation_id"])
    assert [m["role"] for m in detail["messages"]] == ["user"]
    assert (await finish_turn(database, model, settings, second, clock=at(5))).outcome is TurnOutcome.ANSWERED


async def test_the_sweeper_redrives_a_message_left_waiting_then_fails_it_for_good(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    redis: aioredis.Redis,
) -> None:
    user = await make_user()
    sent = await send(client, user, "Hello coach")
    context = JobContext(database, redis, settings)
    lease = settings.coach_claim_lease_seconds

    async with probed_queue(redis, settings, COACH_REPLY.queue_name) as queue:
        await queue.clear()
        assert await sweep_coach_turns(context, SENT_AT + timedelta(seconds=lease - 1)) == {
            "redriven": 0,
            "failed": 0,
        }
        # Nobody claimed it within the lease (the message was lost): sent to a worker again.
        swept = SENT_AT + timedelta(seconds=lease + 1)
        assert await sweep_coach_turns(context, swept) == {"redriven": 1, "failed": 0}
        assert [m["args"] for m in await queue.messages()] == [[sent["user_message_id"]]]
        # A worker claims it and dies; once the lease ran out, attempts are used up: failed for good.
        await claim_turn(
            connection, UUID(sent["user_message_id"]), settings, now=swept + timedelta(seconds=1)
        )
        attempts = (
            await connection.execute(
                sa.select(ai_coach_messages.c.attempts).where(
                    ai_coach_messages.c.id == UUID(sent["user_message_id"])
                )
            )
        ).scalar_one()
        assert attempts == 2 < MAX_TURN_ATTEMPTS
        later = swept + timedelta(seconds=2 * lease + 2)
        assert await sweep_coach_turns(context, later) == {"redriven": 1, "failed": 0}
        assert await sweep_coach_turns(context, later + timedelta(seconds=lease + 1)) == {
            "redriven": 0,
            "failed": 1,
        }

    detail = await conversation(client, user, sent["conversation_id"])
    assert [(m["role"], m["status"]) for m in detail["messages"]] == [("user", "failed")]
    assert await remaining(client, user) == 3
