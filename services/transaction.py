"""One transaction per request or actor run, with messages and other follow-ups sent once it commits.

Query functions (db/) take the connection and never begin or commit; the edge (a request handler's
dependency, an actor, an operator command) opens a transaction from its `Database`. Messages enqueued
on the transaction leave only after it has committed, all together, and a rollback drops them, so no
worker ever looks for a row that did not commit. Other follow-ups (a cache to refresh) register with
`after_commit` and run under the same rule.

Should PostgreSQL still abort a transaction for another's sake (deadlock, serialization failure)
although locks are taken in one order (docs/operations.md), `retry_conflict_once` runs it again once,
as a last resort, logged; the API does not (a handler's body is consumed) and answers 503 instead.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Final, Protocol, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.messages import ActorAddress, MessageSender, OutgoingMessage, build_message

logger = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]
T = TypeVar("T")

# PostgreSQL gave up on the transaction because of another one (deadlock_detected,
# serialization_failure): it rolled back whole, so the same work can simply run again.
CONFLICT_SQLSTATES: Final = frozenset({"40P01", "40001"})


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


def is_transaction_conflict(error: BaseException) -> bool:
    """A deadlock or serialization failure: the transaction was rolled back whole for another's sake."""
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in CONFLICT_SQLSTATES


async def retry_conflict_once(
    database: Database,
    work: Callable[[Transaction], Awaitable[T]],
    *,
    what: str,
    on_retry: Callable[[], None] | None = None,
) -> T:
    """`work` in one transaction; when PostgreSQL aborts it as a deadlock or serialization failure,
    once more in a new transaction (a warning logged, `on_retry` called); a second failure propagates.

    The rollback drops the first try's writes, messages and after-commit follow-ups, so only what
    `work` keeps outside its transaction could count twice: a caller that counts takes its counts
    after its last statement. At READ COMMITTED (every transaction here; no constraint is deferred)
    a conflict is a deadlock raised by a statement waiting for a lock, never by the commit."""
    try:
        async with database.transaction() as tx:
            return await work(tx)
    except DBAPIError as error:
        if not is_transaction_conflict(error):
            raise
        logger.warning("%s: transaction aborted by the database (%s); running it once more", what, error.orig)
        if on_retry is not None:
            on_retry()
    async with database.transaction() as tx:
        return await work(tx)
