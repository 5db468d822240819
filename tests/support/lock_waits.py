"""For race tests over real connections: wait until PostgreSQL shows a session blocked on a lock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

T = TypeVar("T")

_WAITING = sa.text(
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
)


@asynccontextmanager
async def _probe(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in autocommit: PostgreSQL keeps one snapshot of pg_stat_activity per transaction, so
    polls inside one transaction would never see a session start waiting."""
    async with engine.connect() as connection:
        yield await connection.execution_options(isolation_level="AUTOCOMMIT")


async def finishes_without_waiting_for_a_lock(engine: AsyncEngine, work: Awaitable[T]) -> T:
    """`work`'s result, or a failure as soon as some session of this database waits for a lock while
    it runs (the lock it waits for is never released: the test holds it)."""
    task = asyncio.ensure_future(work)
    async with _probe(engine) as connection:
        while not task.done():
            if await connection.scalar(_WAITING):
                task.cancel()
                raise AssertionError("the work waited for a lock another transaction holds")
            await asyncio.sleep(0.02)
    return await task


async def wait_until_a_session_waits_for_a_lock(engine: AsyncEngine, what: str) -> None:
    """Return once some session of this database waits for a lock; fail after 6 s naming `what`."""
    async with _probe(engine) as connection:
        for _ in range(300):
            if await connection.scalar(_WAITING):
                return
            await asyncio.sleep(0.02)
    raise AssertionError(f"{what} never waited for a lock")
