"""What a test's transactions sent to one Dramatiq queue (real Redis, the session's namespace)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis

from settings import Settings


class QueueProbe:
    def __init__(self, redis: aioredis.Redis, settings: Settings, queue: str) -> None:
        self._redis = redis
        self._keys = (f"{settings.dramatiq_namespace}:{queue}", f"{settings.dramatiq_namespace}:{queue}.msgs")

    async def clear(self) -> None:
        await self._redis.delete(*self._keys)

    async def messages(self) -> list[dict[str, Any]]:
        """Every message waiting in the queue (actor_name, args, …), in no particular order."""
        return [json.loads(raw) for raw in (await self._redis.hgetall(self._keys[1])).values()]


@asynccontextmanager
async def probed_queue(redis: aioredis.Redis, settings: Settings, queue: str) -> AsyncIterator[QueueProbe]:
    """The queue, emptied before and after the block."""
    probe = QueueProbe(redis, settings, queue)
    await probe.clear()
    try:
        yield probe
    finally:
        await probe.clear()
