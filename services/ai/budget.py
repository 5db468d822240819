"""The per-minute request budget every process shares: one Redis counter per UTC minute."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

__all__ = ["CallBudget"]

# The counter outlives its minute a little, so a process whose clock lags a second still finds it.
_KEY_TTL_SECONDS = 120


class CallBudget:
    def __init__(self, redis: aioredis.Redis, key_prefix: str, calls_per_minute: int) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._limit = calls_per_minute

    async def take(self) -> bool:
        """Spend one request of this minute's budget; False when it is spent (0 = no budget).

        A fixed window, not a sliding one: at a minute's turn two minutes' worth may go out within a few
        seconds, which the provider's own limiter absorbs (a 429 is retried like any other).
        Raises RedisError when Redis cannot be reached; the caller decides.
        """
        if self._limit == 0:
            return True
        key = f"{self._prefix}:ai:calls:{int(time.time() // 60)}"
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, _KEY_TTL_SECONDS)
            used, _ = await pipe.execute()
        return int(used) <= self._limit
