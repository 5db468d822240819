"""achievements.account_age: the daily sweep evaluates the users near an account-age threshold
(workers/jobs/achievements.py, §3.7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from settings import Settings
from tests.jobs.scheduling_support import add_user, job_context, notices
from tests.services.achievements_support import unlock_metadata, unlocked_keys
from tests.support.rows import utc
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs import achievements
from workers.jobs.achievements import check_account_age_achievements

RUN_AT = utc("2025-06-11T04:30")


async def test_users_at_a_threshold_unlock_their_account_badge_once(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given users created exactly 30 days ago, 31 days ago (yesterday's run was missed), 45 days ago
    # (between thresholds: they were evaluated when they passed 30) and 90 days ago (in Auckland)
    at_30 = await add_user(connection, created_at=RUN_AT - timedelta(days=30))
    at_31 = await add_user(connection, created_at=RUN_AT - timedelta(days=31, hours=2))
    at_45 = await add_user(connection, created_at=RUN_AT - timedelta(days=45))
    at_90 = await add_user(connection, timezone="Pacific/Auckland", created_at=RUN_AT - timedelta(days=90))

    # When the sweep runs twice
    first = await check_account_age_achievements(job_context(database, settings), RUN_AT)
    second = await check_account_age_achievements(job_context(database, settings), RUN_AT)

    # Then the users at a threshold have their badges, each announced once; the others were not read
    assert await unlocked_keys(connection, at_30) == ["account_30"]
    assert await unlocked_keys(connection, at_31) == ["account_30"]
    assert await unlocked_keys(connection, at_45) == []
    assert await unlocked_keys(connection, at_90) == ["account_30", "account_90"]
    assert (first["users_checked"], first["unlocked"]) == (3, 4)
    assert (second["users_checked"], second["unlocked"]) == (3, 0)
    assert len(await notices(connection, "achievement")) == 4
    metadata = await unlock_metadata(connection, at_90, "account_90")
    assert (metadata["account_age"], metadata["source_type"]) == (90, "account_age")


async def test_a_window_is_walked_in_batches(
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given seven users created 30 days ago, a minute apart, and batches of 3
    monkeypatch.setattr(achievements, "BATCH_SIZE", 3)
    users = [
        await add_user(connection, created_at=RUN_AT - timedelta(days=30, minutes=minute))
        for minute in range(7)
    ]

    # When the sweep runs
    counts = await check_account_age_achievements(job_context(database, settings), RUN_AT)

    # Then every one of them was evaluated once
    assert (counts["users_checked"], counts["unlocked"]) == (7, 7)
    for user in users:
        assert await unlocked_keys(connection, user) == ["account_30"]
