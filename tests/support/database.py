"""Create the session's database with Alembic, and drop it afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from tests.support.environment import MAINTENANCE_DATABASE_URL, TEST_DATABASE_NAME

REPO_ROOT = Path(__file__).resolve().parents[2]


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def create_database() -> None:
    connection = await asyncpg.connect(asyncpg_dsn(MAINTENANCE_DATABASE_URL))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{TEST_DATABASE_NAME}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{TEST_DATABASE_NAME}"')
    finally:
        await connection.close()


async def drop_database() -> None:
    connection = await asyncpg.connect(asyncpg_dsn(MAINTENANCE_DATABASE_URL))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{TEST_DATABASE_NAME}" WITH (FORCE)')
    finally:
        await connection.close()


def run_alembic(*args: str, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    """Alembic in a child process, exactly as the release process runs it (on `database_url`, when
    given, instead of the session's database)."""
    env = os.environ.copy()
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
