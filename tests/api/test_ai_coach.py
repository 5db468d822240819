"""/ai-coach (api/ai_coach/controller.py; docs/coach.md): the shapes the app reads, paging, the current
conversation, delete, the asynchronous turn with its quota, and bonus messages for rewarded ads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db import plans
from db.coach_usage import release_message_quota
from db.tables import ai_coach_ad_rewards, ai_coach_daily_usage, ai_coach_messages, user_achievements
from services.addresses import COACH_REPLY
from settings import Settings
from tests.support.coach_rows import insert_conversation
from tests.support.queues import probed_queue
from tests.support.rows import insert_goal_row, utc
from tests.support.users import ApiUser

MakeUser = Callable[..., Awaitable[ApiUser]]
COACH = "/api/v1/ai-coach"
# Tuesday 2026-03-10, 12:00 UTC.
NOON = utc("2026-03-10T12:00")
SUMMARY_FIELDS = {"id", "title", "message_count", "last_message_at", "created_at"}
DETAIL_FIELDS = SUMMARY_FIELDS | {"messages", "has_more_messages", "total_messages"}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOON)


async def send(
    client: httpx.AsyncClient, user: ApiUser, message: str = "Help me run more", **fields: Any
) -> httpx.Response:
    return await client.post(f"{COACH}/chat/async", json={"message": message, **fields}, headers=user.headers)


async def sent(client: httpx.AsyncClient, user: ApiUser, message: str = "Hi coach", **fields: Any) -> Any:
    response = await send(client, user, message, **fields)
    assert response.status_code == 200, response.text
    return response.json()


async def get(client: httpx.AsyncClient, user: ApiUser, path: str, **params: Any) -> Any:
    response = await client.get(f"{COACH}{path}", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def unlock(client: httpx.AsyncClient, user: ApiUser, **body: Any) -> httpx.Response:
    headers = {**user.headers, **body.pop("headers", {})}
    payload = {"reward_type": "ai_message", "reward_amount": 1, **body}
    return await client.post(f"{COACH}/unlock-message", json=payload, headers=headers)


async def test_a_sent_message_is_stored_pending_and_its_reply_queued(
    client: httpx.AsyncClient, make_user: MakeUser, redis: aioredis.Redis, settings: Settings
) -> None:
    # Given a free user
    user = await make_user()
    # When they send a message (with blanks around it)
    async with probed_queue(redis, settings, COACH_REPLY.queue_name) as queue:
        body = await sent(client, user, "  Help me run more  ", language="es")
        queued = await queue.messages()
    # Then the answer has the ids the app reads, and the reply is queued with the message's id
    assert body["status"] == body["message_status"] == "pending"
    assert body["success"] is True
    assert body["message_index"] == 0
    assert [(m["actor_name"], m["args"]) for m in queued] == [("coach.reply", [body["user_message_id"]])]
    # And the conversation holds the trimmed message, pending
    detail = await get(client, user, f"/conversations/{body['conversation_id']}")
    assert set(detail) == DETAIL_FIELDS
    assert detail["id"] == body["conversation_id"]
    assert [(m["role"], m["content"], m["status"]) for m in detail["messages"]] == [
        ("user", "Help me run more", "pending")
    ]
    assert (detail["message_count"], detail["total_messages"], detail["has_more_messages"]) == (1, 1, False)
    # And today's allowance shows it used
    assert await get(client, user, "/rate-limit") == {
        "can_send": True,
        "remaining_messages": 2,
        "daily_limit": 3,
        "resets_at": "2026-03-11T00:00:00Z",
    }


async def test_the_day_and_its_reset_are_the_callers_local_ones(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    # Given a user in Auckland (UTC+13 in March): 12:00 UTC is 01:00 on Wednesday 11 March there
    user = await make_user(timezone="Pacific/Auckland")
    await sent(client, user)
    # Then the message counts on the local date, and the allowance resets at the next local midnight
    usage_date = await connection.scalar(
        sa.select(ai_coach_daily_usage.c.usage_date).where(ai_coach_daily_usage.c.user_id == user.id)
    )
    assert str(usage_date) == "2026-03-11"
    limit = await get(client, user, "/rate-limit")
    assert (limit["remaining_messages"], limit["resets_at"]) == (2, "2026-03-11T11:00:00Z")
    # And after that midnight, the allowance is whole again
    clock.instant = utc("2026-03-11T11:00")
    assert (await get(client, user, "/rate-limit"))["remaining_messages"] == 3


async def test_over_the_daily_limit_a_send_is_429_and_writes_nothing(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    redis: aioredis.Redis,
    settings: Settings,
) -> None:
    # Given a free user who has sent their 3 messages today
    user = await make_user()
    for _ in range(3):
        await sent(client, user)
    # When they send a fourth, to a new conversation
    async with probed_queue(redis, settings, COACH_REPLY.queue_name) as queue:
        response = await send(client, user, force_new=True)
        queued = await queue.messages()
    # Then 429 with the limit, no fourth message, no new conversation, and no reply queued
    assert response.status_code == 429, response.text
    assert queued == []
    assert (await get(client, user, "/conversations"))["total_count"] == 1
    assert response.json()["code"] == "ai_coach_daily_limit"
    assert response.json()["daily_limit"] == 3
    assert "Daily message limit reached (3 messages)" in response.json()["detail"]
    stored = await connection.scalar(
        sa.select(sa.func.count())
        .select_from(ai_coach_messages)
        .where(ai_coach_messages.c.user_id == user.id)
    )
    assert stored == 3
    assert await get(client, user, "/rate-limit") == {
        "can_send": False,
        "remaining_messages": 0,
        "daily_limit": 3,
        "resets_at": "2026-03-11T00:00:00Z",
    }


async def test_premium_has_its_own_limit(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user(plan="premium")
    await sent(client, user)
    limit = await get(client, user, "/rate-limit")
    assert (limit["daily_limit"], limit["remaining_messages"]) == (100, 99)


@pytest.mark.parametrize("message", ["", "   \n ", "x" * 2001, " " + "x" * 2001])
async def test_a_message_of_the_wrong_length_is_422(
    client: httpx.AsyncClient, make_user: MakeUser, message: str
) -> None:
    user = await make_user()
    response = await send(client, user, message)
    assert response.status_code == 422, response.text
    assert (await get(client, user, "/rate-limit"))["remaining_messages"] == 3


async def test_two_thousand_characters_after_trimming_are_accepted(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    body = await sent(client, user, "  " + "x" * 2000 + "  ")
    detail = await get(client, user, f"/conversations/{body['conversation_id']}")
    assert len(detail["messages"][0]["content"]) == 2000


async def test_a_goal_of_another_user_is_refused_and_ones_own_is_kept(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user, other = await make_user(), await make_user()
    theirs, mine = await insert_goal_row(connection, other.id), await insert_goal_row(connection, user.id)
    refused = await send(client, user, goal_id=str(theirs))
    assert (refused.status_code, refused.json()["code"]) == (404, "goal_not_found")
    body = await sent(client, user, goal_id=str(mine))
    stored = await connection.scalar(
        sa.select(ai_coach_messages.c.goal_id).where(ai_coach_messages.c.id == UUID(body["user_message_id"]))
    )
    assert stored == mine
    assert (await get(client, user, "/rate-limit"))["remaining_messages"] == 2


async def test_another_users_conversation_is_404_everywhere(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # Given A's conversation
    owner, other = await make_user(), await make_user()
    conversation_id = (await sent(client, owner))["conversation_id"]
    # Then B can neither read it nor write to it, and B's quota is untouched
    read = await client.get(f"{COACH}/conversations/{conversation_id}", headers=other.headers)
    assert (read.status_code, read.json()["code"]) == (404, "conversation_not_found")
    written = await send(client, other, conversation_id=conversation_id)
    assert (written.status_code, written.json()["code"]) == (404, "conversation_not_found")
    assert (await get(client, other, "/rate-limit"))["remaining_messages"] == 3
    assert await get(client, other, "/conversations") == {
        "conversations": [],
        "has_more": False,
        "total_count": 0,
    }
    assert await get(client, other, "/conversations/current") is None
    # And an unknown id is the same 404
    unknown = await client.get(f"{COACH}/conversations/{uuid4()}", headers=other.headers)
    assert unknown.status_code == 404


async def test_the_current_conversation_is_the_latest_active_one(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    # Given no conversation: current is JSON null
    user = await make_user()
    response = await client.get(f"{COACH}/conversations/current", headers=user.headers)
    assert (response.status_code, response.text) == (200, "null")
    # Given an older conversation, a newer one and a still newer archived one
    older = await insert_conversation(
        connection, user.id, last_message_at=NOON - timedelta(days=2), messages=2
    )
    newer = await insert_conversation(
        connection, user.id, last_message_at=NOON - timedelta(days=1), messages=2
    )
    await insert_conversation(connection, user.id, last_message_at=NOON, messages=2, archived=True)
    assert (await get(client, user, "/conversations/current"))["id"] == str(newer)
    # When a message goes without a conversation id, it goes to the current one
    assert (await sent(client, user))["conversation_id"] == str(newer)
    # When one goes to the older conversation, that one becomes current
    clock.instant = NOON + timedelta(minutes=1)
    body = await sent(client, user, conversation_id=str(older))
    assert body["conversation_id"] == str(older)
    assert body["message_index"] == 2
    current = await get(client, user, "/conversations/current")
    assert current["id"] == str(older)
    assert current["last_message_at"] == "2026-03-10T12:01:00Z"
    # When the app starts a new chat (force_new, even with the old id), a new conversation is current
    clock.instant = NOON + timedelta(minutes=2)
    fresh = await sent(client, user, conversation_id=str(older), force_new=True)
    assert fresh["conversation_id"] not in (str(older), str(newer))
    assert fresh["message_index"] == 0
    assert (await get(client, user, "/conversations/current"))["id"] == fresh["conversation_id"]


async def test_a_new_empty_conversation_is_current_and_listed(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    response = await client.post(f"{COACH}/conversations/new", json={}, headers=user.headers)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert set(summary) == SUMMARY_FIELDS
    assert (summary["title"], summary["message_count"]) == (None, 0)
    current = await get(client, user, "/conversations/current")
    assert (current["id"], current["messages"], current["has_more_messages"]) == (summary["id"], [], False)
    assert (await sent(client, user))["conversation_id"] == summary["id"]


async def test_conversations_page_by_offset_and_by_cursor_in_one_stable_order(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given five listed conversations (two with the same last activity), an archived one, and another
    # user's
    user = await make_user()
    times = [NOON - timedelta(hours=hours) for hours in (5, 4, 3, 3, 1)]
    ids = [await insert_conversation(connection, user.id, last_message_at=at, messages=1) for at in times]
    await insert_conversation(connection, user.id, last_message_at=NOON, archived=True)
    await insert_conversation(connection, (await make_user()).id, last_message_at=NOON)
    expected = [str(conversation) for _, conversation in sorted(zip(times, ids, strict=True), reverse=True)]

    # When the app pages by offset, two at a time
    by_offset: list[str] = []
    for offset in (0, 2, 4):
        page = await get(client, user, "/conversations", limit=2, offset=offset)
        assert page["total_count"] == 5
        assert page["has_more"] is (offset < 4)
        assert all(set(item) == SUMMARY_FIELDS for item in page["conversations"])
        by_offset += [item["id"] for item in page["conversations"]]
    # And by cursor
    by_cursor: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = await get(client, user, "/conversations", **params)
        by_cursor += [item["id"] for item in page["conversations"]]
        if "next_cursor" not in page:
            assert page["has_more"] is False
            break
        params = {"limit": 2, "cursor": page["next_cursor"]}
    # Then both give every listed conversation once, latest activity first (ties by id)
    assert by_offset == by_cursor == expected
    # And the default page holds them all
    assert [item["id"] for item in (await get(client, user, "/conversations"))["conversations"]] == expected


async def test_messages_page_back_from_the_newest_oldest_first_within_a_page(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    conversation = await insert_conversation(connection, user.id, last_message_at=NOON, messages=7)
    pages = []
    for offset in (0, 3, 6):
        page = await get(
            client, user, f"/conversations/{conversation}", message_limit=3, message_offset=offset
        )
        pages.append(([m["content"] for m in page["messages"]], page["has_more_messages"]))
        assert page["total_messages"] == page["message_count"] == 7
    assert pages == [
        (["message 4", "message 5", "message 6"], True),
        (["message 1", "message 2", "message 3"], True),
        (["message 0"], False),
    ]
    first = (await get(client, user, f"/conversations/{conversation}"))["messages"][0]
    assert set(first) == {"message_id", "message_index", "role", "content", "status", "created_at"}
    assert (first["role"], first["message_index"], first["status"]) == ("user", 0, "completed")
    # The current conversation pages the same way
    current = await get(client, user, "/conversations/current", message_limit=2, message_offset=1)
    assert [m["content"] for m in current["messages"]] == ["message 4", "message 5"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/conversations", {"limit": 51}),
        ("/conversations", {"limit": 0}),
        ("/conversations", {"offset": -1}),
        ("/conversations", {"cursor": "not-a-cursor"}),
        ("/conversations/current", {"message_limit": 101}),
        ("/conversations/current", {"message_offset": -1}),
    ],
)
async def test_paging_parameters_out_of_bounds_are_422(
    client: httpx.AsyncClient, make_user: MakeUser, path: str, params: dict[str, Any]
) -> None:
    user = await make_user()
    response = await client.get(f"{COACH}{path}", params=params, headers=user.headers)
    assert response.status_code == 422, response.text


async def test_history_keeps_the_newest_hundred_messages(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a conversation of 101 messages (the cap, plus the last reply)
    user = await make_user()
    conversation = await insert_conversation(
        connection, user.id, last_message_at=NOON - timedelta(minutes=1), messages=101
    )
    # When the user sends one more
    body = await sent(client, user, "one more", conversation_id=str(conversation))
    # Then it goes at the end, and the two oldest are gone
    assert body["message_index"] == 101
    positions = (
        await connection.scalars(
            sa.select(ai_coach_messages.c.position)
            .where(ai_coach_messages.c.conversation_id == conversation)
            .order_by(ai_coach_messages.c.position)
        )
    ).all()
    assert positions == list(range(2, 102))
    detail = await get(client, user, f"/conversations/{conversation}", message_limit=1)
    assert (detail["messages"][0]["content"], detail["total_messages"]) == ("one more", 100)
    listed = (await get(client, user, "/conversations"))["conversations"][0]
    assert listed["message_count"] == 100


async def test_a_retry_repends_the_failed_message_and_counts_it_again(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    redis: aioredis.Redis,
    settings: Settings,
) -> None:
    # Given a message whose turn failed for good (and gave its message back)
    user = await make_user()
    first = await sent(client, user, "Plan my week")
    message_id = UUID(first["user_message_id"])
    await connection.execute(
        sa.update(ai_coach_messages).where(ai_coach_messages.c.id == message_id).values(status="failed")
    )
    await connection.execute(
        sa.update(ai_coach_daily_usage)
        .where(ai_coach_daily_usage.c.user_id == user.id)
        .values(message_count=0)
    )
    # When the app retries it
    async with probed_queue(redis, settings, COACH_REPLY.queue_name) as queue:
        retried = await sent(client, user, "Plan my week", is_retry=True)
        queued = await queue.messages()
    # Then the same message is pending again, queued again, and counted again; nothing was appended
    assert (retried["conversation_id"], retried["user_message_id"], retried["message_index"]) == (
        first["conversation_id"],
        first["user_message_id"],
        0,
    )
    assert [m["args"] for m in queued] == [[first["user_message_id"]]]
    detail = await get(client, user, f"/conversations/{first['conversation_id']}")
    assert [(m["content"], m["status"]) for m in detail["messages"]] == [("Plan my week", "pending")]
    assert (await get(client, user, "/rate-limit"))["remaining_messages"] == 2
    # When it retries while the message is still pending, nothing changes and nothing is counted
    again = await sent(client, user, "Plan my week", is_retry=True)
    assert again["user_message_id"] == first["user_message_id"]
    assert (await get(client, user, "/rate-limit"))["remaining_messages"] == 2


async def test_a_retry_with_nothing_to_retry_is_a_new_message(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    conversation = await insert_conversation(connection, user.id, last_message_at=NOON, messages=2)
    body = await sent(client, user, "Again", conversation_id=str(conversation), is_retry=True)
    assert body["message_index"] == 2
    assert (await get(client, user, f"/conversations/{conversation}"))["total_messages"] == 3


async def test_delete_removes_ones_own_conversation_and_answers_200_when_absent(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user, other = await make_user(), await make_user()
    mine = (await sent(client, user))["conversation_id"]
    theirs = (await sent(client, other))["conversation_id"]
    for conversation in (mine, mine, str(uuid4()), theirs):
        response = await client.delete(f"{COACH}/conversations/{conversation}", headers=user.headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"success": True, "message": "Conversation deleted"}
    assert await get(client, user, "/conversations/current") is None
    assert (await get(client, other, "/conversations/current"))["id"] == theirs
    left = await connection.scalar(
        sa.select(sa.func.count())
        .select_from(ai_coach_messages)
        .where(ai_coach_messages.c.user_id == user.id)
    )
    assert left == 0
    # The day's count stays: deleting a conversation gives no messages back
    assert (await get(client, user, "/rate-limit"))["remaining_messages"] == 2


async def test_access_reports_the_plan_and_every_other_route_needs_the_feature(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = await make_user()
    assert await get(client, user, "/access") == {"has_access": True}
    # Given a free plan without the coach
    await connection.execute(
        sa.text(
            "UPDATE plan_features SET feature_value = 0 "
            "WHERE plan_id = 'free' AND feature_key = 'ai_coach_chat'"
        )
    )
    # The process's cached catalogue is dropped for this test (and put back afterwards).
    monkeypatch.setattr(plans, "_PROCESS_CACHE", plans.PlanCatalogCache())
    assert await get(client, user, "/access") == {
        "has_access": False,
        "reason": "The AI coach is not part of your plan.",
    }
    calls = [
        ("GET", "/rate-limit", None),
        ("GET", "/conversations", None),
        ("GET", "/conversations/current", None),
        ("GET", f"/conversations/{uuid4()}", None),
        ("DELETE", f"/conversations/{uuid4()}", None),
        ("POST", "/conversations/new", {}),
        ("POST", "/chat/async", {"message": "hi"}),
        ("POST", "/unlock-message", {"reward_type": "ai_message", "reward_amount": 1}),
    ]
    for method, path, body in calls:
        response = await client.request(method, f"{COACH}{path}", json=body, headers=user.headers)
        assert (response.status_code, response.json()["code"]) == (403, "ai_coach_feature_required"), path


async def test_an_unlock_adds_bonus_messages_to_today(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    # Given a free user who has used their 3 messages
    user = await make_user()
    for _ in range(3):
        await sent(client, user)
    # When they watch an ad
    response = await unlock(client, user)
    # Then one more message today, shown in the limit the app compares with
    assert response.status_code == 200, response.text
    assert response.json() == {
        "success": True,
        "messages_unlocked": 1,
        "remaining_messages": 1,
        "daily_limit": 4,
    }
    assert await get(client, user, "/rate-limit") == {
        "can_send": True,
        "remaining_messages": 1,
        "daily_limit": 4,
        "resets_at": "2026-03-11T00:00:00Z",
    }
    await sent(client, user)
    assert (await send(client, user)).status_code == 429


async def test_unlocks_stop_at_ten_bonus_messages_a_day(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FixedClock
) -> None:
    user = await make_user()
    granted = [(await unlock(client, user, reward_amount=4)).json()["messages_unlocked"] for _ in range(3)]
    assert granted == [4, 4, 2]
    capped = await unlock(client, user)
    assert (capped.status_code, capped.json()["code"]) == (429, "ai_coach_bonus_limit")
    assert (await get(client, user, "/rate-limit"))["daily_limit"] == 13
    # The next local day starts without bonus
    clock.instant = NOON + timedelta(days=1)
    assert (await get(client, user, "/rate-limit"))["daily_limit"] == 3
    assert (await unlock(client, user)).status_code == 200


async def test_an_unlock_naming_its_ad_counts_once(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    # The same ad twice, by body field and by header: counted once each
    first = await unlock(client, user, reward_id="ad-1", reward_amount=2)
    replay = await unlock(client, user, reward_id="ad-1", reward_amount=2)
    assert (
        first.json()
        == replay.json()
        == {
            "success": True,
            "messages_unlocked": 2,
            "remaining_messages": 5,
            "daily_limit": 5,
        }
    )
    by_header = [await unlock(client, user, headers={"Idempotency-Key": "ad-2"}) for _ in range(2)]
    assert [response.json()["daily_limit"] for response in by_header] == [6, 6]
    # Without an id, every call counts
    assert [(await unlock(client, user)).json()["daily_limit"] for _ in range(2)] == [7, 8]
    claims = (
        await connection.execute(
            sa.select(ai_coach_ad_rewards.c.reward_id, ai_coach_ad_rewards.c.messages_unlocked)
            .where(ai_coach_ad_rewards.c.user_id == user.id)
            .order_by(ai_coach_ad_rewards.c.reward_id)
        )
    ).all()
    assert [tuple(claim) for claim in claims] == [("ad-1", 2), ("ad-2", 1)]
    # Another user's claim of the same ad id is their own
    other = await make_user()
    assert (await unlock(client, other, reward_id="ad-1")).json()["messages_unlocked"] == 1


@pytest.mark.parametrize(
    ("plan", "body", "status", "code"),
    [
        ("premium", {}, 400, "premium_has_no_ads"),
        ("free", {"reward_type": "coins"}, 400, "invalid_reward_type"),
        ("free", {"reward_amount": 6}, 422, "validation_error"),
        ("free", {"reward_amount": 0}, 422, "validation_error"),
    ],
)
async def test_an_unlock_is_refused(
    client: httpx.AsyncClient, make_user: MakeUser, plan: str, body: dict[str, Any], status: int, code: str
) -> None:
    user = await make_user(plan=plan)
    response = await unlock(client, user, **body)
    assert (response.status_code, response.json()["code"]) == (status, code)


async def test_sent_messages_earn_the_coach_badges(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a premium user with nine messages sent on earlier days
    user = await make_user(plan="premium")
    await connection.execute(
        sa.insert(ai_coach_daily_usage).values(
            user_id=user.id, usage_date=NOON.date() - timedelta(days=1), message_count=9
        )
    )
    # When the tenth goes out
    await sent(client, user)
    # Then "Send 10 messages to your AI coach" is unlocked
    unlocked = await connection.scalars(
        sa.select(user_achievements.c["metadata"]["source_type"].astext).where(
            user_achievements.c.user_id == user.id
        )
    )
    assert "coach_message" in unlocked.all()


async def test_a_failed_turn_gives_its_message_back_once(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    # Given a message accepted just before local midnight
    user = await make_user()
    clock.instant = utc("2026-03-10T23:59")
    message_id = UUID((await sent(client, user))["user_message_id"])
    # When its turn fails for good after midnight, and the release is repeated
    clock.instant = utc("2026-03-11T00:01")
    await sent(client, user)
    released = [await release_message_quota(connection, message_id) for _ in range(2)]
    # Then the day it was counted on gets it back, once; the new day keeps its own message
    assert released == [True, False]
    counts = (
        await connection.execute(
            sa.select(ai_coach_daily_usage.c.usage_date, ai_coach_daily_usage.c.message_count)
            .where(ai_coach_daily_usage.c.user_id == user.id)
            .order_by(ai_coach_daily_usage.c.usage_date)
        )
    ).all()
    assert [(str(day), count) for day, count in counts] == [("2026-03-10", 0), ("2026-03-11", 1)]
