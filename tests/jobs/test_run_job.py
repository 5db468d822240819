"""`python -m workers.run_job <job> [--now ISO]`: any periodic job, once, by name (workers/run_job.py)."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from db.unit_of_work import EngineDatabase
from tests.jobs.scheduling_support import (
    add_goal,
    add_user,
    notices,
)
from tests.support.database import REPO_ROOT
from tests.support.rows import utc
from workers.run_job import periodic_jobs

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


def test_every_periodic_job_of_the_registry_can_be_run_by_name() -> None:
    assert {"reminders.tick", "checkins.prompts", "reminders.morning", "engagement.reengage"} <= set(
        periodic_jobs()
    )


async def test_the_command_runs_the_job_for_the_given_instant_and_prints_what_it_did(
    committed_database: EngineDatabase,
) -> None:
    # Given a committed reminder due at 18:00 in New York
    async with committed_database.unit_of_work() as uow:
        user_id = await add_user(uow.connection, timezone="America/New_York")
        await add_goal(uow.connection, user_id, now=DUE - timedelta(hours=12))

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
    async with committed_database.unit_of_work() as uow:
        assert len(await notices(uow.connection)) == 1


async def test_an_unknown_job_name_is_refused_with_the_list_of_jobs() -> None:
    code, _, stderr = await run_job_command("reminders.nope")
    assert code == 2
    assert "reminders.tick" in stderr
