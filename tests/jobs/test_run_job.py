"""`python -m workers.run_job <job> [--now ISO]`: any periodic job, once, by name (workers/run_job.py)."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

import workers.registry  # noqa: F401  (declares every actor)
from services.transaction import EngineDatabase
from tests.jobs.scheduling_support import (
    add_goal,
    add_user,
    notices,
)
from tests.support.database import REPO_ROOT
from tests.support.rows import utc
from workers.broker import broker
from workers.periodic_jobs import PERIODIC_JOBS

DUE = utc("2025-06-10T22:00")


async def run_job_command(*arguments: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers.run_job",
        *arguments,
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def test_every_actor_the_scheduler_fires_is_a_registered_job() -> None:
    scheduled = {
        name for name in broker.get_declared_actors() if broker.get_actor(name).options.get("periodic")
    }
    assert scheduled == set(PERIODIC_JOBS)
    assert {"reminders.tick", "push.receipts", "push.sweep", "push.prune", "system.heartbeat"} <= scheduled


async def test_the_list_shows_every_periodic_job_with_its_cron() -> None:
    code, stdout, stderr = await run_job_command("--list")
    assert code == 0, stderr
    listed = {line.split()[0]: line.split()[1] for line in stdout.splitlines()}
    assert listed == {name: job.cron.split()[0] for name, job in PERIODIC_JOBS.items()}


async def test_the_command_runs_the_job_for_the_given_instant_and_prints_what_it_did(
    committed_database: EngineDatabase,
) -> None:
    # Given a committed reminder due at 18:00 in New York
    async with committed_database.transaction() as tx:
        user_id = await add_user(tx.connection, timezone="America/New_York")
        await add_goal(tx.connection, user_id, now=DUE - timedelta(hours=12))

    # When an operator runs the tick for that instant, twice
    first = await run_job_command("reminders.tick", "--now", "2025-06-10T22:00:30+00:00")
    second = await run_job_command("reminders.tick", "--now", "2025-06-10T22:00:40")

    # Then the first sent the reminder and said so in one line; the second found nothing due
    assert first[0] == 0, first[2]
    assert first[1].startswith("job=reminders.tick duration_ms=")
    assert "due=1" in first[1]
    assert "notified=1" in first[1]
    assert second[0] == 0, second[2]
    assert "due=0" in second[1]
    async with committed_database.transaction() as tx:
        assert len(await notices(tx.connection)) == 1


async def test_an_unknown_job_name_is_refused_with_the_list_of_jobs() -> None:
    code, _, stderr = await run_job_command("reminders.nope")
    assert code == 2
    assert "reminders.tick" in stderr
