"""Deleting an account while one of its refresh tokens is being exchanged: both finish, no deadlock.

The refresh locks its token row, then inserts the next token (whose foreign key takes a share lock on
the user row); the deletion must take the same locks in the same order, tokens first."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import redis.asyncio as aioredis
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth.access_states import AccessStates
from api.auth.revocation import delete_account
from db.refresh_tokens import NewRefreshToken, TokenClient, insert_refresh_token, lock_refresh_token
from db.tables import refresh_tokens, users
from services.transaction import EngineDatabase
from settings import Settings
from tests.support.lock_waits import wait_until_a_session_waits_for_a_lock
from tests.support.rows import insert_user_row

NOW = datetime.now(UTC)


def token(user_id: UUID, token_id: str) -> NewRefreshToken:
    return NewRefreshToken(
        user_id=user_id,
        token_version=0,
        token_family="family",
        token_id=token_id,
        token_hash=f"hash-{token_id}",
        expires_at=NOW + timedelta(days=30),
        client=TokenClient(),
    )


async def test_a_deletion_during_a_refresh_waits_for_it_instead_of_deadlocking(
    engine: AsyncEngine, committed_database: EngineDatabase, redis: aioredis.Redis, settings: Settings
) -> None:
    # Given a committed user with a refresh token
    async with committed_database.transaction() as tx:
        user_id = await insert_user_row(tx.connection)
        await insert_refresh_token(tx.connection, token(user_id, "first"), now=NOW)
    states = AccessStates(redis, committed_database, settings.redis_key_prefix)

    async def delete() -> bool:
        async with committed_database.transaction() as tx:
            return await delete_account(tx, states, user_id)

    async with engine.connect() as refreshing:
        await refreshing.begin()
        # When a refresh holds the token, the deletion starts, and the refresh then writes the next token
        assert await lock_refresh_token(refreshing, "family", "first") is not None
        deletion = asyncio.create_task(delete())
        await wait_until_a_session_waits_for_a_lock(engine, "the deletion")
        await insert_refresh_token(refreshing, token(user_id, "second"), now=NOW)
        await refreshing.commit()

    # Then both finished, and the account went with every token, the new one included
    assert await deletion
    async with engine.connect() as connection:
        assert await connection.scalar(sa.select(sa.func.count()).where(users.c.id == user_id)) == 0
        left = sa.select(sa.func.count()).where(refresh_tokens.c.user_id == user_id)
        assert await connection.scalar(left) == 0
