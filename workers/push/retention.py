"""Retention of delivery rows: once Expo's receipt window is over they have nothing left to tell.

Keyset batches of 500 by id (never OFFSET over a set being deleted), each in its own short
transaction, so a run can stop anywhere and the next one carries on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from db.push_deliveries import prune_deliveries
from db.unit_of_work import Database
from workers.push.receipts import RECEIPT_LIFETIME

PRUNE_BATCH_SIZE: Final = 500
# The receipt window plus an hour for the receipts job's last pass over it.
DELIVERY_RETENTION: Final = RECEIPT_LIFETIME + timedelta(hours=1)


async def prune_old_deliveries(database: Database, *, now: datetime) -> int:
    """Delete finished delivery rows older than DELIVERY_RETENTION; returns how many went."""
    after: UUID | None = None
    deleted = 0
    while True:
        async with database.unit_of_work() as uow:
            ids = await prune_deliveries(
                uow.connection,
                created_before=now - DELIVERY_RETENTION,
                after_id=after,
                limit=PRUNE_BATCH_SIZE,
            )
        deleted += len(ids)
        if len(ids) < PRUNE_BATCH_SIZE:
            return deleted
        after = ids[-1]
