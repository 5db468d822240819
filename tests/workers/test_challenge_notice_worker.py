"""The chunk actor in a real worker process: a committed teardown's participant notices all arrive,
once each, through `challenges.notify_chunk` messages (the `challenge_notices` queue)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

import sqlalchemy as sa

from db.tables import notification_history, push_deliveries
from services.addresses import CHALLENGE_NOTICES_QUEUE
from services.billing.teardown import DeactivationReason, tear_down_lapsed_premium
from services.transaction import EngineDatabase
from tests.jobs.scheduling_support import add_user
from tests.services.test_teardown import NOW, lapsed_premium_user
from tests.support.challenge_rows import insert_challenge
from tests.support.processes import running, worker_command

PARTICIPANTS = 120  # three chunk messages: 50, 50 and 20
DEADLINE_SECONDS = 60


async def cancellation_rows(database: EngineDatabase) -> tuple[list[UUID], int]:
    async with database.transaction() as tx:
        users = await tx.connection.execute(
            sa.select(notification_history.c.user_id).where(
                notification_history.c.data["type"].astext == "challenge_cancelled"
            )
        )
        deliveries = await tx.connection.execute(sa.select(sa.func.count()).select_from(push_deliveries))
        return list(users.scalars()), int(deliveries.scalar_one())


async def test_a_worker_writes_every_chunked_cancellation_notice_once(
    committed_database: EngineDatabase, tmp_path: Path
) -> None:
    # Given a lapsed creator's challenge of 120 participants with a device each
    async with committed_database.transaction() as tx:
        creator = await lapsed_premium_user(tx.connection)
        participants = [await add_user(tx.connection) for _ in range(PARTICIPANTS)]
        await insert_challenge(tx.connection, creator, participants)
    log = tmp_path / "worker.log"
    with running(worker_command(queues=[CHALLENGE_NOTICES_QUEUE]), log=log):
        # When the teardown commits while a worker serves the chunk queue
        async with committed_database.transaction() as tx:
            await tear_down_lapsed_premium(
                tx, [creator], reason=DeactivationReason.SUBSCRIPTION_EXPIRED, now=NOW
            )
        for _ in range(DEADLINE_SECONDS * 4):
            notified, deliveries = await cancellation_rows(committed_database)
            if len(notified) >= PARTICIPANTS:
                break
            await asyncio.sleep(0.25)
        await asyncio.sleep(1)
    # Then each participant has one cancellation notice with its delivery row; the creator none
    notified, deliveries = await cancellation_rows(committed_database)
    assert sorted(notified) == sorted(participants), log.read_text()
    assert deliveries == PARTICIPANTS
