"""cleanup_expired_refresh_tokens (§4): delete refresh tokens past expires_at, daily at 04:15 UTC.

Keyset batches of 500 over (expires_at, id), each in its own short transaction under the job lock, so
the job never holds locks for long and an overlapping run stops at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from db.refresh_tokens import ExpiredPosition, delete_expired_batch
from services.transaction import Database, Transaction
from workers.periodic_jobs import JobContext, periodic_job, run_locked_batches

PRUNE_JOB = "auth.prune_refresh_tokens"
PRUNE_BATCH_SIZE = 500


async def prune_expired_refresh_tokens(database: Database, *, now: datetime) -> int:
    """Delete every refresh token that expired before `now`; returns how many were deleted (0 when
    another run holds the lock)."""
    deleted_total = 0
    position: ExpiredPosition | None = None

    async def delete_batch(tx: Transaction) -> bool:
        nonlocal deleted_total, position
        deleted, position = await delete_expired_batch(
            tx.connection, now=now, after=position, limit=PRUNE_BATCH_SIZE
        )
        deleted_total += deleted
        return deleted == PRUNE_BATCH_SIZE

    await run_locked_batches(database, PRUNE_JOB, delete_batch)
    return deleted_total


@periodic_job(PRUNE_JOB, "15 4 * * *")
async def cleanup_expired_refresh_tokens(context: JobContext, now: datetime) -> Mapping[str, int]:
    """Delete refresh tokens past their expiry, 500 per transaction."""
    return {"deleted": await prune_expired_refresh_tokens(context.database, now=now)}
