"""The challenge step of the downgrade teardown (§3.6 "when a creator's premium ends"): the creator's
open challenges cancelled, their pending invites and invite notices gone, every participant told once
per challenge through the chunked fan-out, the challenges they joined trimmed to the free limit, the
summary in the deactivation log, and a statement count that does not grow with challenges or people."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import redis.asyncio as aioredis
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.recorded_statements import recorded_statements
from db.plans import plan_catalog
from db.tables import (
    challenge_invites,
    challenge_leaderboard,
    challenge_participants,
    challenges,
    notification_history,
)
from domain.challenge_notices import ChallengeNotice, Recipient
from services.addresses import CHALLENGE_NOTICES_QUEUE
from services.billing.teardown import DeactivationReason, tear_down_lapsed_premium
from services.challenge_notices import notify_chunk
from services.transaction import Transaction
from settings import Settings
from tests.services.test_teardown import lapsed_premium_user
from tests.support.challenge_rows import insert_challenge, insert_invite, insert_invite_inbox_row
from tests.support.queues import QueueProbe, probed_queue
from tests.support.revenuecat import deactivation_logs, make_premium, subscription_notices
from tests.support.savepoint_database import SavepointDatabase
from tests.support.social_rows import insert_users

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


async def run_queued_chunks(connection: AsyncConnection, queue: QueueProbe) -> int:
    """Do what the worker does with every queued chunk message; returns how many there were."""
    messages = await queue.messages()
    for message in messages:
        notice, recipients = message["args"]
        await notify_chunk(
            Transaction(connection),
            ChallengeNotice.from_payload(notice),
            [Recipient.from_payload(recipient) for recipient in recipients],
            now=NOW,
        )
    return len(messages)


async def cancellation_notices(connection: AsyncConnection) -> Counter[tuple[UUID, UUID]]:
    result = await connection.execute(
        sa.select(notification_history.c.entity_id, notification_history.c.user_id).where(
            notification_history.c.data["type"].astext == "challenge_cancelled"
        )
    )
    return Counter((row.entity_id, row.user_id) for row in result)


async def creator_with_challenges(
    connection: AsyncConnection, challenge_count: int, participants: list[UUID]
) -> tuple[UUID, list[UUID]]:
    """A lapsed premium creator with `challenge_count` open challenges of `participants`, each with a
    pending invite and its inbox row."""
    creator = await lapsed_premium_user(connection)
    (invited,) = await insert_users(connection, 1)
    created = []
    for n in range(challenge_count):
        status = "active" if n % 2 else "upcoming"
        challenge_id = await insert_challenge(
            connection, creator, participants, status=status, start_date=date(2025, 6, 1)
        )
        expires = NOW + timedelta(days=3)
        invite = await insert_invite(connection, challenge_id, creator, invited, expires_at=expires)
        await insert_invite_inbox_row(connection, invited, challenge_id, invite, creator, expires_at=expires)
        created.append(challenge_id)
    return creator, created


async def test_three_challenges_of_200_cancelled_with_one_notice_per_participant_and_challenge(
    connection: AsyncConnection, database: SavepointDatabase, redis: aioredis.Redis, settings: Settings
) -> None:
    # Given a creator whose premium just lapsed, with 3 open challenges of the same 200 participants
    participants = await insert_users(connection, 200)
    creator, created = await creator_with_challenges(connection, 3, participants)
    async with probed_queue(redis, settings, CHALLENGE_NOTICES_QUEUE) as queue:
        # When the teardown commits, and the worker runs every chunk message (then all of them again)
        async with database.transaction() as tx:
            (report,) = await tear_down_lapsed_premium(
                tx, [creator], reason=DeactivationReason.SUBSCRIPTION_EXPIRED, now=NOW
            )
        assert await run_queued_chunks(connection, queue) == 3 * 4
        await run_queued_chunks(connection, queue)
    # Then all three are cancelled, for that reason
    rows = (await connection.execute(sa.select(challenges.c.status, challenges.c.cancelled_reason))).all()
    assert rows == [("cancelled", "creator_subscription_expired")] * 3
    # And every participant got exactly one cancellation notice per challenge; the creator none
    assert await cancellation_notices(connection) == Counter(
        {(challenge_id, user): 1 for challenge_id in created for user in participants}
    )
    # And the pending invites and their notices are gone
    assert (await connection.execute(sa.select(challenge_invites.c.id))).all() == []
    invite_notices = sa.select(notification_history.c.id).where(
        notification_history.c.notification_type == "challenge_invite"
    )
    assert (await connection.execute(invite_notices)).all() == []
    # And the log row and the creator's notice say what happened
    assert set(report.cancelled_challenge_ids) == set(created)
    (log,) = await deactivation_logs(connection, creator)
    assert (log.challenges_cancelled, sorted(log.cancelled_challenge_ids)) == (3, sorted(map(str, created)))
    (notice,) = await subscription_notices(connection, creator)
    assert "cancelled 3 challenges you created" in notice.body


async def test_the_challenges_a_creator_joined_are_trimmed_to_the_free_limit_keeping_the_oldest(
    connection: AsyncConnection,
) -> None:
    # Given a lapsed creator who joined three open challenges of others (in this order) and a completed one
    member = await lapsed_premium_user(connection)
    (host,) = await insert_users(connection, 1)
    await make_premium(connection, host)
    joined = []
    for days_ago in (30, 20, 10):
        challenge_id = await insert_challenge(connection, host, start_date=date(2025, 6, 10))
        await connection.execute(
            sa.insert(challenge_participants).values(
                challenge_id=challenge_id, user_id=member, joined_at=NOW - timedelta(days=days_ago)
            )
        )
        await connection.execute(
            sa.insert(challenge_leaderboard).values(challenge_id=challenge_id, user_id=member)
        )
        joined.append(challenge_id)
    finished = await insert_challenge(
        connection, host, [member], status="completed", start_date=date(2025, 5, 1)
    )
    # When their teardown runs
    (report,) = await tear_down_lapsed_premium(
        Transaction(connection), [member], reason=DeactivationReason.SUBSCRIPTION_EXPIRED, now=NOW
    )
    # Then the oldest join stays, the two later ones go (leaderboard rows with them), the finished one stays
    kept = sa.select(challenge_participants.c.challenge_id).where(challenge_participants.c.user_id == member)
    assert set((await connection.execute(kept)).scalars()) == {joined[0], finished}
    boards = sa.select(challenge_leaderboard.c.challenge_id).where(challenge_leaderboard.c.user_id == member)
    assert set((await connection.execute(boards)).scalars()) == {joined[0], finished}
    assert set(report.left_challenge_ids) == set(joined[1:])
    (log,) = await deactivation_logs(connection, member)
    assert (log.challenges_left, sorted(log.left_challenge_ids)) == (2, sorted(map(str, joined[1:])))


def _statements(recorded: list[tuple[str, Any]]) -> list[str]:
    """The statements of the teardown itself (the test's savepoints left out)."""
    return [
        statement
        for statement, _ in recorded
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))
    ]


