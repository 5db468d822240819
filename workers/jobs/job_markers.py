"""Retention of job markers (`system.prune_job_markers`, daily at 04:30 UTC).

A marker only matters while its period can still come round: the day-start job asks about each zone's
current local date, and the heartbeat leaves one marker a minute as a trace. A week covers every
local date that is still "today" somewhere, with days to spare for an operator reading the trace.
Batches of 500, oldest first, each in its own short transaction under the job's lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final

from db.job_markers import delete_markers_done_before
from services.transaction import Database, Transaction
from workers.periodic_jobs import JobContext, periodic_job, run_locked_batches

PRUNE_MARKERS_JOB: Final = "system.prune_job_markers"
MARKER_RETENTION: Final = timedelta(days=7)
PRUNE_BATCH_SIZE: Final = 500


async def prune_job_markers(database: Database, *, now: datetime) -> int:
    """Delete markers older than MARKER_RETENTION; returns how many went (0 when another run holds
    the lock)."""
    deleted = 0

    async def delete_batch(tx: Transaction) -> bool:
        nonlocal deleted
        batch = await delete_markers_done_before(
            tx.connection, now - MARKER_RETENTION, limit=PRUNE_BATCH_SIZE
        )
        deleted += batch
        return batch == PRUNE_BATCH_SIZE

    await run_locked_batches(database, PRUNE_MARKERS_JOB, delete_batch)
    return deleted


@periodic_job(PRUNE_MARKERS_JOB, "30 4 * * *")
async def prune_job_markers_job(context: JobContext, now: datetime) -> Mapping[str, int]:
    """Delete job markers older than a week, 500 per transaction."""
    return {"deleted": await prune_job_markers(context.database, now=now)}
