"""One transaction per request or actor run, with work deferred until after it commits.

Query functions take the connection and never begin or commit; the edge (a request handler's
dependency, an actor) opens a unit of work, and whatever must only happen once the data is durable
(enqueueing a Dramatiq message, for instance) is registered with `after_commit`. A rollback drops it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]


class UnitOfWork:
    """The open transaction's connection plus the callbacks to run once it has committed."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self._after_commit: list[AfterCommit] = []

    def after_commit(self, callback: AfterCommit) -> None:
        self._after_commit.append(callback)

    async def run_after_commit(self) -> None:
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            # The data is already committed: one failing callback must not stop the others, and the
            # rows it concerned are found again by the sweepers (PostgreSQL is the source of truth).
            try:
                await callback()
            except Exception:
                logger.exception("after-commit callback failed")


class Database(Protocol):
    """Where units of work come from: the real engine, or a test's outer transaction."""

    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]: ...

    def single_statement(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection for exactly one statement, outside any explicit transaction.

        PostgreSQL runs a lone statement atomically on one snapshot anyway (a write commits with it),
        so wrapping it in BEGIN / COMMIT only added two round trips to its one (home dashboard: +16%
        req/s without them). Anything that runs two statements that must agree, or sends messages after
        its commit, takes a unit of work."""
        ...


class EngineDatabase:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        async with self.engine.connect() as connection:
            uow = UnitOfWork(connection)
            async with connection.begin():
                yield uow
        await uow.run_after_commit()

    @asynccontextmanager
    async def single_statement(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as connection:
            # asyncpg then sends no BEGIN / COMMIT; the pool restores the isolation level on return.
            yield await connection.execution_options(isolation_level="AUTOCOMMIT")


class SavepointDatabase:
    """Units of work as savepoints inside one connection's outer transaction (tests roll it back)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        uow = UnitOfWork(self.connection)
        async with self.connection.begin_nested():
            yield uow
        await uow.run_after_commit()

    @asynccontextmanager
    async def single_statement(self) -> AsyncIterator[AsyncConnection]:
        yield self.connection
