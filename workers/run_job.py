"""Run one periodic job once, by name: `python -m workers.run_job <job-name> [--now ISO]`.

For operators (catch up by hand, replay an instant) and tests. The job runs exactly as its periodic
actor would: same function, same advisory lock, same after-commit messages (sent through REDIS_URL,
so the deployment's workers pick up reminder chunks and pushes). It prints its one log line. Jobs are
found in the `PERIODIC_JOBS` of every module `workers.registry` imports.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import ModuleType

import workers.registry
from db.engine import create_engine
from db.unit_of_work import EngineDatabase
from settings import get_settings
from workers.broker import broker
from workers.enqueue import Enqueuer
from workers.periodic_jobs import JobContext, PeriodicJob, run_logged


def periodic_jobs() -> dict[str, PeriodicJob]:
    """Every periodic job of the registered actor modules, by actor name."""
    jobs: dict[str, PeriodicJob] = {}
    for module in vars(workers.registry).values():
        if isinstance(module, ModuleType):
            jobs.update(getattr(module, "PERIODIC_JOBS", {}))
    return jobs


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; one without an offset is read as UTC."""
    instant = datetime.fromisoformat(text)
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


async def run_job(name: str, now: datetime) -> tuple[Mapping[str, int], str]:
    """Run the job `name` once for the instant `now` with a fresh engine; returns its counts and line."""
    job = periodic_jobs()[name]
    settings = get_settings()
    engine = create_engine(settings.database_url, process_name="run-job", pool_size=2, max_overflow=0)
    try:
        context = JobContext(EngineDatabase(engine), Enqueuer(broker), settings)
        return await run_logged(name, lambda: job(context, now))
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    jobs = sorted(periodic_jobs())
    parser = argparse.ArgumentParser(
        prog="python -m workers.run_job", description="Run one periodic job once."
    )
    parser.add_argument("job", choices=jobs, metavar="job-name", help="one of: " + ", ".join(jobs))
    parser.add_argument("--now", type=parse_instant, help="the instant to run for (ISO 8601, default: now)")
    arguments = parser.parse_args(argv)
    _, line = asyncio.run(run_job(arguments.job, arguments.now or datetime.now(UTC)))
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
