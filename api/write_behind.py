"""Write-behind buffers: a request notes a fact in memory and returns; one background loop of the web
process writes everything noted since its last pass in one set-based statement every FLUSH_SECONDS,
and once more at shutdown (api/app.py runs both).

For counters and stamps whose readers tolerate a second of delay, and the loss of that second when a
process crashes: activity stamps (api/auth/activity.py) and blog views (api/blog/views.py). Awaiting
such a write in the request would put a row lock or a round trip on the hot path of every request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from services.transaction import Database

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0

ItemT = TypeVar("ItemT")


class WriteBehind(Generic[ItemT]):
    """One per web process and kind of fact (see the module doc)."""

    def __init__(
        self,
        database: Database,
        write: Callable[[AsyncConnection, list[ItemT]], Awaitable[None]],
        *,
        what: str,
    ) -> None:
        self._database = database
        self._write = write
        self._what = what
        self._noted: list[ItemT] = []

    def add(self, item: ItemT) -> None:
        self._noted.append(item)

    async def flush(self) -> None:
        """Write what was noted since the last flush; on failure it waits for the next one."""
        if not self._noted:
            return
        items, self._noted = self._noted, []
        try:
            # One statement, sent alone: no BEGIN / COMMIT round trips (Database.single_statement).
            async with self._database.single_statement() as connection:
                await self._write(connection, items)
        except BaseException:
            # Also on cancellation: the writer is cancelled at shutdown, and the final flush then
            # writes these too.
            self._noted.extend(items)
            raise

    async def flush_periodically(self) -> None:
        """The web process's background writer; runs until cancelled."""
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await self.flush()
            except Exception:
                logger.exception("%s not written; retrying at the next flush", self._what)
