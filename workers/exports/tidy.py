"""The exports' housekeeping: re-enqueue builds that went missing, give up on those that keep failing,
and delete exports whose links have expired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from db import data_exports as exports
from services.addresses import EXPORTS_BUILD
from services.export_links import LINK_LIFETIME
from services.transaction import Database
from workers.batch_progress import batch_committed

# Well beyond the build's time limit: a pending export untouched this long lost its message or its
# worker (Dramatiq's own retries touch it on every attempt).
STUCK_AFTER: Final = timedelta(minutes=15)
# Dramatiq retries a failing build 3 times per message; this many counted attempts means the export
# fails whatever the cause, and the user may ask again the next day.
MAX_ATTEMPTS: Final = 5
# A link expires LINK_LIFETIME after its export completed, and a build completes (or fails) within
# hours of the request: a day more than the lifetime outlives every link.
DELETE_AFTER: Final = LINK_LIFETIME + timedelta(days=1)
BATCH: Final = 200


@dataclass(frozen=True, slots=True)
class TidyReport:
    enqueued: int
    failed: int
    deleted: int


async def tidy_exports(database: Database, *, now: datetime) -> TidyReport:
    async with database.transaction() as tx:
        stuck = await exports.stuck_exports(tx.connection, started_before=now - STUCK_AFTER, limit=BATCH)
        given_up = [export_id for export_id, attempts in stuck if attempts >= MAX_ATTEMPTS]
        retried = [export_id for export_id, attempts in stuck if attempts < MAX_ATTEMPTS]
        if given_up:
            await exports.mark_failed(tx.connection, given_up, now=now)
        if retried:
            await exports.touch(tx.connection, retried, now=now)
        tx.enqueue_many(EXPORTS_BUILD, [(str(export_id),) for export_id in retried])
    deleted = 0
    while True:
        async with database.transaction() as tx:
            batch = await exports.delete_exports_created_before(
                tx.connection, now - DELETE_AFTER, limit=BATCH
            )
        batch_committed()
        deleted += batch
        if batch < BATCH:
            return TidyReport(enqueued=len(retried), failed=len(given_up), deleted=deleted)
