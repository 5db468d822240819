"""The process's push sender (Expo client, limiter, claim fence), built on first use.

The Expo client holds connections bound to the event loop that first uses them, so it is built lazily
on the actors' loop thread, never at import, and closed with the worker's resources.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import redis.asyncio as aioredis

from settings import Settings
from workers.liveness import WorkerLiveness
from workers.push.claim_fence import ClaimFence
from workers.push.delivery import PushSender
from workers.push.expo_client import ExpoPushClient
from workers.push.limiter import SlidingWindowLimiter, project_key
from workers.resources import WorkerResources

# How often push.sweep runs (workers/push/actors.py declares it with SWEEP_CRON): every minute, so the
# claims of a worker that died are back in the queue within about a minute even when the supervisor's
# immediate sweep (workers/supervisor.py) was lost. Idle, a run is two index look-ups.
SWEEP_PERIOD: Final = timedelta(minutes=1)
SWEEP_CRON: Final = "* * * * *"

_sender: PushSender | None = None


def claim_fence(redis: aioredis.Redis, settings: Settings) -> ClaimFence:
    # A key must outlive its claim's lease plus the sweep that looks at it.
    ttl = timedelta(seconds=settings.push_claim_lease_seconds) + SWEEP_PERIOD * 2
    return ClaimFence(redis, settings.dramatiq_namespace, ttl)


async def push_sender() -> PushSender:
    """The process's sender, built (and its Expo connection opened) on first use."""
    global _sender
    if _sender is None:
        resources = WorkerResources.current()
        settings = resources.settings
        sender = PushSender(
            database=resources.database,
            client=ExpoPushClient(settings.expo_push_url, access_token=settings.expo_access_token),
            # One Expo project per deployment, and one deployment per Dramatiq namespace: every
            # worker process of the deployment shares this limiter key.
            limiter=SlidingWindowLimiter(
                resources.redis,
                project_key(settings.dramatiq_namespace),
                settings.expo_rate_limit_per_second,
                safety_margin=settings.expo_rate_limit_margin_ms / 1000,
            ),
            fence=claim_fence(resources.redis, settings),
            owner=WorkerLiveness.owner(),
            claim_lease=timedelta(seconds=settings.push_claim_lease_seconds),
            stale_after=timedelta(minutes=settings.reminder_stale_after_minutes),
            retry_window=timedelta(minutes=settings.push_retry_window_minutes),
        )
        resources.close_later(_close_sender)
        _sender = sender
        await sender.client.warm_up()
    return _sender


async def _close_sender() -> None:
    global _sender
    sender, _sender = _sender, None
    if sender is not None:
        await sender.client.aclose()
