"""A periodic job whose only work is to prove scheduler → Redis → worker → PostgreSQL works."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from db.job_markers import mark_done
from services.transaction import Database
from workers.periodic_jobs import JobContext, periodic_job

HEARTBEAT_JOB = "system.heartbeat"


async def record_heartbeat(database: Database, now: datetime) -> bool:
    async with database.transaction() as tx:
        return await mark_done(tx.connection, HEARTBEAT_JOB, "scheduler", now.strftime("%Y-%m-%dT%H:%M"))


@periodic_job(HEARTBEAT_JOB, "* * * * *")
async def heartbeat(context: JobContext, now: datetime) -> Mapping[str, int]:
    """Record this minute's marker: the scheduler, the broker and a worker are alive."""
    return {"recorded": int(await record_heartbeat(context.database, now))}
