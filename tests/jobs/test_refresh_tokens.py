"""cleanup_expired_refresh_tokens: expired tokens go in keyset batches, under the job lock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

import dramatiq
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

import workers.registry  # noqa: F401  (the actor must be registered where the scheduler looks)
from db.locks import try_job_lock
from db.tables import refresh_tokens, users
from services.transaction import EngineDatabase
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.refresh_tokens import PRUNE_BATCH_SIZE, PRUNE_JOB, prune_expired_refresh_tokens

NOW = datetime(2025, 3, 1, 4, 15, tzinfo=UTC)


async def insert_user(connection: AsyncConnection) -> UUID:
    tag = uuid.uuid4().hex[:10]
    statement = sa.insert(users).values(email=f"{tag}@example.com", username=f"u_{tag}", name="U")
    user_id: UUID = (await connection.execute(statement.returning(users.c.id))).scalar_one()
    return user_id


async def insert_tokens(connection: AsyncConnection, user_id: UUID, expires_at: list[datetime]) -> None:
    await connection.execute(
        sa.insert(refresh_tokens),
        [
            {
                "user_id": user_id,
                "token_family": uuid.uuid4().hex,
                "token_id": uuid.uuid4().hex,
                "token_hash": "0" * 64,
                "expires_at": expiry,
            }
            for expiry in expires_at
        ],
    )


async def remaining_expiries(connection: AsyncConnection) -> list[datetime]:
    statement = sa.select(refresh_tokens.c.expires_at).order_by(refresh_tokens.c.expires_at)
    return list((await connection.execute(statement)).scalars())


async def test_prune_deletes_every_expired_token_across_batches_and_keeps_live_ones(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given more expired tokens than one batch (several sharing an expiry instant) and a few live ones
    user_id = await insert_user(connection)
    expired = [NOW - timedelta(minutes=n // 3 + 1) for n in range(PRUNE_BATCH_SIZE * 2 + 7)]
    live = [NOW, NOW + timedelta(seconds=1), NOW + timedelta(days=30)]
    await insert_tokens(connection, user_id, expired + live)
    # When the job runs at NOW
    deleted = await prune_expired_refresh_tokens(database, now=NOW)
    # Then every token that expired before NOW is gone, the rest stay
    assert deleted == len(expired)
    assert await remaining_expiries(connection) == live
    # And a second run finds nothing
    assert await prune_expired_refresh_tokens(database, now=NOW) == 0


async def test_prune_does_nothing_while_another_run_holds_the_lock(
    committed_database: EngineDatabase,
) -> None:
    # Given committed expired tokens and another run holding the job's lock
    async with committed_database.engine.begin() as connection:
        await insert_tokens(connection, await insert_user(connection), [NOW - timedelta(days=1)])
    async with committed_database.engine.connect() as other_run, other_run.begin():
        assert await try_job_lock(other_run, PRUNE_JOB)
        # When this run starts
        deleted = await prune_expired_refresh_tokens(committed_database, now=NOW)
    # Then it stops at once and leaves the work to the lock holder
    assert deleted == 0
    async with committed_database.engine.connect() as connection:
        assert len(await remaining_expiries(connection)) == 1


def test_the_job_is_a_daily_actor_at_0415_utc() -> None:
    # Given the registry the worker and scheduler load / Then the actor is there with its cron
    actor = dramatiq.get_broker().get_actor(PRUNE_JOB)
    assert str(actor.options["periodic"]) == "15 4 * * *"
