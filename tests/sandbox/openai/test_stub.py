"""The OpenAI stub over HTTP: answered through the official SDK, and its control API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from openai import AsyncOpenAI, InternalServerError, RateLimitError

from sandbox.openai.testing import StubHandle, stub_process

JSON_SYSTEM = 'Reply with {"title": "<4-6 words naming the goal>", "body": "<15-20 words>", "mood": "upbeat"}'


@pytest.fixture
async def sdk(openai_stub: StubHandle) -> AsyncIterator[AsyncOpenAI]:
    client = AsyncOpenAI(api_key="sk-test", base_url=openai_stub.base_url, max_retries=0)
    yield client
    await client.close()


async def ask(sdk: AsyncOpenAI, *, json_mode: bool = False) -> str | None:
    completion = await sdk.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": JSON_SYSTEM}, {"role": "user", "content": "Ada, 5 km"}],
        response_format={"type": "json_object"} if json_mode else {"type": "text"},
    )
    assert completion.usage is not None
    assert (
        completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    return completion.choices[0].message.content


async def test_json_mode_answers_with_the_prompts_example_filled(sdk: AsyncOpenAI) -> None:
    content = await ask(sdk, json_mode=True)

    assert content is not None
    answer = json.loads(content)
    assert answer["mood"] == "upbeat"
    assert len(answer["title"].split()) == 6
    assert len(answer["body"].split()) == 20


async def test_without_json_mode_a_sentence_of_about_twenty_words(sdk: AsyncOpenAI) -> None:
    content = await ask(sdk)

    assert content is not None
    assert len(content.split()) == 20


async def test_the_script_comes_first_then_the_standing_config(
    sdk: AsyncOpenAI, openai_stub: StubHandle
) -> None:
    openai_stub.configure(fault="server_error")
    openai_stub.script({"fault": "rate_limit", "retry_after": 7}, {"content": "scripted"})

    with pytest.raises(RateLimitError) as rate_limited:
        await ask(sdk)
    assert rate_limited.value.response.headers["retry-after"] == "7"
    assert await ask(sdk) == "scripted"
    with pytest.raises(InternalServerError):
        await ask(sdk)

    assert [r["outcome"] for r in openai_stub.requests()] == ["rate_limit", "scripted", "server_error"]
    assert openai_stub.stats()["by_outcome"] == {"rate_limit": 1, "scripted": 1, "server_error": 1}


@pytest.mark.parametrize(
    ("fault", "content"), [("empty", ""), ("malformed", "Sure! Here is your text: {not json")]
)
async def test_empty_and_malformed_answers(
    sdk: AsyncOpenAI, openai_stub: StubHandle, fault: str, content: str
) -> None:
    openai_stub.configure(fault=fault)

    assert await ask(sdk, json_mode=True) == content


async def test_the_timeout_fault_holds_the_answer(sdk: AsyncOpenAI, openai_stub: StubHandle) -> None:
    openai_stub.script({"fault": "timeout", "hang_seconds": 0.3})

    assert await ask(sdk)

    [logged] = openai_stub.requests()
    assert logged["outcome"] == "timeout"


async def test_the_request_log_keeps_the_body(sdk: AsyncOpenAI, openai_stub: StubHandle) -> None:
    await ask(sdk, json_mode=True)

    [logged] = openai_stub.requests()
    assert logged["path"] == "/v1/chat/completions"
    assert logged["body"]["response_format"] == {"type": "json_object"}
    assert logged["body"]["messages"][1] == {"role": "user", "content": "Ada, 5 km"}
    assert isinstance(logged["received_at"], float)


def test_reset_clears_config_script_and_log(openai_stub: StubHandle) -> None:
    openai_stub.configure(latency_ms=5, fault="empty")
    openai_stub.script({"content": "x"})

    openai_stub.reset()

    assert openai_stub.config() == {
        "fault": None,
        "content": None,
        "latency_ms": 0.0,
        "retry_after": 1.0,
        "hang_seconds": 30.0,
        "tool_call": None,
    }
    assert openai_stub.requests() == []
    assert openai_stub.stats()["scripted_left"] == 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "config", {"fault": "meltdown"}),
        ("PUT", "config", {"latency_ms": -1}),
        ("PUT", "config", {"latency": 5}),
        ("POST", "script", {"outcomes": {"fault": "empty"}}),
        ("POST", "script", {"outcomes": [{"fault": "empty", "content": "x"}]}),
    ],
)
def test_bad_control_requests_are_400(
    openai_stub: StubHandle, method: str, path: str, body: dict[str, object]
) -> None:
    response = httpx.request(method, f"{openai_stub.server_url}/__stub/{path}", json=body, trust_env=False)

    assert response.status_code == 400
    assert openai_stub.stats()["scripted_left"] == 0


def test_a_request_without_a_key_is_401_like_openai(openai_stub: StubHandle) -> None:
    response = httpx.post(
        f"{openai_stub.base_url}/chat/completions", json={"model": "m", "messages": []}, trust_env=False
    )

    assert response.status_code == 401
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    assert openai_stub.requests() == []


def test_the_command_line_stub_announces_its_base_url() -> None:
    with stub_process(latency_ms=1) as stub:
        assert stub.base_url.startswith("http://127.0.0.1:")
        assert stub.base_url.endswith("/v1")
        assert stub.config()["latency_ms"] == 1


async def test_a_request_held_from_before_a_reset_does_not_count_after_it(
    sdk: AsyncOpenAI, openai_stub: StubHandle
) -> None:
    openai_stub.script({"fault": "timeout", "hang_seconds": 0.5})
    held = asyncio.create_task(ask(sdk))
    for _ in range(500):  # until the stub holds it (the stub runs on its own thread)
        if openai_stub.stats()["inflight"]:
            break
        await asyncio.sleep(0.01)

    openai_stub.reset()
    assert await held

    stats = openai_stub.stats()
    assert (stats["requests"], stats["inflight"], stats["max_inflight"]) == (0, 0, 0)
