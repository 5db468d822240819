"""Reads that tolerate a streaming replica (DATABASE_REPLICA_URL), without ever showing a user an
older state than the one their own last write produced, and without failing when the replica is away.

Read-your-writes: after a request of a user wrote and committed, `note_write` stores the primary's WAL
insert position (`pg_current_wal_insert_lsn()`, at or past the commit record) in Redis under the user,
for WRITE_POSITION_TTL_S. A replica read for that user first asks the replica whether it has replayed
that far (`pg_last_wal_replay_lsn() >= position`, one statement on the connection it then reads with);
if not, the read goes to the primary. Users without a recent write, and reads with no user, go to the
replica at once. Writes made by workers or by other users reach the reader when the replica has
replayed them (usually milliseconds): these reads accept that.

Fallback: a replica that refuses connections, or whose connection breaks, is skipped for
RETRY_AFTER_FAILURE_S (one log line, then every read in that window goes to the primary), so a dead
replica costs neither errors nor a connect attempt per read. Each read counts where it went
(`fitnudge_replica_reads_total`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Final
from uuid import UUID

import redis.asyncio as aioredis
import sqlalchemy as sa
from redis.exceptions import RedisError
from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.metrics import REPLICA_READS
from services.transaction import Database

logger = logging.getLogger(__name__)

# Long enough for any healthy replica to catch up; past it a user's reads go to the replica unchecked.
WRITE_POSITION_TTL_S: Final = 60
RETRY_AFTER_FAILURE_S: Final = 5.0

WRITE_POSITION = sa.text("SELECT pg_current_wal_insert_lsn()::text")
# Passed as text: asyncpg would otherwise want pg_lsn as an integer.
CAUGHT_UP = sa.text("SELECT pg_last_wal_replay_lsn() >= CAST(CAST(:position AS text) AS pg_lsn)")


def refuse_closed_connections(engine: AsyncEngine) -> None:
    """A pooled connection the server has closed (replica stopped or restarted) is replaced at checkout
    instead of failing the read that gets it: asyncpg already knows, so this costs no round trip."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise exc.DisconnectionError("replica connection closed by the server")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class ReplicaReads:
    def __init__(
        self,
        replica: AsyncEngine,
        primary: Database,
        redis: aioredis.Redis,
        key_prefix: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.replica = replica
        self.primary = primary
        self._redis = redis
        self._key_prefix = key_prefix
        self._clock = clock
        self._skip_until = 0.0

    def _key(self, user_id: UUID) -> str:
        return f"{self._key_prefix}:replica:write-position:{user_id}"

    async def note_write(self, user_id: UUID) -> None:
        """After the user's write has committed (and before they get the answer)."""
        async with self.primary.single_statement() as connection:
            position = (await connection.execute(WRITE_POSITION)).scalar_one()
        await self._redis.set(self._key(user_id), position, ex=WRITE_POSITION_TTL_S)

    @asynccontextmanager
    async def single_statement(self, reader: UUID | None) -> AsyncIterator[AsyncConnection]:
        """Database.single_statement, on the replica when it may serve `reader`."""
        connection = await self._replica_connection(reader)
        if connection is None:
            async with self.primary.single_statement() as primary:
                yield primary
            return
        async with self._guarded(connection):
            yield connection

    @asynccontextmanager
    async def transaction(self, reader: UUID | None) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (several statements that must agree), on the replica when it may
        serve `reader`."""
        connection = await self._replica_connection(reader)
        if connection is None:
            async with self.primary.transaction() as tx:
                yield tx.connection
            return
        async with self._guarded(connection):
            transactional = await connection.execution_options(isolation_level="READ COMMITTED")
            async with transactional.begin():
                yield transactional

    async def _replica_connection(self, reader: UUID | None) -> AsyncConnection | None:
        """An AUTOCOMMIT connection to a replica that has replayed `reader`'s last write, or None."""
        if self._clock() < self._skip_until:
            REPLICA_READS.labels("primary_replica_down").inc()
            return None
        try:
            position = await self._redis.get(self._key(reader)) if reader is not None else None
        except RedisError:
            # Without the reader's last write position only the primary is sure to have it.
            logger.warning("read-your-writes position unreadable: reading from the primary", exc_info=True)
            REPLICA_READS.labels("primary_position_unknown").inc()
            return None
        try:
            connection = await self.replica.connect()
        except (exc.DBAPIError, OSError):
            self._replica_failed("connecting")
            return None
        try:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            if position is not None:
                caught_up = (await connection.execute(CAUGHT_UP, {"position": _text(position)})).scalar()
                if not caught_up:
                    await connection.close()
                    REPLICA_READS.labels("primary_replica_behind").inc()
                    return None
        except exc.DBAPIError:
            await connection.close()
            self._replica_failed("checking its position")
            return None
        REPLICA_READS.labels("replica").inc()
        return connection

    @asynccontextmanager
    async def _guarded(self, connection: AsyncConnection) -> AsyncIterator[None]:
        """Closes the connection; a connection the replica broke during the read fails that read (it
        has started) but sends the next ones to the primary."""
        try:
            yield
        except exc.DBAPIError as error:
            if error.connection_invalidated:
                self._replica_failed("reading")
            raise
        finally:
            await connection.close()

    def _replica_failed(self, doing: str) -> None:
        self._skip_until = self._clock() + RETRY_AFTER_FAILURE_S
        REPLICA_READS.labels("primary_replica_down").inc()
        logger.warning(
            "read replica failed while %s: reads go to the primary for %.0f s",
            doing,
            RETRY_AFTER_FAILURE_S,
            exc_info=True,
        )
