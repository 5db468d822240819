"""A scratch database (and Dramatiq namespace) per benchmark run, created, migrated and dropped here.

`use_scratch_environment` must run before any project module reads the settings: it points
DATABASE_URL and DRAMATIQ_NAMESPACE at names of this run only, so a benchmark never touches the
development database or another run's queues.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/fitnudge"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


class ScratchEnvironment:
    def __init__(self, bench_name: str) -> None:
        base_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
        tag = uuid.uuid4().hex[:8]
        self.database_name = f"fitnudge_bench_{bench_name}_{tag}"
        self.database_url = _with_database(base_url, self.database_name)
        self.maintenance_url = _with_database(base_url, "postgres")
        self.namespace = f"fitnudge-bench-{bench_name}-{tag}"


def use_scratch_environment(bench_name: str) -> ScratchEnvironment:
    """Point this process (and the worker processes it starts) at the run's own database and queues."""
    scratch = ScratchEnvironment(bench_name)
    os.environ["APP_ENV"] = "dev"
    os.environ["DATABASE_URL"] = scratch.database_url
    os.environ["DRAMATIQ_NAMESPACE"] = scratch.namespace
    return scratch


@asynccontextmanager
async def scratch_database(scratch: ScratchEnvironment) -> AsyncIterator[str]:
    """Create the database, build the schema with Alembic (as the release process does), drop it after."""
    await _admin(scratch, f'CREATE DATABASE "{scratch.database_name}"')
    try:
        migration = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "alembic",
            "upgrade",
            "head",
            cwd=REPO_ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, errors = await migration.communicate()
        if migration.returncode != 0:
            raise RuntimeError(errors.decode())
        yield scratch.database_url
    finally:
        await _admin(scratch, f'DROP DATABASE IF EXISTS "{scratch.database_name}" WITH (FORCE)')


async def _admin(scratch: ScratchEnvironment, statement: str) -> None:
    """On a connection of its own: one held for the whole run would not survive a server restart (the
    PostgreSQL drill, bench/drills)."""
    admin = await asyncpg.connect(asyncpg_dsn(scratch.maintenance_url))
    try:
        await admin.execute(statement)
    finally:
        await admin.close()
