"""A periodic job's batch that PostgreSQL aborts as a deadlock runs once more in a new transaction,
counted in the run's line; a second abort fails the run (workers/periodic_jobs.py run_locked_batches,
services/transaction.py retry_conflict_once). The deadlocks are real ones, between two connections."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from uuid import UUID

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.tables import users
from services.transaction import EngineDatabase, Transaction, is_transaction_conflict
from tests.support.rows import insert_user_row
from workers.periodic_jobs import RETRIED_AFTER_CONFLICT, run_locked_batches, run_logged

JOB = "test.conflict_retry"


async def lock(connection: AsyncConnection, user_id: UUID) -> None:
    await connection.execute(sa.select(users.c.id).where(users.c.id == user_id).with_for_update())


async def another_writer(engine: AsyncEngine, first: UUID, second: UUID, waiting: asyncio.Queue[int]) -> None:
    """Holds `second`, then waits for `first`; its deadlock check comes late (10 s against the default
    1 s), so in the deadlock it is the batch's transaction that PostgreSQL aborts."""
    async with engine.connect() as other, other.begin():
        await other.execute(sa.text("SET LOCAL deadlock_timeout = '10s'"))
        await lock(other, second)
        await waiting.put(await other.scalar(sa.text("SELECT pg_backend_pid()")))
        await lock(other, first)


async def until_waiting_for_a_lock(engine: AsyncEngine, pid: int) -> None:
    async with engine.connect() as watcher:
        for _ in range(1000):
            waits = await watcher.scalar(
                sa.text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid},
            )
            if waits:
                return
            await asyncio.sleep(0.01)
    raise AssertionError("the other writer never waited for the batch's row")


class DeadlockingJob:
    """A job of one batch that locks two users' rows; its first `deadlocks` tries meet another writer
    that locks them in the opposite order."""

    def __init__(self, database: EngineDatabase, engine: AsyncEngine, deadlocks: int) -> None:
        self.database, self.engine, self.deadlocks = database, engine, deadlocks
        self.tries = 0
        self.writers: list[asyncio.Task[None]] = []

    async def run_batch(self, tx: Transaction) -> bool:
        self.tries += 1
        first, second = self.rows
        await lock(tx.connection, first)
        if self.tries <= self.deadlocks:
            waiting: asyncio.Queue[int] = asyncio.Queue()
            self.writers.append(asyncio.create_task(another_writer(self.engine, first, second, waiting)))
            await until_waiting_for_a_lock(self.engine, await waiting.get())
        await lock(tx.connection, second)
        return False

    async def run(self) -> Mapping[str, int]:
        async with self.database.transaction() as tx:
            self.rows = (await insert_user_row(tx.connection), await insert_user_row(tx.connection))
        await run_locked_batches(self.database, JOB, self.run_batch)
        return {"tries": self.tries}


async def test_a_deadlocked_batch_runs_once_more_and_is_counted(
    committed_database: EngineDatabase, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a job whose batch meets a real deadlock on its first try
    job = DeadlockingJob(committed_database, engine, deadlocks=1)

    # When it runs as the scheduler runs it
    with caplog.at_level(logging.WARNING):
        counts, line = await run_logged(JOB, job.run)
    await asyncio.gather(*job.writers)

    # Then the batch ran twice, the second time to its end, and the run counted the retry
    assert counts == {"tries": 2, RETRIED_AFTER_CONFLICT: 1}
    assert f"{RETRIED_AFTER_CONFLICT}=1" in line
    assert any(
        record.levelno == logging.WARNING and "running it once more" in record.getMessage()
        for record in caplog.records
    )


async def test_a_second_deadlock_fails_the_run(
    committed_database: EngineDatabase, engine: AsyncEngine
) -> None:
    # Given a job whose batch meets a real deadlock on both tries
    job = DeadlockingJob(committed_database, engine, deadlocks=2)

    # When it runs, then the second abort propagates: a batch is run again once, not forever
    with pytest.raises(DBAPIError) as raised:
        await run_logged(JOB, job.run)
    await asyncio.gather(*job.writers)
    assert is_transaction_conflict(raised.value)
    assert job.tries == 2
