"""The analytics dashboard's Redis cache: an answer is kept an hour, per user, goal, window and the
owner's local day, and dropped by any write to the goal or its check-ins. An answer taken before the
day-boundary jobs caught up (a pending row of an earlier day, today's row not created yet) is kept five
minutes only, so those jobs need not know about this cache.

Keys: `<prefix>:analytics:dashboard:<user>:<goal>:<days>:<local day>:<stamp>`, where the stamp is the
goal's current `<prefix>:analytics:stamp:<goal>` (absent = "0"). A write gives the goal a fresh random
stamp after its commit, so every cached window and day of the goal is passed over at once without
listing them, and the local day in the key makes answers lapse at the owner's midnight as well.

Why a reader can never be served an answer older than a write it follows: the reader reads the stamp
before its query, and the writer changes the stamp only after its commit. A reader that read the old
stamp stores under the old key, which nobody reads again; one that read the new stamp queried after
the commit (READ COMMITTED: each statement sees what committed before it began). A stamp lives longer
than an answer plus the request that stores it (STAMP_TTL_SECONDS), so when it lapses back to "0",
every answer stored under "0" before it was set has expired.

Redis holds nothing PostgreSQL cannot rebuild: when it cannot be reached the dashboard is computed
and served uncached, and a stamp change that fails leaves answers at most an hour old.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date
from functools import partial
from uuid import UUID

import msgspec
import redis.asyncio as aioredis
from litestar import Litestar
from redis.exceptions import RedisError

from api.resources import app_resources
from domain.analytics import AnalyticsDashboard
from services.transaction import Transaction

logger = logging.getLogger(__name__)

CACHE_TTL_SECONDS = 3600
# An answer the day-boundary jobs (every 15 minutes) are about to change (domain.analytics.awaits_day_jobs).
PROVISIONAL_TTL_SECONDS = 300
# Longer than an answer lives plus the time a request takes to compute and store one (see the doc).
STAMP_TTL_SECONDS = 2 * CACHE_TTL_SECONDS
_NO_STAMP = "0"


class DashboardCache:
    def __init__(self, redis: aioredis.Redis, key_prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{key_prefix}:analytics"

    @classmethod
    def of(cls, app: Litestar) -> DashboardCache:
        resources = app_resources(app)
        return cls(resources.redis, resources.settings.redis_key_prefix)

    def _stamp_key(self, goal_id: UUID) -> str:
        return f"{self._prefix}:stamp:{goal_id}"

    async def key(self, *, user_id: UUID, goal_id: UUID, days: int, today: date) -> str | None:
        """The answer's key as the goal now stands; None when Redis cannot be reached (no caching)."""
        try:
            stamp = await self._redis.get(self._stamp_key(goal_id))
        except RedisError:
            logger.warning("analytics cache unreachable; serving uncached", exc_info=True)
            return None
        # The API's Redis client returns bytes (it is built without decode_responses).
        stamp_text = _NO_STAMP if stamp is None else stamp.decode() if isinstance(stamp, bytes) else stamp
        return f"{self._prefix}:dashboard:{user_id}:{goal_id}:{days}:{today.isoformat()}:{stamp_text}"

    async def get(self, key: str) -> AnalyticsDashboard | None:
        try:
            cached = await self._redis.get(key)
        except RedisError:
            logger.warning("analytics cache read failed", exc_info=True)
            return None
        if cached is None:
            return None
        try:
            return msgspec.json.decode(cached, type=AnalyticsDashboard)
        except msgspec.DecodeError:  # stored by a release with another shape: computed again
            return None

    async def store(self, key: str, dashboard: AnalyticsDashboard, *, provisional: bool = False) -> None:
        ttl = PROVISIONAL_TTL_SECONDS if provisional else CACHE_TTL_SECONDS
        try:
            await self._redis.set(key, msgspec.json.encode(dashboard), ex=ttl)
        except RedisError:
            logger.warning("analytics cache write failed", exc_info=True)

    async def goal_changed(self, goal_id: UUID) -> None:
        """Pass over every cached answer of the goal (call after the write's commit)."""
        await self._redis.set(self._stamp_key(goal_id), secrets.token_hex(8), ex=STAMP_TTL_SECONDS)


def forget_goal_after_commit(tx: Transaction, app: Litestar, goal_id: UUID) -> None:
    """Every write to a goal or its check-ins calls this: its cached dashboards go once it commits."""
    tx.after_commit(partial(DashboardCache.of(app).goal_changed, goal_id))
