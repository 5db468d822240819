"""Product analytics: the key actions (signup, check-in, partner accepted, challenge joined, plan
change) as PostHog events, sent by a background batcher of the process, never on a request's path.

A handler calls `track_after_commit(tx, events, user_id, event, properties)`: the event is noted in
memory only if its transaction commits (a rolled-back signup is no signup). One loop per process
(`flush_periodically`, started by the web app's lifespan) posts what was noted to PostHog's `/batch/`
every FLUSH_SECONDS, up to BATCH_SIZE events a request, and once more at shutdown. When PostHog is
away, events stay buffered (at most MAX_BUFFERED; the oldest are dropped beyond, counted) and go with
a later pass: analytics may lose a few events in a crash, never slow or fail a request.
Without POSTHOG_API_KEY nothing is noted or sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, Protocol
from uuid import UUID

import httpx

from services.metrics import PRODUCT_EVENTS
from services.transaction import Transaction
from settings import Settings

__all__ = [
    "NO_EVENTS",
    "PostHogEvents",
    "ProductEvent",
    "ProductEvents",
    "build_product_events",
    "track_after_commit",
]

logger = logging.getLogger(__name__)

FLUSH_SECONDS: Final = 2.0
BATCH_SIZE: Final = 500
MAX_BUFFERED: Final = 20_000
REQUEST_TIMEOUT_SECONDS: Final = 10.0
BATCH_PATH: Final = "/batch/"


class ProductEvent(StrEnum):
    SIGNED_UP = "user_signed_up"
    CHECKED_IN = "check_in_completed"
    PARTNER_ACCEPTED = "partner_accepted"
    CHALLENGE_JOINED = "challenge_joined"
    SUBSCRIPTION_CHANGED = "subscription_changed"


class ProductEvents(Protocol):
    def capture(self, user_id: UUID, event: ProductEvent, properties: dict[str, Any]) -> None: ...

    async def flush_periodically(self, every: float = ...) -> None: ...

    async def aclose(self) -> None: ...


class NoEvents:
    """No POSTHOG_API_KEY: nothing is noted, nothing leaves."""

    def capture(self, user_id: UUID, event: ProductEvent, properties: dict[str, Any]) -> None:
        return None

    async def flush_periodically(self, every: float = FLUSH_SECONDS) -> None:
        return None

    async def aclose(self) -> None:
        return None


NO_EVENTS = NoEvents()


class PostHogEvents:
    def __init__(self, api_key: str, host: str) -> None:
        self._api_key = api_key
        self._buffer: deque[dict[str, Any]] = deque()
        self._http = httpx.AsyncClient(base_url=host, timeout=REQUEST_TIMEOUT_SECONDS)

    def capture(self, user_id: UUID, event: ProductEvent, properties: dict[str, Any]) -> None:
        if len(self._buffer) >= MAX_BUFFERED:
            self._buffer.popleft()
            PRODUCT_EVENTS.labels("dropped").inc()
        self._buffer.append(
            {
                "event": event.value,
                "distinct_id": str(user_id),
                "properties": {**properties, "$lib": "fitnudge-backend"},
                "timestamp": datetime.now(UTC).isoformat(),
            }
        )

    async def flush(self) -> None:
        """Post everything noted so far, batch by batch; stop at the first batch PostHog refuses."""
        while self._buffer:
            batch = [self._buffer.popleft() for _ in range(min(BATCH_SIZE, len(self._buffer)))]
            try:
                response = await self._http.post(BATCH_PATH, json={"api_key": self._api_key, "batch": batch})
                response.raise_for_status()
            except httpx.HTTPError as error:
                logger.warning("product events: PostHog did not take %d events (%s); kept", len(batch), error)
                PRODUCT_EVENTS.labels("failed").inc(len(batch))
                self._buffer.extendleft(reversed(batch))
                return
            PRODUCT_EVENTS.labels("sent").inc(len(batch))

    async def flush_periodically(self, every: float = FLUSH_SECONDS) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.flush()
            except Exception:
                # Whatever went wrong with one batch, the loop must outlive it: a dead loop would
                # silently keep every later event until the process restarts.
                logger.exception("product events: a flush failed; its batch is dropped")

    async def aclose(self) -> None:
        try:
            await self.flush()
        finally:
            await self._http.aclose()


def build_product_events(settings: Settings) -> ProductEvents:
    if not settings.posthog_api_key:
        return NO_EVENTS
    return PostHogEvents(settings.posthog_api_key, settings.posthog_host)


def track_after_commit(
    tx: Transaction, events: ProductEvents, user_id: UUID, event: ProductEvent, **properties: Any
) -> None:
    """Note `event` for `user_id` once `tx` commits."""

    async def note() -> None:
        events.capture(user_id, event, properties)

    tx.after_commit(note)
