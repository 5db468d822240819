"""The tests' `Database`: transactions as savepoints inside one connection's outer transaction, which
the test rolls back, so every test starts from the migrated, empty schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection

from services.messages import MessageSender
from services.transaction import Transaction


class SavepointDatabase:
    def __init__(self, connection: AsyncConnection, sender: MessageSender) -> None:
        self.connection = connection
        self.sender = sender

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        tx = Transaction(self.connection)
        async with self.connection.begin_nested():
            yield tx
        await tx.run_after_commit(self.sender)

    @asynccontextmanager
    async def single_statement(self) -> AsyncIterator[AsyncConnection]:
        yield self.connection
