"""A Redis note, per claimed batch, that its request may have left for Expo.

Written right after the limiter grants the batch's permits and right before the request goes out —
one fast Redis round trip, so the request still leaves within the limiter's 15 ms margin of its grant
(a PostgreSQL commit there took 5–120 ms under load: measured, and enough to draw 429s). When a
worker dies, the sweeper looks at the note of each lapsed claim: without it, the request never left
and the rows can be sent again; with it, they may have reached Expo and are never resent.

If Redis loses a note (a restart without persistence before the sweeper looks), a batch that may
have been sent is sent again: a rare duplicate that the app drops by data.notification_id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis


class SendMarkers:
    def __init__(self, client: aioredis.Redis, prefix: str, ttl: timedelta) -> None:
        self._client = client
        self._prefix = f"{prefix}:push:sending:"
        # Long enough for the sweeper to see the note of any lapsed claim (lease + one sweep period).
        self._ttl_ms = int(ttl.total_seconds() * 1000)

    def _key(self, claimed_at: datetime) -> str:
        # A claim is identified by its timestamp (the fencing token stored in push_deliveries).
        return self._prefix + claimed_at.astimezone(UTC).isoformat(timespec="microseconds")

    async def mark(self, claimed_at: datetime) -> None:
        await self._client.set(self._key(claimed_at), b"1", px=self._ttl_ms)

    async def marked(self, claims: Sequence[datetime]) -> set[datetime]:
        """Which of these claims have a note."""
        if not claims:
            return set()
        values = await self._client.mget([self._key(claimed_at) for claimed_at in claims])
        return {claimed_at for claimed_at, value in zip(claims, values, strict=True) if value is not None}
