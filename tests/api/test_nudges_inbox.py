"""GET /nudges, /nudges/sent, /nudges/unread-count, PATCH read and read-all, DELETE: each scoped to the
caller, paged by keyset cursor or the app's offset (§3.5, §5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.clock import FixedClock
from db.tables import notification_history, social_nudges
from tests.api.auth_support import MakeUser
from tests.api.checkins_support import counted_statements
from tests.api.nudges_support import NUDGES, Pair, notices_of, partners, send
from tests.support.social_rows import insert_pair
from tests.support.users import ApiUser

START = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


async def cheers(client: AsyncClient, clock: FixedClock, pair: Pair, count: int) -> list[str]:
    """`count` cheers from sender to recipient, a minute apart; their ids, oldest first."""
    ids = []
    for _ in range(count):
        clock.instant += timedelta(minutes=1)
        response = await send(client, pair.sender, pair.recipient.id, "cheer")
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


async def get(
    client: AsyncClient, user: ApiUser, path: str = "", **params: str | int
) -> list[dict[str, Any]]:
    response = await client.get(NUDGES + path, params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


# --- Lists ----------------------------------------------------------------------------------------------


async def test_received_and_sent_lists_are_newest_first_with_the_sender_and_only_the_callers(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    # Given two cheers one way and one back, and a nudge between two other users
    pair = await partners(connection, make_user, sender_fields={"name": "Ada", "username": "ada"})
    sent = await cheers(client, clock, pair, 2)
    clock.instant += timedelta(minutes=1)
    back = (await send(client, pair.recipient, pair.sender.id, "cheer")).json()["id"]
    others = await partners(connection, make_user)
    await cheers(client, clock, others, 1)

    # Then each side sees its own, newest first
    received = await get(client, pair.recipient)
    assert [item["id"] for item in received] == sent[::-1]
    assert received[0]["sender"] == {
        "id": str(pair.sender.id),
        "name": "Ada",
        "username": "ada",
        "profile_picture_url": None,
    }
    assert [item["id"] for item in await get(client, pair.sender, "/sent")] == sent[::-1]
    assert [item["id"] for item in await get(client, pair.sender)] == [back]
    assert [item["id"] for item in await get(client, pair.recipient, "/sent")] == [back]


async def test_pages_follow_the_cursor_or_the_apps_offset(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    pair = await partners(connection, make_user)
    newest_first = (await cheers(client, clock, pair, 5))[::-1]

    # Keyset: two pages of two and a last one of one, the cursor in X-Next-Cursor
    seen, cursor = [], None
    for _ in range(3):
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        response = await client.get(NUDGES, params=params, headers=pair.recipient.headers)
        seen += [item["id"] for item in response.json()]
        cursor = response.headers.get("X-Next-Cursor")
    assert seen == newest_first
    assert cursor is None

    # Offset, as the app sends it (limit=50&offset=0), and past the start
    assert [item["id"] for item in await get(client, pair.recipient, limit=50, offset=0)] == newest_first
    assert [item["id"] for item in await get(client, pair.recipient, limit=2, offset=3)] == newest_first[3:]
    assert [
        item["id"] for item in await get(client, pair.sender, "/sent", limit=2, offset=1)
    ] == newest_first[1:3]


async def test_unread_only_lists_the_unread_and_the_count_agrees(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    pair = await partners(connection, make_user)
    first, second, third = await cheers(client, clock, pair, 3)
    assert (
        await client.patch(f"{NUDGES}/{second}/read", json={}, headers=pair.recipient.headers)
    ).status_code == 200

    unread = await get(client, pair.recipient, unread_only="true")
    assert [item["id"] for item in unread] == [third, first]
    assert len(await get(client, pair.recipient, unread_only="false")) == 3
    count = await client.get(f"{NUDGES}/unread-count", headers=pair.recipient.headers)
    assert count.json() == {"unread_count": 2}
    # Sent nudges are not the sender's unread
    assert (await client.get(f"{NUDGES}/unread-count", headers=pair.sender.headers)).json() == {
        "unread_count": 0
    }


async def test_a_page_costs_one_statement_whatever_its_size(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, engine: AsyncEngine
) -> None:
    # Given nudges from three different senders
    recipient = await make_user()
    for _ in range(3):
        sender = await make_user()
        await insert_pair(connection, sender.id, recipient.id)
        await send(client, sender, recipient.id, "cheer")
    # When the recipient lists them, the senders come in the page's statement, not one per row
    with counted_statements(engine) as statements:
        page = await get(client, recipient)
    assert len(page) == 3
    assert len([sql for sql in statements if "social_nudges" in sql]) == 1


# --- Read, read-all ------------------------------------------------------------------------------------


async def test_reading_sets_is_read_and_read_at_once(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    pair = await partners(connection, make_user)
    [nudge_id] = await cheers(client, clock, pair, 1)
    read_at = clock.instant + timedelta(hours=1)
    clock.instant = read_at

    first = await client.patch(f"{NUDGES}/{nudge_id}/read", json={}, headers=pair.recipient.headers)
    clock.instant += timedelta(hours=1)
    again = await client.patch(f"{NUDGES}/{nudge_id}/read", headers=pair.recipient.headers)

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json() == {"message": "Nudge marked as read."}
    [item] = await get(client, pair.recipient)
    assert item["is_read"] is True
    assert datetime.fromisoformat(item["read_at"]) == read_at


async def test_read_all_marks_every_unread_received_nudge_and_says_how_many(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    pair = await partners(connection, make_user)
    first, _ = await cheers(client, clock, pair, 2)
    await client.patch(f"{NUDGES}/{first}/read", json={}, headers=pair.recipient.headers)
    clock.instant += timedelta(minutes=1)
    back = await send(client, pair.recipient, pair.sender.id, "cheer")

    response = await client.patch(f"{NUDGES}/read-all", json={}, headers=pair.recipient.headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Marked 1 nudges as read.", "count": 1}
    assert all(item["is_read"] for item in await get(client, pair.recipient))
    # The nudge the recipient sent stays unread for its own recipient
    [unread] = await get(client, pair.sender, unread_only="true")
    assert unread["id"] == back.json()["id"]
    again = await client.patch(f"{NUDGES}/read-all", headers=pair.recipient.headers)
    assert again.json()["count"] == 0


async def test_only_the_recipient_may_mark_a_nudge_read(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    pair = await partners(connection, make_user)
    [nudge_id] = await cheers(client, clock, pair, 1)
    stranger = await make_user()
    for user in (pair.sender, stranger):
        response = await client.patch(f"{NUDGES}/{nudge_id}/read", json={}, headers=user.headers)
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "nudge_not_found"
    assert (await client.patch(f"{NUDGES}/{uuid4()}/read", headers=pair.recipient.headers)).status_code == 404
    [item] = await get(client, pair.recipient)
    assert item["is_read"] is False


# --- Delete --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("deleter", ["sender", "recipient"])
async def test_either_party_deletes_a_nudge_with_its_inbox_row(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock, deleter: str
) -> None:
    pair = await partners(connection, make_user)
    kept, deleted = await cheers(client, clock, pair, 2)
    user = pair.sender if deleter == "sender" else pair.recipient

    response = await client.delete(f"{NUDGES}/{deleted}", headers=user.headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Nudge deleted."}
    assert [item["id"] for item in await get(client, pair.recipient)] == [kept]
    assert [notice.entity_id for notice in await notices_of(connection, pair.recipient.id)] == [UUID(kept)]
    assert (await client.delete(f"{NUDGES}/{deleted}", headers=user.headers)).status_code == 404


async def test_no_one_else_deletes_a_nudge_or_its_notice(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    pair = await partners(connection, make_user)
    [nudge_id] = await cheers(client, clock, pair, 1)
    stranger = await make_user()
    response = await client.delete(f"{NUDGES}/{nudge_id}", headers=stranger.headers)
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "nudge_not_found"
    assert await connection.scalar(sa.select(sa.func.count()).select_from(social_nudges)) == 1
    nudge_notices = sa.select(sa.func.count()).where(notification_history.c.entity_id == nudge_id)
    assert await connection.scalar(nudge_notices) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [("PATCH", "/not-a-uuid/read"), ("DELETE", "/not-a-uuid"), ("DELETE", "/123")],
)
async def test_a_malformed_id_is_a_4xx(
    client: AsyncClient, make_user: MakeUser, method: str, path: str
) -> None:
    user = await make_user()
    response = await client.request(method, NUDGES + path, headers=user.headers)
    assert 400 <= response.status_code < 500, response.text
    assert {"detail", "code"} <= response.json().keys()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ""),
        ("GET", "/sent"),
        ("GET", "/unread-count"),
        ("POST", ""),
        ("PATCH", "/read-all"),
        ("PATCH", f"/{uuid4()}/read"),
        ("DELETE", f"/{uuid4()}"),
    ],
)
async def test_every_route_needs_a_token(client: AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, NUDGES + path)
    assert response.status_code == 401, response.text
