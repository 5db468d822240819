"""The OpenAI-backed model client against the OpenAI stub (sandbox/openai), over HTTP, with real Redis."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import redis.asyncio as aioredis

from sandbox.openai.answers import estimate_tokens
from sandbox.openai.testing import StubHandle
from services.ai.client import build_text_model
from services.ai.model import NO_MODEL, AiFeature, ChatPrompt, TextModel
from services.ai.usage import read_usage
from settings import Settings
from tests.support.ai_stub import settings_with_stub

PROMPT = ChatPrompt(
    feature=AiFeature.REMINDER,
    system="You write one short reminder.",
    user="Goal: run 5 km. Name: Ada.",
    temperature=0.7,
    max_tokens=60,
)
JSON_PROMPT = ChatPrompt(
    feature=AiFeature.WEEKLY_RECAP,
    system='Answer with {"title": "<4-6 words naming the week>", "tone": "warm"} and nothing else.',
    user="Ada checked in 5 times.",
    temperature=0.5,
    max_tokens=120,
    json_output=True,
)


@pytest.fixture
def key_prefix(settings: Settings) -> str:
    """A Redis prefix of this test's own, so its counters and budget start at zero."""
    return f"{settings.redis_key_prefix}:{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def model_for(
    settings: Settings, openai_stub: StubHandle, redis: aioredis.Redis, key_prefix: str
) -> AsyncIterator[Callable[..., TextModel]]:
    """`model_for(**settings_changes)` → a client of the stub, closed after the test."""
    made: list[TextModel] = []

    def make(**changes: Any) -> TextModel:
        model = build_text_model(
            settings_with_stub(settings, openai_stub, redis_key_prefix=key_prefix, **changes), redis
        )
        made.append(model)
        return model

    yield make
    for model in made:
        await model.aclose()


async def usage_of(redis: aioredis.Redis, key_prefix: str, feature: AiFeature) -> dict[str, int]:
    return (await read_usage(redis, key_prefix, datetime.now(UTC).date())).get(feature, {})


async def test_without_a_key_nothing_calls_out(
    settings: Settings, openai_stub: StubHandle, redis: aioredis.Redis
) -> None:
    model = build_text_model(settings, redis)

    assert settings.openai_api_key is None
    assert model is NO_MODEL
    assert await model.complete(PROMPT) is None
    assert openai_stub.requests() == []


async def test_returns_the_models_text_stripped(
    model_for: Callable[..., TextModel], openai_stub: StubHandle, settings: Settings
) -> None:
    openai_stub.script({"content": "  Ada, 5 km today: one step at a time.\n"})

    text = await model_for().complete(PROMPT)

    assert text == "Ada, 5 km today: one step at a time."
    [request] = openai_stub.requests()
    assert request["body"]["model"] == settings.openai_model
    assert request["body"]["messages"] == [
        {"role": "system", "content": PROMPT.system},
        {"role": "user", "content": PROMPT.user},
    ]
    assert request["body"]["temperature"] == PROMPT.temperature
    assert request["body"]["max_completion_tokens"] == PROMPT.max_tokens
    assert "response_format" not in request["body"]


async def test_json_output_asks_for_json_and_gets_the_prompts_shape(
    model_for: Callable[..., TextModel], openai_stub: StubHandle
) -> None:
    text = await model_for().complete(JSON_PROMPT)

    assert text is not None
    answer = json.loads(text)
    assert set(answer) == {"title", "tone"}
    assert answer["tone"] == "warm"
    assert 1 <= len(answer["title"].split()) <= 6
    [request] = openai_stub.requests()
    assert request["body"]["response_format"] == {"type": "json_object"}


async def test_a_rate_limit_is_retried_after_the_servers_retry_after(
    model_for: Callable[..., TextModel], openai_stub: StubHandle, redis: aioredis.Redis, key_prefix: str
) -> None:
    openai_stub.script({"fault": "rate_limit", "retry_after": 1}, {"content": "Keep going, Ada."})

    text = await model_for().complete(PROMPT)

    assert text == "Keep going, Ada."
    first, second = openai_stub.requests()
    assert [first["outcome"], second["outcome"]] == ["rate_limit", "scripted"]
    assert second["received_at"] - first["received_at"] >= 1
    usage = await usage_of(redis, key_prefix, AiFeature.REMINDER)
    assert usage["calls"] == 1
    assert usage["rate_limited"] == 1
    assert usage["ok"] == 1
    assert "fallbacks" not in usage


async def test_server_errors_until_the_attempts_run_out_give_none(
    model_for: Callable[..., TextModel], openai_stub: StubHandle, redis: aioredis.Redis, key_prefix: str
) -> None:
    openai_stub.configure(fault="server_error")

    assert await model_for(openai_max_attempts=3).complete(PROMPT) is None

    assert [r["outcome"] for r in openai_stub.requests()] == ["server_error"] * 3
    usage = await usage_of(redis, key_prefix, AiFeature.REMINDER)
    assert usage == {"calls": 1, "server_error": 3, "fallbacks": 1}


