"""users.last_active_at, bumped by authenticated requests at most once per ACTIVITY_INTERVAL per user.

Three gates, cheapest first. A per-process memory of who was noted recently (api/auth/recent_activity.py)
answers almost every request without any I/O. Past it, a Redis SET NX with the interval as expiry
lets one request per interval through across processes. The UPDATE itself is also conditional on
the stored value, so a flushed Redis or a restarted process costs one no-op statement, never a
write per request.

The requests that do get through are written together: while one batch is being written, the
users of the requests arriving meanwhile gather into the next, which then costs one Redis pipeline
and one set-based UPDATE. Every request still waits until its own stamp is committed, exactly as
when each wrote alone; under load (many users' first request of an interval at once, as after a
deploy) that turned two round trips and a transaction per request into a few per batch.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import redis.asyncio as aioredis

from api.auth.recent_activity import RecentlyActive
from db.unit_of_work import Database
from db.users import bump_last_active

# Minute precision is all "last active" is shown with (partner search); five minutes keeps it to
# at most one write per user per five minutes.
ACTIVITY_INTERVAL = timedelta(minutes=5)


class ActivityRecorder:
    """One per web process: notes the caller of each authenticated request (see the module doc)."""

    def __init__(self, *, redis: aioredis.Redis, database: Database, key_prefix: str) -> None:
        self._redis = redis
        self._database = database
        self._key_prefix = key_prefix
        self._recent = RecentlyActive(ACTIVITY_INTERVAL)
        self._gathering: list[UUID] = []
        self._gathered: asyncio.Future[None] | None = None  # resolves once the gathering batch is written
        self._writer: asyncio.Task[None] | None = None

    async def note(self, user_id: UUID) -> None:
        if not self._recent.claim(user_id):
            return
        if self._gathered is None:
            self._gathered = asyncio.get_running_loop().create_future()
            # A batch whose requests were all cancelled still resolves; nobody else reads its error.
            self._gathered.add_done_callback(lambda written: written.cancelled() or written.exception())
        written = self._gathered
        self._gathering.append(user_id)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_batches())
        # Shielded: one cancelled request must not cancel the batch the others are waiting for.
        await asyncio.shield(written)

    async def _write_batches(self) -> None:
        try:
            while self._gathering and self._gathered is not None:
                user_ids, self._gathering = self._gathering, []
                written, self._gathered = self._gathered, None
                try:
                    await self._write(user_ids)
                except Exception as error:
                    written.set_exception(error)
                else:
                    written.set_result(None)
        finally:
            self._writer = None

    async def _write(self, user_ids: list[UUID]) -> None:
        expiry = int(ACTIVITY_INTERVAL.total_seconds())
        async with self._redis.pipeline(transaction=False) as pipeline:
            for user_id in user_ids:
                pipeline.set(f"{self._key_prefix}:active:{user_id}", b"1", ex=expiry, nx=True)
            first_in_interval = await pipeline.execute()
        due = [user_id for user_id, first in zip(user_ids, first_in_interval, strict=True) if first]
        if not due:
            return
        async with self._database.unit_of_work() as uow:
            await bump_last_active(uow.connection, due, now=datetime.now(UTC), min_interval=ACTIVITY_INTERVAL)