async def test_the_teardown_issues_the_same_statements_for_1_or_3_challenges_of_12_or_200(
    connection: AsyncConnection,
    engine: AsyncEngine,
    database: SavepointDatabase,
    redis: aioredis.Redis,
    settings: Settings,
) -> None:
    # Given a creator with 1 challenge of 12 participants and another with 3 challenges of 200 (so both
    # fan out in chunks), each joined to another challenge beyond the free limit
    small_creator, _ = await creator_with_challenges(connection, 1, await insert_users(connection, 12))
    big_creator, _ = await creator_with_challenges(connection, 3, await insert_users(connection, 200))
    (host,) = await insert_users(connection, 1)
    for creator in (small_creator, big_creator):
        await insert_challenge(connection, host, [creator, *await insert_users(connection, 1)])
        await insert_challenge(connection, host, [creator])

    async def statements_of_teardown(creator: UUID) -> list[str]:
        with recorded_statements(engine) as recorded:
            async with database.transaction() as tx:
                await tear_down_lapsed_premium(
                    tx, [creator], reason=DeactivationReason.SUBSCRIPTION_EXPIRED, now=NOW
                )
        return _statements(recorded)

    await plan_catalog(connection)  # the process's cached catalogue, as in any running worker
    async with probed_queue(redis, settings, CHALLENGE_NOTICES_QUEUE):
        # When each loses premium
        small = await statements_of_teardown(small_creator)
        big = await statements_of_teardown(big_creator)
    # Then both teardowns issued the same statements: none per challenge or participant
    assert big == small, (len(small), len(big))
    assert len(await cancellation_notices(connection)) == 0  # every notice is in a chunk message
