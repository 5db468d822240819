"""A periodic actor whose only job is to prove scheduler → Redis → worker → PostgreSQL works."""

from __future__ import annotations

from datetime import UTC, datetime

from db.job_markers import mark_done
from db.unit_of_work import Database
from workers.actor import house_actor
from workers.resources import WorkerResources

HEARTBEAT_JOB = "heartbeat"


async def record_heartbeat(database: Database, now: datetime) -> bool:
    async with database.unit_of_work() as uow:
        return await mark_done(uow.connection, HEARTBEAT_JOB, "scheduler", now.strftime("%Y-%m-%dT%H:%M"))


@house_actor("system.heartbeat", periodic="* * * * *", max_retries=0)
async def heartbeat() -> None:
    await record_heartbeat(WorkerResources.current().database, datetime.now(UTC))
