"""One Redis key per claimed batch that settles, once, who owns the batch's fate: the worker or the sweeper.

The worker takes the key ("sending") right after the limiter grants the batch's permits and right
before the request goes out — one fast Redis round trip, so the request still leaves within
milliseconds of its grant (a PostgreSQL commit there took 5–120 ms under load: measured, and enough to
draw 429s before the limiter settled grants at their answer; now it would cost that much throughput).
The sweeper takes it ("revoked") before it releases the rows of a claim whose worker is gone (lease
lapsed, or the process stopped beating). Both use SET NX on the same key, so exactly one of them wins:
- the worker won: its request may have left, so the sweeper never resends the rows (sent, unconfirmed);
- the sweeper won: the worker — dead, or only stalled past its lease (a long GC pause, a frozen VM) —
  finds the key taken and sends nothing; the rows go to another worker. This is the fence: a stalled
  worker can never send a batch that was handed to someone else.

If Redis loses a key (a restart without persistence between the two SETs), a batch that may have been
sent is sent again: a rare duplicate that the app drops by data.notification_id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Final
from uuid import UUID

import redis.asyncio as aioredis

SENDING: Final = b"sending"
REVOKED: Final = b"revoked"


class ClaimFence:
    def __init__(self, client: aioredis.Redis, prefix: str, ttl: timedelta) -> None:
        self._client = client
        self._prefix = f"{prefix}:push:claim:"
        # Long enough for the sweeper to see the key of any lapsed claim (lease + one sweep period).
        self._ttl_ms = int(ttl.total_seconds() * 1000)

    def _key(self, claim_id: UUID) -> str:
        return f"{self._prefix}{claim_id}"

    async def enter_send(self, claim_id: UUID) -> bool:
        """Take the batch for sending; False when the sweeper has revoked the claim (send nothing)."""
        return bool(await self._client.set(self._key(claim_id), SENDING, nx=True, px=self._ttl_ms))

    async def revoke(self, claim_ids: Sequence[UUID]) -> set[UUID]:
        """Revoke these claims; returns those that could not be revoked because their worker had
        already entered the send (their request may have left)."""
        if not claim_ids:
            return set()
        async with self._client.pipeline(transaction=False) as pipe:
            for claim_id in claim_ids:
                pipe.set(self._key(claim_id), REVOKED, nx=True, px=self._ttl_ms)
            taken = await pipe.execute()
        contested = [claim_id for claim_id, ok in zip(claim_ids, taken, strict=True) if not ok]
        if not contested:
            return set()
        # A key already there is "sending", or "revoked" by an earlier sweep that did not commit.
        values = await self._client.mget([self._key(claim_id) for claim_id in contested])
        return {claim_id for claim_id, value in zip(contested, values, strict=True) if value == SENDING}
