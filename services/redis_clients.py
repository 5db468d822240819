"""A process's Redis client (the web app's, each worker's): one connection pool, where a command waits
for a free connection rather than failing.

redis-py's default pool raises MaxConnectionsError once 100 connections are busy, so a burst of more
than 100 concurrent requests in one web process (200 coach users sending at once, bench/coach) turned
into 500s on the token check. The blocking pool makes the 101st caller wait, up to POOL_WAIT_SECONDS.
"""

from __future__ import annotations

from typing import Final

import redis.asyncio as aioredis

__all__ = ["process_redis"]

MAX_CONNECTIONS: Final = 200
POOL_WAIT_SECONDS: Final = 5.0


def process_redis(url: str) -> aioredis.Redis:
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=MAX_CONNECTIONS, timeout=POOL_WAIT_SECONDS
    )
    return aioredis.Redis.from_pool(pool)
