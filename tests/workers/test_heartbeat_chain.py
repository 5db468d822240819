"""The scheduler process, Redis, a worker process and PostgreSQL work together."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa

from db.tables import job_markers
from services.transaction import EngineDatabase
from tests.support.processes import running, scheduler_command, worker_command

# periodiq fires a every-minute job at start, unless it starts in a minute's last 5 s (then it waits).
CHAIN_DEADLINE_SECONDS = 90


async def heartbeat_rows(database: EngineDatabase) -> int:
    async with database.transaction() as tx:
        result = await tx.connection.execute(
            sa.select(sa.func.count())
            .select_from(job_markers)
            .where(job_markers.c.job_name == "system.heartbeat")
        )
        return int(result.scalar_one())


async def test_periodic_heartbeat_travels_scheduler_redis_worker_postgres(
    committed_database: EngineDatabase, tmp_path: Path
) -> None:
    # Given no heartbeat recorded yet
    assert await heartbeat_rows(committed_database) == 0
    # When the scheduler and a worker run as the Procfile runs them
    with (
        running(worker_command(), log=tmp_path / "worker.log"),
        running(scheduler_command(), log=tmp_path / "scheduler.log"),
    ):
        for _ in range(CHAIN_DEADLINE_SECONDS * 2):
            if await heartbeat_rows(committed_database) > 0:
                break
            await asyncio.sleep(0.5)
    # Then the worker wrote the heartbeat row the scheduler asked for
    logs = (tmp_path / "scheduler.log").read_text() + (tmp_path / "worker.log").read_text()
    assert await heartbeat_rows(committed_database) == 1, logs
