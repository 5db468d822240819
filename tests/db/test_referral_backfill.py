"""Migration 0007 gives every existing account a referral code and clears self-referrals before its
CHECK arrives (docs/domain.md §3.13)."""

from __future__ import annotations

import os

import asyncpg

from domain.referrals import REFERRAL_ALPHABET, REFERRAL_CODE_LENGTH
from tests.support.database import asyncpg_dsn, run_alembic
from tests.support.environment import MAINTENANCE_DATABASE_URL, TEST_DATABASE_NAME, with_database

INSERT_USER = "INSERT INTO users (email, username, name, referral_code) VALUES ($1, $1, $1, $2) RETURNING id"


async def test_existing_accounts_get_distinct_codes_and_lose_self_referrals() -> None:
    scratch = f"{TEST_DATABASE_NAME}_referrals"
    admin = await asyncpg.connect(asyncpg_dsn(MAINTENANCE_DATABASE_URL))
    await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{scratch}"')
    previous = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = with_database(previous, scratch)
    try:
        # Given the schema before 0007 with accounts without codes, one with a code, and a self-referral
        assert run_alembic("upgrade", "0004").returncode == 0
        database = await asyncpg.connect(asyncpg_dsn(os.environ["DATABASE_URL"]))
        try:
            kept = await database.fetchval(INSERT_USER, "kept", "KEPT2345")
            for index in range(50):
                await database.fetchval(INSERT_USER, f"old{index}", None)
            selfish = await database.fetchval(INSERT_USER, "selfish", None)
            await database.execute("UPDATE users SET referred_by_user_id = id WHERE id = $1", selfish)
            # When 0007 runs
            result = run_alembic("upgrade", "head")
            assert result.returncode == 0, result.stderr
            # Then every account has a distinct code of the alphabet, the existing one is kept, and
            # the self-referral is gone
            rows = await database.fetch("SELECT id, referral_code, referred_by_user_id FROM users")
        finally:
            await database.close()
        codes = {row["id"]: row["referral_code"] for row in rows}
        assert codes[kept] == "KEPT2345"
        assert len(set(codes.values())) == len(rows) == 52
        for code in codes.values():
            assert len(code) == REFERRAL_CODE_LENGTH
            assert set(code) <= set(REFERRAL_ALPHABET)
        assert all(row["referred_by_user_id"] is None for row in rows)
    finally:
        os.environ["DATABASE_URL"] = previous
        await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await admin.close()
