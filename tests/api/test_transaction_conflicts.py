"""A transaction PostgreSQL aborts for another's sake answers 503 with Retry-After, never 500
(api/errors.py): the deadlock here is a real one, between two connections."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.errors import handle_database_error
from db.tables import users
from services.transaction import EngineDatabase
from tests.support.rows import insert_user_row


async def lock(connection: AsyncConnection, user_id: object) -> None:
    await connection.execute(sa.select(users.c.id).where(users.c.id == user_id).with_for_update())


async def a_deadlock(engine: AsyncEngine, first: object, second: object) -> DBAPIError:
    async with engine.connect() as one, engine.connect() as two:
        await one.begin()
        await two.begin()
        await lock(one, first)
        await lock(two, second)
        results = await asyncio.gather(lock(one, second), lock(two, first), return_exceptions=True)
        errors = [result for result in results if isinstance(result, DBAPIError)]
        assert len(errors) == 1, results
        return errors[0]


async def test_a_deadlock_answers_503_with_retry_after(
    engine: AsyncEngine, committed_database: EngineDatabase
) -> None:
    async with committed_database.transaction() as tx:
        first, second = await insert_user_row(tx.connection), await insert_user_row(tx.connection)

    error = await a_deadlock(engine, first, second)
    response = handle_database_error(None, error)  # type: ignore[arg-type]

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.content["code"] == "transaction_conflict"


async def test_any_other_database_error_stays_a_500(connection: AsyncConnection) -> None:
    with pytest.raises(DBAPIError) as raised:
        await connection.execute(sa.text("SELECT 1/0"))
    assert handle_database_error(None, raised.value).status_code == 500  # type: ignore[arg-type]