async def test_a_retry_after_beyond_the_deadline_gives_up_at_once(
    model_for: Callable[..., TextModel], openai_stub: StubHandle
) -> None:
    openai_stub.script({"fault": "rate_limit", "retry_after": 60})

    assert await model_for(openai_timeout_seconds=5).complete(PROMPT) is None

    assert len(openai_stub.requests()) == 1


async def test_an_answer_slower_than_the_deadline_gives_none(
    model_for: Callable[..., TextModel], openai_stub: StubHandle, redis: aioredis.Redis, key_prefix: str
) -> None:
    openai_stub.configure(fault="timeout", hang_seconds=3)

    assert await model_for().complete(replace(PROMPT, deadline_seconds=0.5)) is None

    assert len(openai_stub.requests()) == 1
    usage = await usage_of(redis, key_prefix, AiFeature.REMINDER)
    assert usage == {"calls": 1, "timeout": 1, "fallbacks": 1}


async def test_a_hung_attempt_is_cut_short_and_retried_within_the_deadline(
    model_for: Callable[..., TextModel], openai_stub: StubHandle
) -> None:
    openai_stub.script({"fault": "timeout", "hang_seconds": 3}, {"content": "Second try."})

    model = model_for(openai_attempt_timeout_seconds=0.3, openai_timeout_seconds=10)

    assert await model.complete(PROMPT) == "Second try."
    assert [r["outcome"] for r in openai_stub.requests()] == ["timeout", "scripted"]


async def test_a_malformed_answer_is_returned_as_it_is(
    model_for: Callable[..., TextModel], openai_stub: StubHandle
) -> None:
    openai_stub.script({"fault": "malformed"})

    text = await model_for().complete(JSON_PROMPT)

    assert text is not None
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


@pytest.mark.parametrize("content", ["", "  \n "])
async def test_an_empty_answer_gives_none(
    model_for: Callable[..., TextModel],
    openai_stub: StubHandle,
    redis: aioredis.Redis,
    key_prefix: str,
    content: str,
) -> None:
    openai_stub.script({"content": content})

    assert await model_for().complete(PROMPT) is None

    usage = await usage_of(redis, key_prefix, AiFeature.REMINDER)
    assert usage["empty"] == 1
    assert usage["fallbacks"] == 1


async def test_tokens_are_counted_per_feature(
    model_for: Callable[..., TextModel], openai_stub: StubHandle, redis: aioredis.Redis, key_prefix: str
) -> None:
    openai_stub.script({"content": "Twelve chars"}, {"content": "Another answer here"})
    model = model_for()

    await model.complete(PROMPT)
    await model.complete(JSON_PROMPT)

    prompt_tokens = estimate_tokens(PROMPT.system) + estimate_tokens(PROMPT.user)
    reminder = await usage_of(redis, key_prefix, AiFeature.REMINDER)
    assert reminder["prompt_tokens"] == prompt_tokens
    assert reminder["completion_tokens"] == estimate_tokens("Twelve chars")
    recap = await usage_of(redis, key_prefix, AiFeature.WEEKLY_RECAP)
    assert recap["completion_tokens"] == estimate_tokens("Another answer here")
    assert recap["calls"] == reminder["calls"] == 1


async def test_over_the_shared_budget_nothing_reaches_the_model(
    model_for: Callable[..., TextModel], openai_stub: StubHandle, redis: aioredis.Redis, key_prefix: str
) -> None:
    # Two processes' clients, one budget of 2 calls a minute between them.
    first, second = model_for(openai_calls_per_minute=2), model_for(openai_calls_per_minute=2)
    seconds_into_minute = time.time() % 60
    if seconds_into_minute > 50:  # the budget is per calendar minute: start the three calls in one
        await asyncio.sleep(61 - seconds_into_minute)

    assert await first.complete(PROMPT) is not None
    assert await second.complete(PROMPT) is not None
    assert await first.complete(PROMPT) is None

    assert len(openai_stub.requests()) == 2
    usage = await usage_of(redis, key_prefix, AiFeature.REMINDER)
    assert usage["budget_exhausted"] == 1
    assert usage["ok"] == 2


async def test_a_process_keeps_at_most_its_concurrency_cap_in_flight(
    model_for: Callable[..., TextModel], openai_stub: StubHandle
) -> None:
    openai_stub.configure(latency_ms=200)
    model = model_for(openai_max_concurrency=2)

    texts = await asyncio.gather(*(model.complete(PROMPT) for _ in range(6)))

    assert all(texts)
    assert openai_stub.stats()["max_inflight"] == 2


async def test_redis_unreachable_gives_none_without_calling_out(
    settings: Settings, openai_stub: StubHandle
) -> None:
    # A port nothing listens on (the stub's own control port speaks HTTP, not RESP; use a closed one).
    broken = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
    model = build_text_model(settings_with_stub(settings, openai_stub, openai_calls_per_minute=5), broken)
    try:
        assert await model.complete(PROMPT) is None
    finally:
        await model.aclose()
        await broken.aclose()

    assert openai_stub.requests() == []
