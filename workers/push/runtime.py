"""The per-process push dependencies (Expo client, limiter), owned by a Dramatiq middleware.

The Expo client holds connections bound to the event loop that first uses them, so it is built lazily
on the actors' loop thread, never at import; it is closed when the worker shuts down.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import dramatiq
import redis.asyncio as aioredis
from dramatiq import Broker, Middleware, Worker
from dramatiq.asyncio import get_event_loop_thread

from settings import Settings
from workers.enqueue import Enqueuer
from workers.push.delivery import PushSender
from workers.push.expo_client import ExpoPushClient
from workers.push.limiter import SlidingWindowLimiter, project_key
from workers.push.send_markers import SendMarkers
from workers.resources import WorkerResources

# How often push.sweep runs (its cron in workers/push/actors.py).
SWEEP_PERIOD: Final = timedelta(minutes=5)


def send_markers(redis: aioredis.Redis, settings: Settings) -> SendMarkers:
    # A note must outlive its claim's lease plus the sweep that looks at it (every 5 minutes).
    ttl = timedelta(seconds=settings.push_claim_lease_seconds) + SWEEP_PERIOD * 2
    return SendMarkers(redis, settings.dramatiq_namespace, ttl)


class PushRuntime(Middleware):
    _sender: PushSender | None = None

    @classmethod
    async def sender(cls) -> PushSender:
        """The process's sender, built (and its Expo connection opened) on first use."""
        if cls._sender is None:
            resources = WorkerResources.current()
            settings = resources.settings
            cls._sender = PushSender(
                database=resources.database,
                client=ExpoPushClient(settings.expo_push_url, access_token=settings.expo_access_token),
                # One Expo project per deployment, and one deployment per Dramatiq namespace: every
                # worker process of the deployment shares this limiter key.
                limiter=SlidingWindowLimiter(
                    resources.redis,
                    project_key(settings.dramatiq_namespace),
                    settings.expo_rate_limit_per_second,
                ),
                markers=send_markers(resources.redis, settings),
                enqueuer=Enqueuer(dramatiq.get_broker()),
                claim_lease=timedelta(seconds=settings.push_claim_lease_seconds),
            )
            await cls._sender.client.warm_up()
        return cls._sender

    def before_worker_shutdown(self, broker: Broker, worker: Worker) -> None:
        sender, PushRuntime._sender = PushRuntime._sender, None
        loop_thread = get_event_loop_thread()
        if sender is not None and loop_thread is not None:
            loop_thread.run_coroutine(sender.client.aclose())
