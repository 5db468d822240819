"""The per-run batch hook (workers/batch_progress.py `on_each_batch`): called once after each batch of
`run_locked_batches` that commits, never for a run that finds the job's lock taken, and nothing at all
when no hook is set (the scheduler's runs). `python -m workers.run_job` hangs its progress bar on it."""

from __future__ import annotations

import sqlalchemy as sa

from db.job_markers import mark_done
from db.locks import try_job_lock
from db.tables import job_markers
from services.transaction import EngineDatabase, Transaction
from workers.batch_progress import batch_committed, on_each_batch
from workers.periodic_jobs import run_locked_batches

JOB = "test.batch_hook"


class ThreeBatches:
    """A job of three batches: each writes a marker; the first two say there is more."""

    def __init__(self) -> None:
        self.batches = 0

    async def run_batch(self, tx: Transaction) -> bool:
        self.batches += 1
        await mark_done(tx.connection, JOB, "batch", str(self.batches))
        return self.batches < 3


async def markers(database: EngineDatabase) -> list[str]:
    async with database.transaction() as tx:
        rows = await tx.connection.scalars(
            sa.select(job_markers.c.period_key).where(job_markers.c.job_name == JOB)
        )
        return sorted(rows)


async def test_the_hook_is_called_once_after_each_committed_batch(
    committed_database: EngineDatabase,
) -> None:
    # Given a job whose batches say "more" twice, then "done"
    job = ThreeBatches()
    seen: list[int] = []

    # When it runs with a hook
    with on_each_batch(lambda: seen.append(job.batches)):
        finished = await run_locked_batches(committed_database, JOB, job.run_batch)

    # Then the hook was called three times, each after its batch (the last one included), all committed
    assert finished
    assert seen == [1, 2, 3]
    assert await markers(committed_database) == ["1", "2", "3"]


async def test_without_a_hook_the_batches_run_the_same(committed_database: EngineDatabase) -> None:
    # Given the same job, run as the scheduler runs it: no hook
    job = ThreeBatches()

    # When it runs (and a stray report of a batch comes with nobody watching)
    finished = await run_locked_batches(committed_database, JOB, job.run_batch)
    batch_committed()

    # Then every batch ran and committed
    assert finished
    assert await markers(committed_database) == ["1", "2", "3"]


async def test_a_run_that_finds_the_lock_taken_reports_no_batch(committed_database: EngineDatabase) -> None:
    # Given another run holding the job's lock
    job = ThreeBatches()
    seen: list[int] = []
    async with committed_database.transaction() as other:
        assert await try_job_lock(other.connection, JOB)

        # When a run starts beside it, with a hook
        with on_each_batch(lambda: seen.append(job.batches)):
            finished = await run_locked_batches(committed_database, JOB, job.run_batch)

    # Then it stopped before any batch, and the hook was never called
    assert not finished
    assert (job.batches, seen) == (0, [])


async def test_the_hook_ends_with_its_block(committed_database: EngineDatabase) -> None:
    # Given a hook set for one run only
    seen: list[str] = []
    with on_each_batch(lambda: seen.append("first run")):
        await run_locked_batches(committed_database, JOB, ThreeBatches().run_batch)

    # When another job runs after the block
    async with committed_database.transaction() as tx:
        await tx.connection.execute(sa.delete(job_markers).where(job_markers.c.job_name == JOB))
    await run_locked_batches(committed_database, JOB, ThreeBatches().run_batch)

    # Then only the first run's batches reached the hook
    assert seen == ["first run"] * 3
