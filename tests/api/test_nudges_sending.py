"""POST /nudges: only between accepted partners, the daily limits on the sender's local date, the stored
row and the recipient's notice with its gate (§3.5, §3.10)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from api.nudges.schemas import NudgeCreateIn
from api.nudges.sending import send_nudge
from db.tables import notification_history, users
from domain.nudges import NudgeType
from tests.api.auth_support import MakeUser
from tests.api.nudges_support import NUDGES, notices_of, nudge_rows, partners, send
from tests.push.support import add_devices, set_preferences
from tests.support.rows import insert_goal_row
from tests.support.savepoint_database import SavepointDatabase
from tests.support.social_rows import insert_pair

NOON_UTC = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOON_UTC)


# --- The stored nudge and its notice -------------------------------------------------------------------


async def test_a_nudge_to_a_partner_is_stored_with_the_partnership_and_notifies_the_recipient(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given accepted partners, the recipient with a device, and a goal of the recipient
    pair = await partners(
        connection,
        make_user,
        sender_fields={"name": "Ada", "username": "ada", "profile_picture_url": "avatar_3"},
    )
    await add_devices(connection, [pair.recipient.id])
    goal_id = await insert_goal_row(connection, pair.recipient.id)

    # When the sender nudges them with an emoji name and a message, naming no partnership
    response = await send(
        client,
        pair.sender,
        pair.recipient.id,
        "nudge",
        message="  Time to move!  ",
        emoji="fire",
        goal_id=str(goal_id),
    )

    # Then the Nudge comes back with the server's partnership, the emoji as a character and the sender
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {
        "id": body["id"],
        "sender_id": str(pair.sender.id),
        "recipient_id": str(pair.recipient.id),
        "nudge_type": "nudge",
        "message": "Time to move!",
        "emoji": "🔥",
        "goal_id": str(goal_id),
        "challenge_id": None,
        "partnership_id": str(pair.partnership_id),
        "is_read": False,
        "read_at": None,
        "created_at": "2025-03-05T12:00:00Z",
        "sender": {
            "id": str(pair.sender.id),
            "name": "Ada",
            "username": "ada",
            "profile_picture_url": "avatar_3",
        },
    }
    [row] = await nudge_rows(connection, pair.sender.id)
    assert str(row.id) == body["id"]
    assert row.nudge_date.isoformat() == "2025-03-05"
    # And the recipient has one partner_nudge notice about the nudge, pending push
    [notice] = await notices_of(connection, pair.recipient.id)
    assert notice.notification_type == "partner_nudge"
    assert (notice.entity_type, notice.entity_id) == ("nudge", row.id)
    assert notice.ios_category == "partner_activity"
    assert notice.title == "Nudge from Ada 🔥"
    assert notice.body == "Time to move!"
    assert notice.data == {
        "type": "partner_nudge",
        "sender_id": str(pair.sender.id),
        "sender_name": "Ada",
        "partnership_id": str(pair.partnership_id),
        "goal_id": str(goal_id),
        "deepLink": "/(user)/profile/activity",
    }
    assert (notice.push_status, notice.skip_reason) == ("pending", None)
    # And the sender got nothing
    assert await notices_of(connection, pair.sender.id) == []


@pytest.mark.parametrize(
    ("nudge_type", "notification_type", "title"),
    [
        ("nudge", "partner_nudge", "Nudge from Ada"),
        ("competitive", "partner_nudge", "Ada is competing"),
        ("custom", "partner_nudge", "Message from Ada"),
        ("cheer", "partner_cheer", "Cheer from Ada"),
        ("milestone", "partner_milestone", "Congrats from Ada"),
    ],
)
async def test_each_type_gives_its_notice_type_with_the_default_text_without_a_message(
    client: AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    nudge_type: str,
    notification_type: str,
    title: str,
) -> None:
    pair = await partners(connection, make_user, sender_fields={"name": "Ada"})
    response = await send(client, pair.sender, pair.recipient.id, nudge_type)
    assert response.status_code == 201, response.text
    assert response.json()["message"] is None
    [notice] = await notices_of(connection, pair.recipient.id)
    assert (notice.notification_type, notice.title) == (notification_type, title)
    assert notice.body.startswith("Ada")
    # No device: the inbox row stays, the push is skipped
    assert (notice.push_status, notice.skip_reason) == ("skipped", "no_device")


async def test_an_unknown_emoji_is_kept_as_given_and_a_blank_one_or_message_stores_nothing(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    pair = await partners(connection, make_user)
    party = await send(client, pair.sender, pair.recipient.id, "cheer", emoji="🎉")
    blank = await send(client, pair.sender, pair.recipient.id, "cheer", emoji="  ", message="   ")
    assert party.json()["emoji"] == "🎉"
    assert (blank.json()["emoji"], blank.json()["message"]) == (None, None)


async def test_a_partnership_id_sent_by_the_client_is_ignored(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    pair = await partners(connection, make_user)
    response = await send(client, pair.sender, pair.recipient.id, "cheer", partnership_id=str(uuid4()))
    assert response.status_code == 201, response.text
    assert response.json()["partnership_id"] == str(pair.partnership_id)


async def test_the_partner_who_did_not_send_the_request_can_nudge_back(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    pair = await partners(connection, make_user)
    response = await send(client, pair.recipient, pair.sender.id, "cheer")
    assert response.status_code == 201, response.text


# --- The recipient's preferences and quiet hours --------------------------------------------------------


async def test_the_partners_switch_off_keeps_the_inbox_row_and_skips_the_push(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    pair = await partners(connection, make_user)
    await add_devices(connection, [pair.recipient.id])
    await set_preferences(connection, pair.recipient.id, partners=False)
    assert (await send(client, pair.sender, pair.recipient.id, "cheer")).status_code == 201
    [notice] = await notices_of(connection, pair.recipient.id)
    assert (notice.push_status, notice.skip_reason) == ("skipped", "category_off")


@pytest.mark.parametrize(
    ("recipient_zone", "push_status", "skip_reason"),
    [("Asia/Tokyo", "skipped", "quiet_hours"), ("UTC", "pending", None)],
    ids=["21:00-in-tokyo-is-quiet", "12:00-in-utc-is-not"],
)
async def test_quiet_hours_are_the_recipients_in_their_zone(
    client: AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    recipient_zone: str,
    push_status: str,
    skip_reason: str | None,
) -> None:
    # Given a recipient with quiet hours 20:00–07:00 and a device; it is 12:00 UTC
    pair = await partners(connection, make_user, recipient_fields={"timezone": recipient_zone})
    await add_devices(connection, [pair.recipient.id])
    await set_preferences(
        connection,
        pair.recipient.id,
        quiet_hours_enabled=True,
        quiet_hours_start=time(20, 0),
        quiet_hours_end=time(7, 0),
    )
    # When they are nudged
    assert (await send(client, pair.sender, pair.recipient.id, "nudge")).status_code == 201
    # Then the push waits for nothing: skipped in quiet hours, pending otherwise
    [notice] = await notices_of(connection, pair.recipient.id)
    assert (notice.push_status, notice.skip_reason) == (push_status, skip_reason)


# --- Who may nudge whom ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending", "blocked"])
async def test_a_pending_or_blocked_pair_is_refused_with_403_and_nothing_written(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, status: str
) -> None:
    pair = await partners(connection, make_user, status=status)
    for sender, recipient in ((pair.sender, pair.recipient), (pair.recipient, pair.sender)):
        response = await send(client, sender, recipient.id, "cheer")
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "not_partners"
    assert await nudge_rows(connection, pair.sender.id) == []
    assert await notices_of(connection, pair.recipient.id) == []


async def test_strangers_and_oneself_are_refused_with_403(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    pair = await partners(connection, make_user)
    stranger = await make_user()
    assert (await send(client, stranger, pair.recipient.id)).status_code == 403
    assert (await send(client, pair.sender, stranger.id)).status_code == 403
    assert (await send(client, pair.sender, pair.sender.id)).status_code == 403
    assert (await send(client, pair.sender, uuid4())).status_code == 403


async def test_partners_of_partners_are_not_partners(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given A–B and B–C accepted
    pair = await partners(connection, make_user)
    third = await make_user()
    await insert_pair(connection, pair.recipient.id, third.id)
    # Then A cannot nudge C
    assert (await send(client, pair.sender, third.id)).status_code == 403


async def test_a_partner_whose_account_is_disabled_is_refused_with_403(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    pair = await partners(connection, make_user)
    await connection.execute(
        sa.update(users).where(users.c.id == pair.recipient.id).values(status="disabled")
    )
    assert (await send(client, pair.sender, pair.recipient.id, "cheer")).status_code == 403


async def test_a_goal_must_belong_to_one_of_the_two_else_404(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given partners and goals of each, and a goal of a stranger
    pair = await partners(connection, make_user)
    own_goal = await insert_goal_row(connection, pair.sender.id)
    their_goal = await insert_goal_row(connection, pair.recipient.id)
    strangers_goal = await insert_goal_row(connection, (await make_user()).id)
    # Then the pair's goals are taken, the stranger's and an unknown one are 404 with nothing written
    for goal_id in (own_goal, their_goal):
        assert (
            await send(client, pair.sender, pair.recipient.id, "cheer", goal_id=str(goal_id))
        ).status_code == 201
    for goal_id in (strangers_goal, uuid4()):
        response = await send(client, pair.sender, pair.recipient.id, "cheer", goal_id=str(goal_id))
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "goal_not_found"
    assert len(await nudge_rows(connection, pair.sender.id)) == 2


# --- Daily limits on the sender's local date ------------------------------------------------------------


@pytest.mark.parametrize(("nudge_type", "limit"), [("nudge", 1), ("competitive", 3), ("custom", 5)])
async def test_limited_types_answer_429_past_their_daily_limit(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, nudge_type: str, limit: int
) -> None:
    pair = await partners(connection, make_user)
    statuses = [
        (await send(client, pair.sender, pair.recipient.id, nudge_type)).status_code for _ in range(limit + 1)
    ]
    assert statuses == [201] * limit + [429]
    refused = await send(client, pair.sender, pair.recipient.id, nudge_type)
    assert refused.status_code == 429
    assert refused.json() == {
        "detail": f"Daily limit reached: {limit} {nudge_type} a day to this partner.",
        "code": "daily_limit_reached",
        "limit": limit,
        "nudge_type": nudge_type,
    }
    assert len(await nudge_rows(connection, pair.sender.id)) == limit
    # Only the sent nudges were notified
    assert len(await notices_of(connection, pair.recipient.id)) == limit


async def test_limits_count_per_type_per_direction_and_cheers_and_milestones_are_unlimited(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    pair = await partners(connection, make_user)
    third = await make_user()
    await insert_pair(connection, pair.sender.id, third.id)
    # One nudge each to two partners, and one back: three different counts
    assert (await send(client, pair.sender, pair.recipient.id, "nudge")).status_code == 201
    assert (await send(client, pair.sender, third.id, "nudge")).status_code == 201
    assert (await send(client, pair.recipient, pair.sender.id, "nudge")).status_code == 201
    # Other types still go after the day's nudge; cheers and milestones have no limit
    assert (await send(client, pair.sender, pair.recipient.id, "competitive")).status_code == 201
    for nudge_type in ("cheer", "milestone"):
        statuses = {
            (await send(client, pair.sender, pair.recipient.id, nudge_type)).status_code for _ in range(8)
        }
        assert statuses == {201}


async def test_the_day_is_the_senders_local_day(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    # Given a sender in Auckland (UTC+13 in March) and one in UTC, each with a partner
    auckland = await partners(connection, make_user, sender_fields={"timezone": "Pacific/Auckland"})
    london = await partners(connection, make_user, sender_fields={"timezone": "UTC"})

    async def nudge_at(instant: datetime) -> list[int]:
        clock.instant = instant
        return [
            (await send(client, pair.sender, pair.recipient.id, "nudge")).status_code
            for pair in (auckland, london)
        ]

    # When both nudge at 10:30 UTC (23:30 on March 5th in Auckland) and again at 11:30 UTC (00:30 on the 6th)
    first = await nudge_at(datetime(2025, 3, 5, 10, 30, tzinfo=UTC))
    second = await nudge_at(datetime(2025, 3, 5, 11, 30, tzinfo=UTC))

    # Then the Auckland sender is on a new day and may nudge again; the UTC sender is not
    assert first == [201, 201]
    assert second == [201, 429]
    dates = [row.nudge_date.isoformat() for row in await nudge_rows(connection, auckland.sender.id)]
    assert dates == ["2025-03-05", "2025-03-06"]
    # And the next UTC day opens the UTC sender's limit again
    assert await nudge_at(datetime(2025, 3, 6, 0, 0, tzinfo=UTC)) == [429, 201]


# --- Malformed input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"nudge_type": "poke"},
        {"nudge_type": None},
        {"recipient_id": "not-a-uuid"},
        {"goal_id": "not-a-uuid"},
        {"message": "x" * 501},
        {"emoji": "x" * 33},
        {"message": 5},
        {"surprise": True},
    ],
    ids=[
        "unknown-type",
        "null-type",
        "bad-recipient",
        "bad-goal",
        "long-message",
        "long-emoji",
        "number",
        "unknown",
    ],
)
async def test_malformed_bodies_are_422(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, body: dict[str, Any]
) -> None:
    pair = await partners(connection, make_user)
    full = {"recipient_id": str(pair.recipient.id), "nudge_type": "custom", **body}
    response = await client.post(NUDGES, json=full, headers=pair.sender.headers)
    assert response.status_code == 422, response.text
    assert {"detail", "code"} <= response.json().keys()
    assert await nudge_rows(connection, pair.sender.id) == []


async def test_a_message_at_its_bound_is_taken(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    pair = await partners(connection, make_user)
    response = await send(client, pair.sender, pair.recipient.id, "custom", message="x" * 500, emoji="x" * 32)
    assert response.status_code == 201, response.text
    assert response.json()["message"] == "x" * 500
    # The push shows a clipped body; the row keeps the whole message
    [notice] = await notices_of(connection, pair.recipient.id)
    assert len(notice.body) <= 150


async def test_a_send_rolled_back_after_the_notice_leaves_neither_nudge_nor_notice(
    make_user: MakeUser, connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given partners, the recipient with a device
    pair = await partners(connection, make_user)
    await add_devices(connection, [pair.recipient.id])

    # When the transaction that sent the nudge fails afterwards
    async def send_then_fail() -> None:
        async with database.transaction() as tx:
            body = NudgeCreateIn(pair.recipient.id, NudgeType.CHEER)
            await send_nudge(tx, pair.sender.id, body, now=NOON_UTC)
            raise RuntimeError("a later step failed")

    with pytest.raises(RuntimeError):
        await send_then_fail()

    # Then nothing of it remains
    assert await nudge_rows(connection, pair.sender.id) == []
    assert await notices_of(connection, pair.recipient.id) == []


async def test_a_first_cheer_unlocks_the_senders_badge_in_the_same_transaction(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given two partners
    sender, recipient = await make_user(), await make_user()
    await insert_pair(connection, sender.id, recipient.id)

    # When the sender cheers for the first time
    response = await client.post(
        NUDGES, json={"recipient_id": str(recipient.id), "nudge_type": "cheer"}, headers=sender.headers
    )

    # Then the sender holds "Cheerleader" (and "First Ally", never evaluated since the partnership
    # row was written directly), and the recipient, a partner, hears of both in one notice
    assert response.status_code == 201, response.text
    badges = (await client.get("/api/v1/achievements/me", headers=sender.headers)).json()
    assert {badge["badge_key"] for badge in badges} == {"first_cheer", "first_partner"}
    assert {badge["metadata"]["source_type"] for badge in badges} == {"nudge"}
    types = await connection.scalars(
        sa.select(notification_history.c.notification_type).where(
            notification_history.c.user_id == recipient.id
        )
    )
    assert sorted(types) == ["partner_cheer", "partner_milestone"]
