"""The challenge fan-out (§3.6): ≤ 10 recipients inline in the caller's transaction, more in chunks of
50 per message; the chunk's work writes each recipient's notice once, whatever the retries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import redis.asyncio as aioredis
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import notification_history
from domain.challenge_notices import ChallengeNotice, EndingKind, Recipient, notice_content
from services.addresses import CHALLENGE_NOTICES_QUEUE
from services.challenge_notices import fan_out, notify_chunk
from services.transaction import Transaction
from settings import Settings
from tests.support.challenge_rows import insert_challenge
from tests.support.queues import probed_queue
from tests.support.savepoint_database import SavepointDatabase
from tests.support.social_rows import insert_users

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


async def inbox(connection: AsyncConnection, challenge_id: UUID) -> list[tuple[UUID, str]]:
    result = await connection.execute(
        sa.select(notification_history.c.user_id, notification_history.c.data["type"].astext).where(
            notification_history.c.entity_id == challenge_id
        )
    )
    return [(row[0], row[1]) for row in result]


async def test_a_small_challenge_is_notified_inline_and_a_large_one_in_chunks_of_50(
    connection: AsyncConnection, database: SavepointDatabase, redis: aioredis.Redis, settings: Settings
) -> None:
    # Given a challenge with 10 participants and one with 120
    users = await insert_users(connection, 130)
    small = await insert_challenge(connection, None, users[:10])
    large = await insert_challenge(connection, None, users[10:])
    async with probed_queue(redis, settings, CHALLENGE_NOTICES_QUEUE) as queue:
        # When both are cancelled in one fan-out
        async with database.transaction() as tx:
            counts = await fan_out(
                tx,
                [
                    (
                        ChallengeNotice.cancelled(small, "Small", "creator_subscription_expired"),
                        [Recipient(user) for user in users[:10]],
                    ),
                    (
                        ChallengeNotice.cancelled(large, "Large", "creator_subscription_expired"),
                        [Recipient(user) for user in users[10:]],
                    ),
                ],
                now=NOW,
            )
        # Then the 10 are in the inbox at once, and the 120 wait in 3 messages of 50, 50 and 20
        assert (counts.inline, counts.chunked, counts.messages) == (10, 120, 3)
        assert sorted(await inbox(connection, small)) == sorted(
            (u, "challenge_cancelled") for u in users[:10]
        )
        assert await inbox(connection, large) == []
        messages = await queue.messages()
    assert {message["actor_name"] for message in messages} == {"challenges.notify_chunk"}
    assert sorted(len(message["args"][1]) for message in messages) == [20, 50, 50]
    # And the chunks together name every participant of the large challenge once
    named = [UUID(recipient[0]) for message in messages for recipient in message["args"][1]]
    assert sorted(named) == sorted(users[10:])


async def test_a_chunk_run_twice_notifies_each_recipient_once(connection: AsyncConnection) -> None:
    users = await insert_users(connection, 3)
    challenge_id = await insert_challenge(connection, None, users)
    notice = ChallengeNotice.ending_reminder(challenge_id, "Plank", EndingKind.FINAL_DAY, date(2025, 6, 2))
    chunk = [Recipient(user) for user in users]
    first = await notify_chunk(Transaction(connection), notice, chunk, now=NOW)
    again = await notify_chunk(Transaction(connection), notice, chunk, now=NOW)
    assert (len(first.notification_ids), len(again.notification_ids)) == (3, 0)
    assert sorted(await inbox(connection, challenge_id)) == sorted((u, "challenge_reminder") for u in users)


def test_notices_survive_the_message_round_trip() -> None:
    challenge_id = UUID(int=7)
    for notice in (
        ChallengeNotice.cancelled(challenge_id, "Walk", "no_participants"),
        ChallengeNotice.ending_reminder(challenge_id, "Walk", EndingKind.ENDING_SOON, date(2025, 6, 5)),
        ChallengeNotice.result(challenge_id, "Walk", winner_count=2),
    ):
        assert ChallengeNotice.from_payload(notice.to_payload()) == notice
    recipient = Recipient(UUID(int=9), rank=3, points=40)
    assert Recipient.from_payload(recipient.to_payload()) == recipient


def test_result_notices_tell_winners_ties_and_ranks_apart() -> None:
    challenge_id, user = UUID(int=7), UUID(int=9)
    sole = ChallengeNotice.result(challenge_id, "Walk", winner_count=1)
    tie = ChallengeNotice.result(challenge_id, "Walk", winner_count=2)
    won, key = notice_content(sole, Recipient(user, rank=1, points=50))
    assert (won.title, won.data["isWinner"], key) == (
        "You won! 🏆",
        True,
        f"challenge_completed:{challenge_id}:{user}",
    )
    tied, _ = notice_content(tie, Recipient(user, rank=1, points=50))
    assert tied.title.startswith("It's a tie")
    # Nobody wins on zero points, even at rank 1
    zero, _ = notice_content(sole, Recipient(user, rank=1, points=0))
    assert (zero.data["isWinner"], "#1 with 0 points" in zero.body) == (False, True)
