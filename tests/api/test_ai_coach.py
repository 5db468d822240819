"""/ai-coach (api/ai_coach/controller.py; docs/coach.md): the shapes the app reads, paging, the current
conversation, delete, the asynchronous turn with its quota, and bonus messages for rewarded ads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from api.clock import FixedClock
from services.addresses import COACH_REPLY
from settings import Settings
from tests.support.queues import probed_queue
from tests.support.rows import utc
from tests.support.users import ApiUser

MakeUser = Callable[..., Awaitable[ApiUser]]
COACH = "/api/v1/ai-coach"
# 2026-03-10 12:00 UTC.
NOON = utc("2026-03-10T12:00")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOON)


async def send(
    client: httpx.AsyncClient, user: ApiUser, message: str = "Help me run more", **fields: Any
) -> httpx.Response:
    return await client.post(f"{COACH}/chat/async", json={"message": message, **fields}, headers=user.headers)


async def test_a_sent_message_is_stored_pending_and_its_reply_queued(
    client: httpx.AsyncClient, make_user: MakeUser, redis: aioredis.Redis, settings: Settings
) -> None:
    user = await make_user()
    async with probed_queue(redis, settings, COACH_REPLY.queue_name) as queue:
        response = await send(client, user, "  Help me run more  ", language="es")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == body["message_status"] == "pending"
        assert body["success"] is True
        assert body["message_index"] == 0
        queued = await queue.messages()
    assert [(m["actor_name"], m["args"]) for m in queued] == [("coach.reply", [body["user_message_id"]])]
    detail = (
        await client.get(f"{COACH}/conversations/{body['conversation_id']}", headers=user.headers)
    ).json()
    assert detail["messages"][0]["content"] == "Help me run more"
    assert detail["messages"][0]["status"] == "pending"
    limit = (await client.get(f"{COACH}/rate-limit", headers=user.headers)).json()
    assert limit == {
        "can_send": True,
        "remaining_messages": 2,
        "daily_limit": 3,
        "resets_at": "2026-03-11T00:00:00Z",
    }
