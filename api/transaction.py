"""The request's transaction: one per request, committed only if the handler succeeded.

Messages enqueued during the request are sent after the commit and dropped on rollback
(services/transaction.py), so no worker ever sees a row that did not commit.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncConnection

from api.resources import app_resources
from services.transaction import Transaction

# Both providers take `now` only so that Litestar resolves it first: the dependencies of one level
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
    async with app_resources(request.app).database.single_statement() as connection:
        yield connection
