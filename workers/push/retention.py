"""Retention of delivery rows: once Expo's receipt window is over they have nothing left to tell.

Batches of the 500 oldest prunable rows, each in its own short transaction, so a run can stop
anywhere and the next one carries on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from db.push_deliveries import prune_deliveries
from services.transaction import Database
from workers.batch_progress import batch_committed
from workers.push.receipts import RECEIPT_LIFETIME

PRUNE_BATCH_SIZE: Final = 500
# The receipt window plus an hour for the receipts job's last pass over it.
DELIVERY_RETENTION: Final = RECEIPT_LIFETIME + timedelta(hours=1)


async def prune_old_deliveries(database: Database, *, now: datetime) -> int:
    """Delete finished delivery rows older than DELIVERY_RETENTION; returns how many went."""
    deleted = 0
    while True:
        async with database.transaction() as tx:
            batch = await prune_deliveries(
                tx.connection, created_before=now - DELIVERY_RETENTION, limit=PRUNE_BATCH_SIZE
            )
        batch_committed()
        deleted += batch
        if batch < PRUNE_BATCH_SIZE:
            return deleted
