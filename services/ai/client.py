"""The process's model client, built from settings (OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL).

Placeholder until the OpenAI-backed client lands: every text is a template.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from services.ai.model import NO_MODEL, TextModel
from settings import Settings

__all__ = ["build_text_model"]


def build_text_model(settings: Settings, redis: aioredis.Redis) -> TextModel:
    return NO_MODEL
