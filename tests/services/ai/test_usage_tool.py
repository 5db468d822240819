"""`python -m tools.ai_usage` reads the counters the client writes, under the deployment's own prefix."""

from __future__ import annotations

from datetime import UTC, datetime

import redis.asyncio as aioredis

from sandbox.openai.testing import StubHandle
from services.ai.client import build_text_model
from services.ai.model import AiFeature, ChatPrompt
from settings import Settings
from tests.support.ai_stub import settings_with_stub
from tools.ai_usage import usage_of


async def test_the_tool_shows_todays_calls_per_feature(
    settings: Settings, openai_stub: StubHandle, redis: aioredis.Redis
) -> None:
    today = datetime.now(UTC).date()
    before = (await usage_of(today)).get(AiFeature.COACH, {})
    model = build_text_model(settings_with_stub(settings, openai_stub), redis)
    try:
        await model.complete(ChatPrompt(AiFeature.COACH, "Coach.", "Hi", temperature=0.5, max_tokens=20))
    finally:
        await model.aclose()

    after = (await usage_of(today))[AiFeature.COACH]

    assert after["calls"] == before.get("calls", 0) + 1
    assert after["ok"] == before.get("ok", 0) + 1
    assert after["completion_tokens"] > before.get("completion_tokens", 0)
