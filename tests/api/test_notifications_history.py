"""The inbox (§3.10, §5): history pages, opening rows, mark-all-opened, analytics; scoped to the
recipient (another user's row answers 404)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import notification_history
from tests.api.auth_support import MakeUser

HISTORY = "/api/v1/notifications/history"


async def add_inbox_rows(
    connection: AsyncConnection,
    user_id: UUID,
    count: int,
    *,
    notification_type: str = "reminder",
    newest: datetime | None = None,
    opened: bool = False,
) -> list[UUID]:
    """`count` rows one minute apart, newest first in the returned list."""
    newest = newest or datetime.now(UTC)
    rows = [
        {
            "user_id": user_id,
            "notification_type": notification_type,
            "title": f"Title {index}",
            "body": f"Body {index}",
            "data": {"type": notification_type, "deepLink": "/(user)/(tabs)"},
            "sent_at": newest - timedelta(minutes=index),
            "opened_at": newest if opened else None,
        }
        for index in range(count)
    ]
    result = await connection.execute(
        sa.insert(notification_history).returning(notification_history.c.id), rows
    )
    return list(result.scalars())


async def opened_at(connection: AsyncConnection, row_id: UUID) -> datetime | None:
    value: datetime | None = (
        await connection.execute(
            sa.select(notification_history.c.opened_at).where(notification_history.c.id == row_id)
        )
    ).scalar_one()
    return value


async def test_history_pages_newest_first_with_a_cursor_header(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given 5 inbox rows
    user = await make_user()
    ids = await add_inbox_rows(connection, user.id, 5)
    # When the app reads them 2 at a time
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await client.get(HISTORY, params=params, headers=user.headers)
        assert response.status_code == 200
        seen += [row["id"] for row in response.json()]
        pages += 1
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            break
    # Then it sees every row once, newest first, in 3 pages; the last page has no cursor
    assert seen == [str(row_id) for row_id in ids]
    assert pages == 3


async def test_history_rows_have_the_notification_shape(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    await add_inbox_rows(connection, user.id, 1)
    (row,) = (await client.get(HISTORY, headers=user.headers)).json()
    assert set(row) == {
        "id",
        "notification_type",
        "title",
        "body",
        "data",
        "sent_at",
        "delivered_at",
        "opened_at",
        "entity_type",
        "entity_id",
        "created_at",
    }
    assert row["data"] == {"type": "reminder", "deepLink": "/(user)/(tabs)"}


async def test_history_defaults_to_20_rows_and_filters_by_type(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    await add_inbox_rows(connection, user.id, 22)
    achievement_ids = await add_inbox_rows(
        connection, user.id, 2, notification_type="achievement", newest=datetime.now(UTC) - timedelta(days=1)
    )
    default_page = await client.get(HISTORY, headers=user.headers)
    assert len(default_page.json()) == 20
    assert "X-Next-Cursor" in default_page.headers
    filtered = await client.get(HISTORY, params={"notification_type": "achievement"}, headers=user.headers)
    assert [row["id"] for row in filtered.json()] == [str(row_id) for row_id in achievement_ids]
    assert "X-Next-Cursor" not in filtered.headers


async def test_history_honours_offset_only_without_a_cursor(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    ids = await add_inbox_rows(connection, user.id, 4)
    by_offset = await client.get(HISTORY, params={"limit": 2, "offset": 2}, headers=user.headers)
    assert [row["id"] for row in by_offset.json()] == [str(row_id) for row_id in ids[2:]]
    by_page = await client.get(HISTORY, params={"limit": 1, "page": 2}, headers=user.headers)
    assert [row["id"] for row in by_page.json()] == [str(ids[1])]
    first = await client.get(HISTORY, params={"limit": 1}, headers=user.headers)
    with_cursor = await client.get(
        HISTORY,
        params={"limit": 1, "offset": 3, "cursor": first.headers["X-Next-Cursor"]},
        headers=user.headers,
    )
    assert [row["id"] for row in with_cursor.json()] == [str(ids[1])]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 101},
        {"limit": 0},
        {"limit": "many"},
        {"cursor": "not-a-cursor"},
        {"notification_type": "spam"},
        {"offset": -1},
    ],
)
async def test_history_refuses_malformed_parameters(
    client: httpx.AsyncClient, make_user: MakeUser, params: dict[str, Any]
) -> None:
    user = await make_user()
    response = await client.get(HISTORY, params=params, headers=user.headers)
    assert response.status_code == 422
    assert set(response.json()) >= {"detail", "code"}


async def test_history_shows_only_the_callers_rows(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    alice, bob = await make_user(), await make_user()
    await add_inbox_rows(connection, alice.id, 3)
    assert (await client.get(HISTORY, headers=bob.headers)).json() == []


async def test_opening_sets_opened_at_once(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given an unopened row
    user = await make_user()
    (row_id,) = await add_inbox_rows(connection, user.id, 1)
    # When the app reports it opened, twice
    first = await client.post(f"{HISTORY}/{row_id}/opened", headers=user.headers)
    first_opened_at = await opened_at(connection, row_id)
    second = await client.post(f"{HISTORY}/{row_id}/opened", headers=user.headers)
    # Then both succeed and the first instant is kept
    assert (first.status_code, first.json()) == (200, {"success": True})
    assert (second.status_code, second.json()) == (200, {"success": True})
    assert first_opened_at is not None
    assert await opened_at(connection, row_id) == first_opened_at


async def test_opening_another_users_row_answers_404_and_changes_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    alice, bob = await make_user(), await make_user()
    (row_id,) = await add_inbox_rows(connection, alice.id, 1)
    response = await client.post(f"{HISTORY}/{row_id}/opened", headers=bob.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert await opened_at(connection, row_id) is None
    unknown = await client.post(f"{HISTORY}/{uuid4()}/opened", headers=alice.headers)
    assert unknown.status_code == 404


async def test_mark_all_opened_counts_only_the_callers_unopened_rows(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    alice, bob = await make_user(), await make_user()
    await add_inbox_rows(connection, alice.id, 3)
    await add_inbox_rows(connection, alice.id, 2, opened=True, newest=datetime.now(UTC) - timedelta(hours=1))
    bobs = await add_inbox_rows(connection, bob.id, 2)
    response = await client.post(f"{HISTORY}/mark-all-opened", headers=alice.headers)
    assert response.status_code == 200
    assert response.json() == {"success": True, "updated_count": 3}
    again = await client.post(f"{HISTORY}/mark-all-opened", headers=alice.headers)
    assert again.json()["updated_count"] == 0
    assert [await opened_at(connection, row_id) for row_id in bobs] == [None, None]


async def test_analytics_counts_sent_and_opened_per_category(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given 3 reminders (1 opened), 1 opened achievement, and an old row outside the window
    alice, bob = await make_user(), await make_user()
    (opened_reminder, *_rest) = await add_inbox_rows(connection, alice.id, 3)
    await client.post(f"{HISTORY}/{opened_reminder}/opened", headers=alice.headers)
    await add_inbox_rows(connection, alice.id, 1, notification_type="achievement", opened=True)
    await add_inbox_rows(
        connection,
        alice.id,
        1,
        notification_type="weekly_recap",
        newest=datetime.now(UTC) - timedelta(days=40),
    )
    await add_inbox_rows(connection, bob.id, 5)
    # When A asks for analytics
    response = await client.get("/api/v1/notifications/analytics", headers=alice.headers)
    # Then the last 30 days of A's inbox are counted
    assert response.status_code == 200
    assert response.json() == {
        "total_sent": 4,
        "total_opened": 2,
        "open_rate": 50.0,
        "by_category": {
            "achievement": {"sent": 1, "opened": 1, "open_rate": 100.0},
            "reminder": {"sent": 3, "opened": 1, "open_rate": 33.3},
        },
    }
    year = await client.get("/api/v1/notifications/analytics", params={"days": 365}, headers=alice.headers)
    assert year.json()["total_sent"] == 5


async def test_analytics_of_an_empty_inbox(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    response = await client.get("/api/v1/notifications/analytics", headers=user.headers)
    assert response.json() == {"total_sent": 0, "total_opened": 0, "open_rate": 0.0, "by_category": {}}
