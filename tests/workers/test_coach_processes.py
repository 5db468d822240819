"""The coach through the real processes, against the OpenAI stub over HTTP: the worker answers a message
sent to /chat/async; a worker killed mid-turn leaves a message the sweeper sends to another; the web
process streams POST /chat as server-sent events read by a real HTTP client, and stores the reply
even when that client goes away mid-stream."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from db.tables import ai_coach_messages
from sandbox.openai.testing import StubHandle
from services.addresses import COACH_QUEUE
from services.transaction import EngineDatabase
from settings import Settings
from tests.support.ai_stub import STUB_API_KEY
from tests.support.client import api_client
from tests.support.processes import procfile_command, running, stop_group, worker_command
from tests.support.users import ApiUser, create_user
from tests.support.web_process import wait_until_live
from tools.ports import free_port
from workers.coach_replies import sweep_coach_turns
from workers.periodic_jobs import JobContext

COACH = "/api/v1/ai-coach"
# Generous for a loaded machine; a test waits this long only when something is broken.
WAIT_S = 60


def stub_env(stub: StubHandle) -> dict[str, str]:
    return {"OPENAI_API_KEY": STUB_API_KEY, "OPENAI_BASE_URL": stub.base_url, "OPENAI_CALLS_PER_MINUTE": "0"}


async def committed_user(engine: AsyncEngine, settings: Settings, database: EngineDatabase) -> ApiUser:
    """A committed user, with a token the web process accepts too (same secret)."""
    async with engine.begin() as connection:
        return await create_user(connection, create_app(settings, database=database))


def read_log(path: Path | None) -> str:
    return path.read_text(errors="replace") if path is not None and path.exists() else ""


async def until(check: Any, what: str, log: Path | None = None) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} not seen after {WAIT_S} s\n{read_log(log)}")


async def conversation(client: httpx.AsyncClient, user: ApiUser, conversation_id: str) -> dict[str, Any]:
    response = await client.get(f"{COACH}/conversations/{conversation_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def replied(client: httpx.AsyncClient, user: ApiUser, conversation_id: str) -> Any:
    async def check() -> dict[str, Any] | None:
        detail = await conversation(client, user, conversation_id)
        return detail if detail["messages"][-1]["role"] == "assistant" else None

    return check


async def test_the_worker_answers_a_message_sent_to_chat_async(
    committed_database: EngineDatabase,
    engine: AsyncEngine,
    settings: Settings,
    openai_stub: StubHandle,
    tmp_path: Path,
) -> None:
    user = await committed_user(engine, settings, committed_database)
    log = tmp_path / "worker.log"
    async with api_client(create_app(settings, database=committed_database)) as client:
        with running(worker_command(queues=[COACH_QUEUE]), env=stub_env(openai_stub), log=log):
            sent = await client.post(
                f"{COACH}/chat/async", json={"message": "Help me sleep earlier"}, headers=user.headers
            )
            assert sent.status_code == 200, sent.text
            detail = await until(replied(client, user, sent.json()["conversation_id"]), "the reply", log)

    assert [(m["role"], m["status"]) for m in detail["messages"]] == [
        ("user", "completed"),
        ("assistant", "completed"),
    ]
    assert detail["messages"][1]["content"]
    assert any(r["body"].get("tools") for r in openai_stub.requests())


async def test_a_worker_killed_mid_turn_is_recovered_by_the_sweeper(
    committed_database: EngineDatabase,
    engine: AsyncEngine,
    settings: Settings,
    openai_stub: StubHandle,
    redis: aioredis.Redis,
    tmp_path: Path,
) -> None:
    user = await committed_user(engine, settings, committed_database)
    openai_stub.configure(fault="timeout", hang_seconds=120)
    log = tmp_path / "worker.log"
    async with api_client(create_app(settings, database=committed_database)) as client:
        sent = (
            await client.post(
                f"{COACH}/chat/async", json={"message": "Help me sleep earlier"}, headers=user.headers
            )
        ).json()
        message_id = UUID(sent["user_message_id"])

        async def claimed() -> bool:
            async with engine.connect() as connection:
                statement = sa.select(ai_coach_messages.c.claim_id).where(
                    ai_coach_messages.c.id == message_id
                )
                return (await connection.execute(statement)).scalar_one() is not None

        with running(worker_command(queues=[COACH_QUEUE]), env=stub_env(openai_stub), log=log) as worker:
            await until(claimed, "the worker's claim", log)
            stop_group(worker, signal.SIGKILL)
        openai_stub.reset()

        # Once the dead worker's lease has run out, the sweep sends the message to a worker again.
        context = JobContext(committed_database, redis, settings)
        after_lease = datetime.now(UTC) + timedelta(seconds=settings.coach_claim_lease_seconds + 1)
        assert await sweep_coach_turns(context, after_lease) == {"redriven": 1, "failed": 0}
        with running(worker_command(queues=[COACH_QUEUE]), env=stub_env(openai_stub), log=log):
            detail = await until(replied(client, user, sent["conversation_id"]), "the recovered reply", log)

    assert [(m["role"], m["status"]) for m in detail["messages"]] == [
        ("user", "completed"),
        ("assistant", "completed"),
    ]


@pytest.fixture
async def web(
    migrated_database: str, openai_stub: StubHandle, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    """The Procfile's web process on the session's database, with the stub as its model."""
    port = free_port()
    env = {
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "DB_POOL_SIZE": "4",
        "REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        **stub_env(openai_stub),
    }
    log = tmp_path / "web.log"
    with running(procfile_command("web"), env=env, log=log) as process:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=30
        ) as client:
            await wait_until_live(client, process, log)
            yield client, log


async def read_events(response: httpx.Response, stop_after: str | None = None) -> list[dict[str, Any]]:
    """The `data:` events of a server-sent event stream, each parsed; stops early after an event of
    type `stop_after`."""
    events: list[dict[str, Any]] = []
    async for line in response.aiter_lines():
        if line.startswith("data: "):
            events.append(json.loads(line[len("data: ") :]))
            if events[-1]["type"] == stop_after:
                break
    return events


async def test_the_sse_route_streams_the_reply_and_stores_it(
    committed_database: EngineDatabase,
    engine: AsyncEngine,
    settings: Settings,
    openai_stub: StubHandle,
    web: tuple[httpx.AsyncClient, Path],
) -> None:
    client, _log = web
    user = await committed_user(engine, settings, committed_database)
    openai_stub.script({"content": "Start with one small step: lights out ten minutes earlier tonight."})

    async with client.stream(
        "POST", f"{COACH}/chat", json={"message": "Help me sleep earlier"}, headers=user.headers
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = await read_events(response)

    start, *chunks, end = events
    assert start["type"] == "start"
    assert end["type"] == "end"
    assert len(chunks) > 1
    assert {chunk["type"] for chunk in chunks} == {"chunk"}
    text = "Start with one small step: lights out ten minutes earlier tonight."
    assert "".join(chunk["content"] for chunk in chunks) == end["full_response"] == text
    assert end["conversation_id"] == start["conversation_id"]
    assert end["tokens_used"] > 0
    detail = await conversation(client, user, start["conversation_id"])
    assert detail["messages"][-1]["message_id"] == end["message_id"]
    assert detail["messages"][-1]["content"] == text


async def test_a_streamed_turn_with_a_tool_round_streams_only_the_final_text(
    committed_database: EngineDatabase,
    engine: AsyncEngine,
    settings: Settings,
    openai_stub: StubHandle,
    web: tuple[httpx.AsyncClient, Path],
) -> None:
    client, _log = web
    user = await committed_user(engine, settings, committed_database)

    async with client.stream(
        "POST", f"{COACH}/chat", json={"message": "how are my get_achievements?"}, headers=user.headers
    ) as response:
        events = await read_events(response)

    assert [event["type"] for event in events][:1] + [event["type"] for event in events][-1:] == [
        "start",
        "end",
    ]
    reply_requests = [r["body"] for r in openai_stub.requests() if r["body"].get("stream")]
    assert len(reply_requests) == 2  # the tool round, then the text
    [tool_answer] = [m for m in reply_requests[1]["messages"] if m["role"] == "tool"]
    assert json.loads(tool_answer["content"])["results"][0]["total_achievements"] == 0
    assert "".join(e["content"] for e in events if e["type"] == "chunk") == events[-1]["full_response"]


async def test_a_client_gone_mid_stream_still_finds_the_reply_stored(
    committed_database: EngineDatabase,
    engine: AsyncEngine,
    settings: Settings,
    openai_stub: StubHandle,
    web: tuple[httpx.AsyncClient, Path],
) -> None:
    client, log = web
    user = await committed_user(engine, settings, committed_database)
    openai_stub.configure(latency_ms=1500)

    async with client.stream(
        "POST", f"{COACH}/chat", json={"message": "Help me sleep earlier"}, headers=user.headers
    ) as response:
        [start] = await read_events(response, stop_after="start")
    # The client hung up while the model was still thinking; nothing else (no worker) runs.

    detail = await until(replied(client, user, start["conversation_id"]), "the stored reply", log)
    assert [(m["role"], m["status"]) for m in detail["messages"]] == [
        ("user", "completed"),
        ("assistant", "completed"),
    ]


async def test_the_sse_route_refuses_bad_input_before_streaming(
    committed_database: EngineDatabase,
    engine: AsyncEngine,
    settings: Settings,
    web: tuple[httpx.AsyncClient, Path],
) -> None:
    client, _log = web
    user = await committed_user(engine, settings, committed_database)
    other = await committed_user(engine, settings, committed_database)
    theirs = await client.post(
        f"{COACH}/chat/async", json={"message": "My private words"}, headers=other.headers
    )

    empty = await client.post(f"{COACH}/chat", json={"message": "   "}, headers=user.headers)
    foreign = await client.post(
        f"{COACH}/chat",
        json={"message": "hi", "conversation_id": theirs.json()["conversation_id"]},
        headers=user.headers,
    )

    assert empty.status_code == 422
    assert empty.json()["code"]
    assert foreign.status_code == 404
