"""For race tests over real connections: wait until PostgreSQL shows a session blocked on a lock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")

_WAITING = sa.text(
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
)


async def finishes_without_waiting_for_a_lock(engine: AsyncEngine, work: Awaitable[T]) -> T:
    """`work`'s result, or a failure as soon as some session of this database waits for a lock while
    it runs (the lock it waits for is never released: the test holds it)."""
    task = asyncio.ensure_future(work)
    async with engine.connect() as connection:
        while not task.done():
            if await connection.scalar(_WAITING):
                task.cancel()
                raise AssertionError("the work waited for a lock another transaction holds")
            await asyncio.sleep(0.02)
    return await task


async def wait_until_a_session_waits_for_a_lock(engine: AsyncEngine, what: str) -> None:
    """Return once some session of this database waits for a lock; fail after 6 s naming `what`."""
    async with engine.connect() as connection:
        for _ in range(300):
            if await connection.scalar(_WAITING):
                return
            await asyncio.sleep(0.02)
    raise AssertionError(f"{what} never waited for a lock")
