"""One transaction per request or actor run, with messages and other follow-ups sent once it commits.

Query functions (db/) take the connection and never begin or commit; the edge (a request handler's
dependency, an actor, an operator command) opens a transaction from its `Database`. Messages enqueued
on the transaction leave only after it has committed, all together, and a rollback drops them, so no
worker ever looks for a row that did not commit. Other follow-ups (a cache to refresh) register with
`after_commit` and run under the same rule.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.messages import ActorAddress, MessageSender, OutgoingMessage, build_message

logger = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]


class Transaction:
    """The open transaction's connection, plus what must happen once it has committed."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self._messages: list[OutgoingMessage] = []
        self._after_commit: list[AfterCommit] = []

    def enqueue(self, address: ActorAddress, *args: Any, delay_ms: int | None = None) -> None:
        """Send `address(*args)` after commit (after `delay_ms`, when given)."""
        self._messages.append(OutgoingMessage(build_message(address, args), delay_ms))

    def enqueue_many(self, address: ActorAddress, arg_lists: Iterable[Sequence[Any]]) -> None:
        self._messages.extend(OutgoingMessage(build_message(address, args)) for args in arg_lists)

    def after_commit(self, callback: AfterCommit) -> None:
        self._after_commit.append(callback)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction: when it rolls back, so do the messages and follow-ups queued in it."""
        queued_messages, queued_callbacks = len(self._messages), len(self._after_commit)
        try:
            async with self.connection.begin_nested():
                yield
        except BaseException:
            del self._messages[queued_messages:]
            del self._after_commit[queued_callbacks:]
            raise

    async def run_after_commit(self, sender: MessageSender) -> None:
        messages, self._messages = self._messages, []
        callbacks, self._after_commit = self._after_commit, []
        # The data is already committed: a failure here must not undo or hide it, and the rows it
        # concerned are found again by the sweepers (PostgreSQL is the source of truth).
        try:
            await sender.send(messages)
        except Exception:
            logger.exception("sending %d message(s) after commit failed", len(messages))
        for callback in callbacks:
            try:
                await callback()
            except Exception:
                logger.exception("after-commit callback failed")


class Database(Protocol):
    """Where transactions come from: the real engine, or a test's outer transaction."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    def single_statement(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection for exactly one statement, outside any explicit transaction.

        PostgreSQL runs a lone statement atomically on one snapshot anyway (a write commits with it),
        so wrapping it in BEGIN / COMMIT only added two round trips to its one (home dashboard: +16%
        req/s without them). Anything that runs two statements that must agree, or sends messages after
        its commit, takes a transaction."""
        ...


class EngineDatabase:
    def __init__(self, engine: AsyncEngine, sender: MessageSender) -> None:
        self.engine = engine
        self.sender = sender

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self.engine.connect() as connection:
            tx = Transaction(connection)
            async with connection.begin():
                yield tx
        await tx.run_after_commit(self.sender)

    @asynccontextmanager
    async def single_statement(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as connection:
            # asyncpg then sends no BEGIN / COMMIT; the pool restores the isolation level on return.
            yield await connection.execution_options(isolation_level="AUTOCOMMIT")
