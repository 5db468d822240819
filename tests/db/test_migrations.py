"""The schema is Alembic's: upgrade builds it, check finds no drift, downgrade removes it."""

from __future__ import annotations

import os

import asyncpg

from tests.support.database import asyncpg_dsn, run_alembic
from tests.support.environment import MAINTENANCE_DATABASE_URL, TEST_DATABASE_NAME, with_database


async def test_models_and_migrations_have_no_drift(migrated_database: str) -> None:
    result = run_alembic("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr


async def test_downgrade_to_base_and_upgrade_again_round_trips() -> None:
    scratch = f"{TEST_DATABASE_NAME}_roundtrip"
    admin = await asyncpg.connect(asyncpg_dsn(MAINTENANCE_DATABASE_URL))
    await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{scratch}"')
    previous = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = with_database(previous, scratch)
    try:
        for step in (("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head")):
            result = run_alembic(*step)
            assert result.returncode == 0, result.stderr
        scratch_connection = await asyncpg.connect(asyncpg_dsn(os.environ["DATABASE_URL"]))
        plans = await scratch_connection.fetchval("SELECT count(*) FROM subscription_plans")
        await scratch_connection.close()
        assert plans == 2
    finally:
        os.environ["DATABASE_URL"] = previous
        await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await admin.close()
