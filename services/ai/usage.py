"""Calls and tokens per AI feature and UTC day, counted in Redis so every process adds to one figure.

One hash per day, `<prefix>:ai:usage:<YYYY-MM-DD>`, with fields `<feature>:<counter>`:

- `calls`: texts asked for; `fallbacks`: of those, how many got None (the feature used its template);
- per HTTP attempt, by outcome: `ok`, `rate_limited`, `server_error`, `timeout`, `connection_error`,
  `client_error` (a 4xx other than 429: key, model or request wrong; not retried), `bad_response` (a
  200 that is no chat completion, e.g. a proxy's HTML page; not retried);
- `budget_exhausted`: attempts refused because the shared per-minute budget was spent (no request made);
- `unexpected_error`: a failure of no kind above (logged with its traceback: a bug to look at);
- `empty`: answers with no text; `prompt_tokens`, `completion_tokens`: as the model reported them.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from enum import StrEnum

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from services.ai.model import AiFeature
from services.metrics import record_ai_usage

__all__ = ["Outcome", "UsageCounters", "read_usage", "usage_key"]

logger = logging.getLogger(__name__)

# Long enough for a monthly look back; the provider's own dashboard is the bill.
USAGE_TTL_SECONDS = 40 * 24 * 3600


class Outcome(StrEnum):
    OK = "ok"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    CLIENT_ERROR = "client_error"
    BAD_RESPONSE = "bad_response"
    UNEXPECTED_ERROR = "unexpected_error"
    BUDGET_EXHAUSTED = "budget_exhausted"


def usage_key(key_prefix: str, day: date) -> str:
    return f"{key_prefix}:ai:usage:{day.isoformat()}"


class UsageCounters:
    def __init__(self, redis: aioredis.Redis, key_prefix: str) -> None:
        self._redis = redis
        self._prefix = key_prefix

    async def add(self, feature: AiFeature, counts: dict[str, int]) -> None:
        """Add `counts` (counter → amount) to today's figures; never raises (counting is no reason to
        lose a text)."""
        record_ai_usage(feature, counts)
        key = usage_key(self._prefix, datetime.now(UTC).date())
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for name, amount in counts.items():
                    if amount:
                        pipe.hincrby(key, f"{feature}:{name}", amount)
                pipe.expire(key, USAGE_TTL_SECONDS)
                await pipe.execute()
        except RedisError:
            logger.warning("could not count AI usage for %s", feature, exc_info=True)


async def read_usage(redis: aioredis.Redis, key_prefix: str, day: date) -> dict[str, dict[str, int]]:
    """{feature: {counter: value}} for one UTC day; counters never touched are absent."""
    raw = await redis.hgetall(usage_key(key_prefix, day))
    usage: dict[str, dict[str, int]] = {}
    for field, value in raw.items():
        feature, _, counter = (field.decode() if isinstance(field, bytes) else field).partition(":")
        usage.setdefault(feature, {})[counter] = int(value)
    return usage
