"""The request's transaction: one per request, committed only if the handler succeeded.

Messages enqueued during the request are sent after the commit and dropped on rollback
(services/transaction.py), so no worker ever sees a row that did not commit.

Handlers that only read take `single_read` (one statement) or `read_tx` (several that must agree):
with DATABASE_REPLICA_URL those run on the read replica when it has the caller's own last write
(services/read_replica.py), else on the primary like everything else.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.jwt import AuthUser
from api.resources import app_resources
from services.transaction import Transaction

# The providers take `now` only so that Litestar resolves it first: the dependencies of one level
# are resolved concurrently, in an anyio task group spawned per request, which cost about 5 % of a
# home request's CPU for two trivial providers.


async def provide_transaction(
    request: Request[Any, Any, State], now: NamedDependency[datetime]
) -> AsyncGenerator[Transaction, None]:
    async with app_resources(request.app).database.transaction() as tx:
        yield tx


async def provide_single_read(
    request: Request[Any, Any, State], now: NamedDependency[datetime]
) -> AsyncGenerator[AsyncConnection, None]:
    """For handlers that run one read-only statement (`Database.single_statement`)."""
    resources = app_resources(request.app)
    if resources.replica is None:
        async with resources.database.single_statement() as connection:
            yield connection
    else:
        async with resources.replica.single_statement(reader_of(request)) as connection:
            yield connection


async def provide_read_transaction(
    request: Request[Any, Any, State], now: NamedDependency[datetime]
) -> AsyncGenerator[AsyncConnection, None]:
    """For read-only handlers that run several statements in one transaction."""
    resources = app_resources(request.app)
    if resources.replica is None:
        async with resources.database.transaction() as tx:
            yield tx.connection
    else:
        async with resources.replica.transaction(reader_of(request)) as connection:
            yield connection


def reader_of(request: Request[Any, Any, State]) -> UUID | None:
    """The caller, on routes behind the token check; None on public ones."""
    user = request.scope.get("user")
    return user.id if isinstance(user, AuthUser) else None
