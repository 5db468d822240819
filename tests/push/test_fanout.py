"""workers.fanout: few recipients inline, many in chunk messages sent in one pipelined call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import pytest
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy.ext.asyncio import AsyncConnection

from db.notifications import NotificationDraft
from db.unit_of_work import SavepointDatabase
from settings import Settings
from tests.push.support import add_devices, general_notice, insert_users, queued_messages
from workers.enqueue import ActorAddress, Enqueuer
from workers.fanout import CHUNK_SIZE, INLINE_LIMIT, notify_chunk, notify_many

CHUNK_ACTOR = ActorAddress("test.notify_chunk", "test_fanout")
NOTICE_KEY = "test-fanout:challenge-42"


async def challenge_notices(connection: AsyncConnection, user_ids: Sequence[UUID]) -> list[NotificationDraft]:
    return [
        NotificationDraft(user_id, general_notice(), dedupe_key=f"{NOTICE_KEY}:{user_id}")
        for user_id in user_ids
    ]


async def unkeyed_notices(connection: AsyncConnection, user_ids: Sequence[UUID]) -> list[NotificationDraft]:
    return [NotificationDraft(user_id, general_notice()) for user_id in user_ids]


async def test_up_to_ten_recipients_are_notified_inline_and_push_deliver_follows_the_commit(
    connection: AsyncConnection, database: SavepointDatabase, push_broker: RedisBroker, settings: Settings
) -> None:
    # Given ten recipients with devices
    user_ids = await insert_users(connection, INLINE_LIMIT)
    await add_devices(connection, user_ids)

    # When they are notified through the fan-out helper
    async with database.unit_of_work() as uow:
        plan = await notify_many(
            uow,
            Enqueuer(push_broker),
            user_ids,
            build_drafts=challenge_notices,
            chunk_actor=CHUNK_ACTOR,
            now=datetime.now(UTC),
        )
        # Then nothing is queued before the commit
        assert queued_messages(push_broker, settings, "push") == []

    # Then the notices were written inline and one push.deliver message followed the commit
    assert plan.chunks == 0
    assert plan.inline is not None
    assert (len(plan.inline.notification_ids), plan.inline.deliveries) == (10, 10)
    [message] = queued_messages(push_broker, settings, "push")
    assert message.actor_name == "push.deliver"


async def test_more_recipients_go_out_as_chunks_of_50_in_one_pipelined_enqueue(
    connection: AsyncConnection, database: SavepointDatabase, push_broker: RedisBroker, settings: Settings
) -> None:
    # Given 120 recipients
    user_ids = await insert_users(connection, 120)

    # When they are notified through the fan-out helper
    async with database.unit_of_work() as uow:
        plan = await notify_many(
            uow,
            Enqueuer(push_broker),
            user_ids,
            build_drafts=challenge_notices,
            chunk_actor=CHUNK_ACTOR,
            chunk_args=("challenge-42",),
            now=datetime.now(UTC),
        )

    # Then three chunk messages (50, 50, 20) carry every recipient once, after the caller's arguments
    assert (plan.inline, plan.chunks) == (None, 3)
    messages = queued_messages(push_broker, settings, CHUNK_ACTOR.queue_name)
    assert [message.actor_name for message in messages] == [CHUNK_ACTOR.actor_name] * 3
    assert [message.args[0] for message in messages] == ["challenge-42"] * 3
    chunks = [message.args[1] for message in messages]
    assert [len(chunk) for chunk in chunks] == [CHUNK_SIZE, CHUNK_SIZE, 20]
    assert [UUID(user_id) for chunk in chunks for user_id in chunk] == user_ids


async def test_a_chunk_run_twice_notifies_once_and_chunks_without_dedupe_keys_are_refused(
    connection: AsyncConnection, database: SavepointDatabase, push_broker: RedisBroker
) -> None:
    # Given a chunk of 50 recipients with devices
    user_ids = await insert_users(connection, CHUNK_SIZE)
    await add_devices(connection, user_ids)
    enqueuer = Enqueuer(push_broker)

    # When the chunk's message is delivered twice
    first = await notify_chunk(
        database, enqueuer, user_ids, build_drafts=challenge_notices, now=datetime.now(UTC)
    )
    second = await notify_chunk(
        database, enqueuer, user_ids, build_drafts=challenge_notices, now=datetime.now(UTC)
    )

    # Then the second run wrote nothing
    assert (len(first.notification_ids), first.deliveries) == (CHUNK_SIZE, CHUNK_SIZE)
    assert (second.notification_ids, second.deliveries) == ([], 0)
    # And a chunk whose notices have no dedupe keys is refused before writing anything
    with pytest.raises(ValueError, match="dedupe keys"):
        await notify_chunk(database, enqueuer, user_ids, build_drafts=unkeyed_notices, now=datetime.now(UTC))
