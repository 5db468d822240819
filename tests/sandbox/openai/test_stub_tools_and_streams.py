"""The OpenAI stub's tool calls and streams over HTTP: the raw server-sent events in OpenAI's format, and
the official SDK reading them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionFunctionToolParam

from sandbox.openai.testing import StubHandle

TOOLS = [{"type": "function", "function": {"name": "get_goals", "parameters": {"type": "object"}}}]


@pytest.fixture
async def raw(openai_stub: StubHandle) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=openai_stub.base_url, headers={"Authorization": "Bearer sk-test"}, trust_env=False
    ) as client:
        yield client


def request(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}], **extra}


async def events(client: httpx.AsyncClient, body: dict[str, Any]) -> list[str]:
    async with client.stream("POST", "/chat/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return [line async for line in response.aiter_lines() if line]


async def test_a_stream_is_chunks_then_usage_then_done(
    raw: httpx.AsyncClient, openai_stub: StubHandle
) -> None:
    openai_stub.script({"content": "One small step today, another tomorrow."})

    lines = await events(raw, request("hi", stream=True, stream_options={"include_usage": True}))

    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "One small step today, another tomorrow."
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] > 0


async def test_a_tool_named_in_the_users_text_is_called_and_a_tools_answer_gets_text(
    raw: httpx.AsyncClient,
) -> None:
    called = (await raw.post("/chat/completions", json=request("show my get_goals", tools=TOOLS))).json()
    after_tool = {
        "model": "gpt-4o-mini",
        "tools": TOOLS,
        "messages": [
            {"role": "user", "content": "show my get_goals"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": called["choices"][0]["message"]["tool_calls"],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "[]"},
        ],
    }
    answered = (await raw.post("/chat/completions", json=after_tool)).json()

    choice = called["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    assert choice["message"]["tool_calls"][0]["function"] == {"name": "get_goals", "arguments": "{}"}
    assert answered["choices"][0]["finish_reason"] == "stop"
    assert answered["choices"][0]["message"]["content"]


async def test_the_sdk_reads_a_streamed_tool_call(openai_stub: StubHandle) -> None:
    openai_stub.script({"tool_call": {"name": "get_goals", "arguments": '{"days": 3}'}})
    sdk = AsyncOpenAI(api_key="sk-test", base_url=openai_stub.base_url, max_retries=0)
    tools: list[ChatCompletionFunctionToolParam] = [
        {"type": "function", "function": {"name": "get_goals", "parameters": {"type": "object"}}}
    ]
    try:
        stream = await sdk.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], tools=tools, stream=True
        )
        fragments = [
            call.function.arguments or ""
            async for chunk in stream
            for choice in chunk.choices
            for call in choice.delta.tool_calls or ()
            if call.function is not None
        ]
    finally:
        await sdk.close()

    assert "".join(fragments) == '{"days": 3}'


def test_a_tool_call_outcome_is_checked(openai_stub: StubHandle) -> None:
    with pytest.raises(httpx.HTTPStatusError):
        openai_stub.script({"tool_call": {"name": "get_goals"}})
