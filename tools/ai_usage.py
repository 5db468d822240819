"""`python -m tools.ai_usage [--day 2026-12-06]`: one UTC day's AI calls and tokens per feature, as JSON.

Reads the counters the model client keeps in Redis (services/ai/usage.py; docs/operations.md, "AI
texts") under this deployment's REDIS_URL and REDIS_KEY_PREFIX. Today (UTC) by default.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, date, datetime

import redis.asyncio as aioredis

from services.ai.usage import read_usage
from settings import get_settings


async def usage_of(day: date) -> dict[str, dict[str, int]]:
    settings = get_settings()
    redis = aioredis.Redis.from_url(settings.redis_url)
    try:
        return await read_usage(redis, settings.redis_key_prefix, day)
    finally:
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--day", type=date.fromisoformat, default=datetime.now(UTC).date(), help="UTC day")
    args = parser.parse_args()
    print(json.dumps({"day": args.day.isoformat(), "usage": asyncio.run(usage_of(args.day))}, indent=2))


if __name__ == "__main__":
    main()
