"""system.prune_job_markers: markers older than a week go, in batches; newer ones stay."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import job_markers
from tests.support.rows import utc
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.job_markers import MARKER_RETENTION, prune_job_markers

NOW = utc("2025-06-10T04:30")


async def test_markers_older_than_the_retention_are_deleted_across_batches(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given 1,200 markers past the retention (more than two batches) and 3 within it
    old = [
        {
            "job_name": "system.heartbeat",
            "scope_key": "scheduler",
            "period_key": f"old-{index}",
            "done_at": NOW - MARKER_RETENTION - timedelta(minutes=index + 1),
        }
        for index in range(1_200)
    ]
    recent = [
        {
            "job_name": "checkins.precreate",
            "scope_key": "UTC",
            "period_key": f"new-{index}",
            "done_at": NOW - MARKER_RETENTION + timedelta(minutes=index + 1),
        }
        for index in range(3)
    ]
    await connection.execute(sa.insert(job_markers), old + recent)

    # When the job runs
    deleted = await prune_job_markers(database, now=NOW)

    # Then only the old ones are gone
    assert deleted == 1_200
    left = await connection.execute(sa.select(job_markers.c.period_key).order_by(job_markers.c.period_key))
    assert left.scalars().all() == ["new-0", "new-1", "new-2"]
