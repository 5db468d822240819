"""Periodic jobs as plain functions: what they receive, how actors and operators run them, their log line.

A job is `async def job(context: JobContext, now: datetime) -> Mapping[str, int]`: it does its work
for the instant `now` (tests and the operator command pass any instant) and returns what it counted.
Each job module lists its jobs in `PERIODIC_JOBS` (actor name → job function); `workers/run_job.py`
finds them through `workers.registry`, and `periodic_actor` turns one into the scheduler's actor.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import dramatiq

from db.locks import try_job_lock
from db.unit_of_work import Database, UnitOfWork
from settings import Settings
from workers.actor import house_actor
from workers.enqueue import Enqueuer
from workers.resources import WorkerResources

logger = logging.getLogger("workers.jobs")

# A periodic run that has not finished before the next minute's tick is stuck, not busy: the next
# tick catches up from the due index anyway.
PERIODIC_TIME_LIMIT_MS = 55_000


@dataclass(frozen=True, slots=True)
class JobContext:
    """What every job needs: units of work, a way to send messages after commit, the settings."""

    database: Database
    enqueuer: Enqueuer
    settings: Settings

    @property
    def stale_after(self) -> timedelta:
        """Timed notices later than this are dropped rather than sent out of context (§3.11)."""
        return timedelta(minutes=self.settings.reminder_stale_after_minutes)


def is_stale(due_at: datetime, *, now: datetime, bound: timedelta) -> bool:
    """More than `bound` late: dropped, not sent (exactly the bound late is still sent, §3.11)."""
    return now - due_at > bound


class PeriodicJob(Protocol):
    async def __call__(self, context: JobContext, now: datetime) -> Mapping[str, int]: ...


def job_line(name: str, counts: Mapping[str, int], duration_s: float) -> str:
    """The one structured (logfmt) line a run leaves: `job=reminders.tick duration_ms=3.1 claimed=0`."""
    fields = " ".join(f"{key}={value}" for key, value in sorted(counts.items()))
    return f"job={name} duration_ms={duration_s * 1000:.1f} {fields}".rstrip()


async def run_logged(
    name: str, work: Callable[[], Awaitable[Mapping[str, int]]]
) -> tuple[Mapping[str, int], str]:
    """Run one job (or chunk) and log its counts and duration in one line; returns both."""
    started = time.perf_counter()
    counts = await work()
    line = job_line(name, counts, time.perf_counter() - started)
    logger.info(line)
    return counts, line


def worker_job_context() -> JobContext:
    """The context inside a booted worker: its engine, the global broker, its settings."""
    resources = WorkerResources.current()
    return JobContext(resources.database, Enqueuer(dramatiq.get_broker()), resources.settings)


def periodic_actor(name: str, cron: str, job: PeriodicJob) -> dramatiq.Actor[[], None]:
    """The scheduler's actor for `job`: runs it once for the current instant, never retried (the next
    tick catches up from the due index)."""

    async def run_periodic_job() -> None:
        context = worker_job_context()
        await run_logged(name, lambda: job(context, datetime.now(UTC)))

    declare = house_actor(name, periodic=cron, max_retries=0, time_limit_ms=PERIODIC_TIME_LIMIT_MS)
    return declare(run_periodic_job)


async def run_locked_batches(
    database: Database, job_name: str, run_batch: Callable[[UnitOfWork], Awaitable[bool]]
) -> bool:
    """Call `run_batch` in one short transaction after another, each under the job's advisory lock,
    until it returns False (nothing more to do). Returns False when another run holds the lock: that
    run is doing the same work, so this one stops (an overlapping tick does nothing)."""
    while True:
        async with database.unit_of_work() as uow:
            if not await try_job_lock(uow.connection, job_name):
                return False
            more = await run_batch(uow)
        if not more:
            return True
