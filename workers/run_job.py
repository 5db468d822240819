"""Run one periodic job once, by name: `python -m workers.run_job <job-name> [--now ISO]`, or list
them all: `python -m workers.run_job --list`.

For operators (catch up by hand, replay an instant) and tests. The job runs exactly as its periodic
actor would: same function, same advisory lock, same resources (opened for this run and closed after
it), same after-commit messages (sent through REDIS_URL, so the deployment's workers pick up reminder
chunks and pushes). It prints its one log line. Every job declared with `periodic_job` in a module
that `workers.registry` imports is here, the push jobs and the heartbeat included.

On a terminal, a progress bar on stderr counts the run's committed batches (`on_each_batch`,
services/progress.py) and is gone when the run ends, so stdout holds the log line alone.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import workers.registry  # noqa: F401  (imports every job module, which registers its jobs)
from services.progress import counter
from settings import get_settings
from workers.batch_progress import on_each_batch
from workers.broker import broker
from workers.periodic_jobs import PERIODIC_JOBS, run_logged, worker_job_context
from workers.resources import WorkerResources

# One job at a time: a small pool is plenty, and the command must not crowd a busy database.
POOL_SIZE = 2


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; one without an offset is read as UTC."""
    instant = datetime.fromisoformat(text)
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


async def run_job(name: str, now: datetime) -> tuple[Mapping[str, int], str]:
    """Run the job `name` once for the instant `now`; returns its counts and log line."""
    job = PERIODIC_JOBS[name].job
    WorkerResources.open(get_settings(), broker, process_name="run-job", pool_size=POOL_SIZE)
    try:
        context = worker_job_context()
        with counter(what=name, unit="batch") as tick, on_each_batch(tick):
            return await run_logged(name, lambda: job(context, now))
    finally:
        await WorkerResources.close()


def job_table() -> str:
    """One line per job: name, cron (UTC), queue and what it does."""
    width = max(len(name) for name in PERIODIC_JOBS)
    return "\n".join(
        f"{job.name:<{width}}  {job.cron:<13}  {job.queue:<9}  {job.summary}"
        for job in sorted(PERIODIC_JOBS.values(), key=lambda job: job.name)
    )


def main(argv: Sequence[str] | None = None) -> int:
    names = sorted(PERIODIC_JOBS)
    parser = argparse.ArgumentParser(
        prog="python -m workers.run_job", description="Run one periodic job once, or list them."
    )
    parser.add_argument(
        "job", nargs="?", choices=names, metavar="job-name", help="one of: " + ", ".join(names)
    )
    parser.add_argument("--now", type=parse_instant, help="the instant to run for (ISO 8601, default: now)")
    parser.add_argument("--list", action="store_true", help="list every periodic job with its cron")
    arguments = parser.parse_args(argv)
    if arguments.list:
        print(job_table())
        return 0
    if arguments.job is None:
        parser.error("name a job, or use --list")
    _, line = asyncio.run(run_job(arguments.job, arguments.now or datetime.now(UTC)))
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
