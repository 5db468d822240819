"""tools/demo_seed.py: the demo account exists after any number of runs and can log in, and only ever in
dev or test."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import accountability_partners, device_tokens, goals, reminder_slots, social_nudges
from tests.support.savepoint_database import SavepointDatabase
from tools.demo_seed import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_PUSH_TOKEN,
    seed_demo_goal_and_device,
    seed_demo_user,
)
from tools.demo_seed_social import seed_demo_partners


async def test_the_demo_account_is_seeded_once_and_can_log_in(
    client: httpx.AsyncClient, database: SavepointDatabase
) -> None:
    # Given the seed run twice
    first = await seed_demo_user(database, now=datetime.now(UTC))
    second = await seed_demo_user(database, now=datetime.now(UTC))
    # When the printed credentials are used
    response = await client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    # Then there is one account, onboarded, in UTC
    assert first == second
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert user["id"] == str(first)
    assert user["onboarding_completed_at"] is not None
    assert user["timezone"] == "UTC"


async def test_the_demo_goal_is_retimed_to_the_next_minute_with_its_slot(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given the demo account seeded at 10:15:30 and again at 11:40:05
    user_id = await seed_demo_user(database, now=datetime(2026, 11, 25, 10, 15, 30, tzinfo=UTC))
    first = await seed_demo_goal_and_device(
        database, user_id, now=datetime(2026, 11, 25, 10, 15, 30, tzinfo=UTC)
    )
    second = await seed_demo_goal_and_device(
        database, user_id, now=datetime(2026, 11, 25, 11, 40, 5, tzinfo=UTC)
    )
    # Then there is one demo goal and one active device, and the reminder slot fires at the next minute
    assert (first, second) == ("10:16", "11:41")
    goal_rows = (await connection.execute(sa.select(goals.c.id).where(goals.c.user_id == user_id))).all()
    assert len(goal_rows) == 1
    slot_times = (
        (
            await connection.execute(
                sa.select(reminder_slots.c.next_fire_at).where(reminder_slots.c.goal_id == goal_rows[0].id)
            )
        )
        .scalars()
        .all()
    )
    assert slot_times == [datetime(2026, 11, 25, 11, 41, tzinfo=UTC)]
    devices = (
        (
            await connection.execute(
                sa.select(device_tokens.c.fcm_token).where(device_tokens.c.user_id == user_id)
            )
        )
        .scalars()
        .all()
    )
    assert devices == [DEMO_PUSH_TOKEN]


@pytest.mark.usefixtures("committed_database")  # wipes what a seed that did not refuse would commit
async def test_the_demo_seed_refuses_to_run_outside_dev_and_test(client: httpx.AsyncClient) -> None:
    # Given production settings with real secrets, on the test database
    strong = "s" * 40
    env = {
        **os.environ,
        "APP_ENV": "production",
        "JWT_SECRET": strong,
        "REVENUECAT_WEBHOOK_SECRET": strong,
        "PUBLIC_API_URL": "https://api.fitnudge.example",
    }
    # When the demo seed runs
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tools.demo_seed",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    # Then it stops with the reason, and no account with the published password exists
    assert process.returncode == 1
    assert "demo account is for APP_ENV dev or test only, not 'production'" in stderr.decode()
    login = await client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert login.status_code == 401


async def test_the_demo_account_gets_a_partner_a_request_and_nudges_once(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    user_id = await seed_demo_user(database, now=datetime.now(UTC))
    for _ in range(2):
        await seed_demo_partners(database, user_id, now=datetime.now(UTC))
    statuses = await connection.execute(
        sa.select(accountability_partners.c.status, accountability_partners.c.initiated_by_user_id).where(
            accountability_partners.c.partner_user_id == user_id
        )
    )
    assert sorted(row.status for row in statuses) == ["accepted", "pending"]
    nudges = await connection.execute(
        sa.select(social_nudges.c.nudge_type).where(
            sa.or_(social_nudges.c.sender_id == user_id, social_nudges.c.recipient_id == user_id)
        )
    )
    assert sorted(nudges.scalars()) == ["cheer", "nudge"]
