"""The request's unit of work: one transaction per request, committed only if the handler succeeded.

Messages enqueued during the request are sent after the commit and dropped on rollback
(db/unit_of_work.py), so no worker ever sees a row that did not commit.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncConnection

from api.resources import app_resources
from db.unit_of_work import UnitOfWork
from workers.enqueue import ActorAddress, Enqueuer


@dataclass(frozen=True, slots=True)
class Transaction:
    uow: UnitOfWork
    enqueuer: Enqueuer

    @property
    def connection(self) -> AsyncConnection:
        return self.uow.connection

    def enqueue(self, address: ActorAddress, *args: Any, delay_ms: int | None = None) -> None:
        self.enqueuer.send_after_commit(self.uow, address, *args, delay_ms=delay_ms)


# Both providers take `now` only so that Litestar resolves it first: the dependencies of one level
# are resolved concurrently, in an anyio task group spawned per request, which cost about 5 % of a
# home request's CPU for two trivial providers.


async def provide_transaction(
    request: Request[Any, Any, State], now: NamedDependency[datetime]
) -> AsyncGenerator[Transaction, None]:
    resources = app_resources(request.app)
    async with resources.database.unit_of_work() as uow:
        yield Transaction(uow, resources.enqueuer)


async def provide_single_read(
    request: Request[Any, Any, State], now: NamedDependency[datetime]
) -> AsyncGenerator[AsyncConnection, None]:
    """For handlers that run one read-only statement (db/unit_of_work.py, `Database.single_statement`)."""
    resources = app_resources(request.app)
    async with resources.database.single_statement() as connection:
        yield connection
