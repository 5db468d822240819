"""The model client's `converse` (tools, streaming) against the OpenAI stub, over HTTP, with real Redis:
the SDK reads the stub's tool calls and server-sent events, and the retry rules stay those of `complete`."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import redis.asyncio as aioredis

from sandbox.openai.testing import StubHandle
from sandbox.openai.tool_calls import MALFORMED_ARGUMENTS, UNKNOWN_TOOL
from services.ai.client import build_text_model
from services.ai.model import AiFeature, ChatMessage, Conversation, ToolCall, ToolSpec
from services.ai.usage import read_usage
from settings import Settings
from tests.support.ai_stub import settings_with_stub

GOALS_TOOL = ToolSpec("get_goals", "The user's goals.", {"type": "object", "properties": {}})


def conversation(text: str, *, tools: tuple[ToolSpec, ...] = (GOALS_TOOL,)) -> Conversation:
    return Conversation(
        AiFeature.COACH,
        [ChatMessage("system", "You are a coach."), ChatMessage("user", text)],
        temperature=0.8,
        max_tokens=200,
        tools=tools,
    )


@pytest.fixture
async def model(
    settings: Settings, openai_stub: StubHandle, redis: aioredis.Redis
) -> AsyncIterator[Callable[..., Any]]:
    made: list[Any] = []
    prefix = f"{settings.redis_key_prefix}:{uuid.uuid4().hex[:8]}"

    def make(**changes: Any) -> Any:
        client = build_text_model(
            settings_with_stub(settings, openai_stub, redis_key_prefix=prefix, **changes), redis
        )
        made.append(client)
        return client

    make.prefix = prefix  # type: ignore[attr-defined]
    yield make
    for client in made:
        await client.aclose()


async def test_a_tool_named_by_the_user_is_called_then_the_answer_follows_its_result(
    model: Callable[..., Any], openai_stub: StubHandle
) -> None:
    client = model()
    first = await client.converse(conversation("how are my get_goals going?"))

    assert first is not None
    assert first.content == ""
    [call] = first.tool_calls
    assert (call.name, json.loads(call.arguments)) == ("get_goals", {})
    follow_up = conversation("how are my get_goals going?")
    messages = [
        *follow_up.messages,
        ChatMessage("assistant", None, tool_calls=(call,)),
        ChatMessage("tool", '{"goals": []}', tool_call_id=call.id),
    ]
    second = await client.converse(
        Conversation(AiFeature.COACH, messages, temperature=0.8, max_tokens=200, tools=(GOALS_TOOL,))
    )

    assert second is not None
    assert second.content
    assert second.tool_calls == ()
    sent = openai_stub.requests()[1]["body"]
    assert sent["tool_choice"] == "auto"
    assert sent["tools"][0]["function"]["name"] == "get_goals"
    assert sent["messages"][2]["tool_calls"][0]["function"] == {"name": "get_goals", "arguments": "{}"}
    assert sent["messages"][3] == {"role": "tool", "content": '{"goals": []}', "tool_call_id": call.id}


async def test_malformed_and_unknown_tool_calls_reach_the_caller_as_written(
    model: Callable[..., Any], openai_stub: StubHandle
) -> None:
    openai_stub.script({"fault": "malformed_tool_call"}, {"fault": "unknown_tool"})
    client = model()

    malformed = await client.converse(conversation("hello"))
    unknown = await client.converse(conversation("hello"))

    assert malformed is not None
    assert malformed.tool_calls[0].arguments == MALFORMED_ARGUMENTS
    assert unknown is not None
    assert unknown.tool_calls[0].name == UNKNOWN_TOOL


async def test_a_streamed_answer_arrives_in_pieces_that_make_the_whole(
    model: Callable[..., Any], openai_stub: StubHandle, redis: aioredis.Redis
) -> None:
    openai_stub.script({"content": "Keep going, Ada: one small step today and another tomorrow."})
    pieces: list[str] = []

    async def sink(piece: str) -> None:
        pieces.append(piece)

    client = model()
    reply = await client.converse(conversation("hello", tools=()), on_delta=sink)

    assert reply is not None
    assert reply.content == "Keep going, Ada: one small step today and another tomorrow."
    assert len(pieces) > 1
    assert "".join(pieces) == reply.content
    assert reply.prompt_tokens > 0
    assert reply.completion_tokens > 0
    body = openai_stub.requests()[0]["body"]
    assert body["stream"] is True
    assert "tools" not in body
    usage = (await read_usage(redis, model.prefix, datetime.now(UTC).date()))[AiFeature.COACH]  # type: ignore[attr-defined]
    assert usage["ok"] == 1
    assert usage["completion_tokens"] == reply.completion_tokens


async def test_a_streamed_tool_call_is_gathered_from_its_fragments(
    model: Callable[..., Any], openai_stub: StubHandle
) -> None:
    openai_stub.script({"tool_call": {"name": "get_goals", "arguments": '{"limit": 3}'}})

    async def sink(piece: str) -> None:
        raise AssertionError(f"no text expected, got {piece!r}")

    reply = await model().converse(conversation("hello"), on_delta=sink)

    assert reply is not None
    assert [(call.name, call.arguments) for call in reply.tool_calls] == [("get_goals", '{"limit": 3}')]
    assert all(isinstance(call, ToolCall) and call.id for call in reply.tool_calls)


async def test_a_rate_limited_stream_is_retried_after_retry_after(
    model: Callable[..., Any], openai_stub: StubHandle
) -> None:
    openai_stub.script({"fault": "rate_limit", "retry_after": 0.2}, {"content": "Back again."})
    pieces: list[str] = []

    async def sink(piece: str) -> None:
        pieces.append(piece)

    reply = await model().converse(conversation("hello", tools=()), on_delta=sink)

    assert reply is not None
    assert reply.content == "Back again."
    assert [request["outcome"] for request in openai_stub.requests()] == ["rate_limit", "scripted"]


async def test_a_hung_model_gives_none_within_the_deadline(
    model: Callable[..., Any], openai_stub: StubHandle
) -> None:
    openai_stub.script({"fault": "timeout", "hang_seconds": 5}, {"fault": "timeout", "hang_seconds": 5})
    client = model(openai_attempt_timeout_seconds=0.3, openai_max_attempts=2)

    reply = await client.converse(
        Conversation(
            AiFeature.COACH, [ChatMessage("user", "hi")], temperature=0.8, max_tokens=50, deadline_seconds=1.0
        )
    )

    assert reply is None
