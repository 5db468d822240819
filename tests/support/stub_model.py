"""The model client of the test session's OpenAI stub, for tests that run a feature's function directly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis

from sandbox.openai.testing import StubHandle
from services.ai.client import build_text_model
from services.ai.model import TextModel
from settings import Settings
from tests.support.ai_stub import settings_with_stub


@asynccontextmanager
async def stub_text_model(
    settings: Settings, stub: StubHandle, redis: aioredis.Redis, **changes: Any
) -> AsyncIterator[TextModel]:
    """One attempt per text and a one-second deadline unless `changes` say otherwise: a fault reaches
    the template at once."""
    limits = {"openai_max_attempts": 1, "openai_timeout_seconds": 1.0, "openai_attempt_timeout_seconds": 1.0}
    model = build_text_model(settings_with_stub(settings, stub, **{**limits, **changes}), redis)
    try:
        yield model
    finally:
        await model.aclose()
