"""Periodic jobs: the one way to declare a cron, what a job receives, how it runs and what it logs.

    @periodic_job("reminders.tick", "* * * * *")
    async def tick_reminders(context: JobContext, now: datetime) -> Mapping[str, int]: ...

A job does its work for the instant `now` (tests and the operator command pass any instant) and
returns what it counted. `periodic_job` registers it in `PERIODIC_JOBS` and declares the scheduler's
actor for it; `python -m workers.run_job` lists and runs the same registry. Every run, from the
scheduler or by hand, leaves one log line with its counts and duration (`run_logged`).

Crons are UTC. A job that must not run twice at once takes its advisory lock in every transaction
(`run_locked_batches`); the push jobs rely on row claims (`FOR UPDATE SKIP LOCKED`) instead, since two
overlapping runs there should share the work rather than have one of them stop. A batch whose
transaction PostgreSQL aborts as a deadlock or serialization failure runs once more in a new one
(services/transaction.py `retry_conflict_once`), logged as a warning and counted in the run's line as
`retried_after_conflict`; a second failure fails the run.

`run_locked_batches` reports each committed batch to workers/batch_progress.py, which an operator
command can follow (the scheduler's runs set no hook).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol, TypeVar

import redis.asyncio as aioredis

from db.locks import try_job_lock
from services.ai.model import NO_MODEL, TextModel
from services.metrics import record_job_counts
from services.transaction import Database, Transaction, retry_conflict_once
from settings import Settings
from workers.actor import scheduled_actor
from workers.batch_progress import batch_committed
from workers.resources import WorkerResources

logger = logging.getLogger("workers.jobs")

# A periodic run that has not finished before the next minute's tick is stuck, not busy: the next
# tick catches up from the due index anyway.
PERIODIC_TIME_LIMIT_MS: Final = 55_000
# The count every job's run shares without each job keeping it: batches run again after a conflict.
RETRIED_AFTER_CONFLICT: Final = "retried_after_conflict"
# What `run_logged` adds to the counts of the run in progress (in this task and those it starts).
_run_counts: ContextVar[Counter[str] | None] = ContextVar("periodic_job_run_counts", default=None)


@dataclass(frozen=True, slots=True)
class JobContext:
    """What every job needs: transactions (which send their messages after commit), Redis, the settings."""

    database: Database
    redis: aioredis.Redis
    settings: Settings
    # Templates only unless the worker was given a model (services/ai/client.py).
    ai: TextModel = NO_MODEL

    @property
    def stale_after(self) -> timedelta:
        """Timed notices later than this are dropped rather than sent out of context (§3.11)."""
        return timedelta(minutes=self.settings.reminder_stale_after_minutes)


class PeriodicJob(Protocol):
    async def __call__(self, context: JobContext, now: datetime) -> Mapping[str, int]: ...


JobT = TypeVar("JobT", bound=PeriodicJob)


@dataclass(frozen=True, slots=True)
class RegisteredJob:
    name: str
    cron: str
    queue: str
    job: PeriodicJob

    @property
    def summary(self) -> str:
        """The first line of the job's docstring, for `run_job --list`."""
        doc = (self.job.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


PERIODIC_JOBS: dict[str, RegisteredJob] = {}


def periodic_job(
    name: str, cron: str, *, queue: str = "default", time_limit_ms: int = PERIODIC_TIME_LIMIT_MS
) -> Callable[[JobT], JobT]:
    """Register `job` under `name` and declare the scheduler's actor that runs it on `cron` (UTC)."""

    def register(job: JobT) -> JobT:
        if name in PERIODIC_JOBS:
            raise ValueError(f"periodic job {name!r} is declared twice")
        PERIODIC_JOBS[name] = RegisteredJob(name, cron, queue, job)

        async def run_periodic_job() -> None:
            context = worker_job_context()
            await run_logged(name, lambda: job(context, datetime.now(UTC)))

        # Named after the job, so the scheduler's and the worker's logs point at its module.
        run_periodic_job.__module__ = job.__module__
        run_periodic_job.__qualname__ = getattr(job, "__qualname__", name)
        scheduled_actor(name, cron, queue=queue, time_limit_ms=time_limit_ms)(run_periodic_job)
        return job

    return register


def is_stale(due_at: datetime, *, now: datetime, bound: timedelta) -> bool:
    """More than `bound` late: dropped, not sent (exactly the bound late is still sent, §3.11)."""
    return now - due_at > bound


def job_line(name: str, counts: Mapping[str, int], duration_s: float) -> str:
    """The one structured (logfmt) line a run leaves: `job=reminders.tick duration_ms=3.1 claimed=0`."""
    fields = " ".join(f"{key}={value}" for key, value in sorted(counts.items()))
    return f"job={name} duration_ms={duration_s * 1000:.1f} {fields}".rstrip()


async def run_logged(
    name: str, work: Callable[[], Awaitable[Mapping[str, int]]]
) -> tuple[Mapping[str, int], str]:
    """Run one job (or chunk) and log its counts and duration in one line; returns both, with
    `retried_after_conflict` when a batch had to run again."""
    started = time.perf_counter()
    added: Counter[str] = Counter()
    token = _run_counts.set(added)
    try:
        counts = await work()
    finally:
        _run_counts.reset(token)
    if added:
        counts = {**counts, **added}
    record_job_counts(name, counts)
    line = job_line(name, counts, time.perf_counter() - started)
    logger.info(line)
    return counts, line


def worker_job_context() -> JobContext:
    """The context inside a booted worker (or an operator command that opened the same resources)."""
    resources = WorkerResources.current()
    return JobContext(resources.database, resources.redis, resources.settings, resources.ai)


async def run_locked_batches(
    database: Database, job_name: str, run_batch: Callable[[Transaction], Awaitable[bool]]
) -> bool:
    """Call `run_batch` in one short transaction after another, each under the job's advisory lock,
    until it returns False (nothing more to do), calling `batch_committed` after each. Returns False
    when another run holds the lock: that run is doing the same work, so this one stops (an
    overlapping tick does nothing).

    A batch PostgreSQL aborts as a deadlock or serialization failure runs once more in a new
    transaction (counted as `retried_after_conflict`); `run_batch` takes its counts after its last
    statement, so the aborted try counts nothing (services/transaction.py `retry_conflict_once`)."""

    async def locked_batch(tx: Transaction) -> bool | None:
        if not await try_job_lock(tx.connection, job_name):
            return None
        return await run_batch(tx)

    while True:
        more = await retry_conflict_once(
            database, locked_batch, what=f"job {job_name}", on_retry=_count_conflict_retry
        )
        if more is None:
            return False
        batch_committed()
        if not more:
            return True


def _count_conflict_retry() -> None:
    counts = _run_counts.get()
    if counts is not None:
        counts[RETRIED_AFTER_CONFLICT] += 1
