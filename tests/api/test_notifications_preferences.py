"""GET/PUT /notifications/preferences (§2.5): defaults without a row, partial updates, quiet hours."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import notification_preferences
from tests.api.auth_support import MakeUser

URL = "/api/v1/notifications/preferences"

DEFAULTS = {
    "enabled": True,
    "push_notifications": True,
    "email_notifications": True,
    "ai_motivation": True,
    "reminders": True,
    "achievements": True,
    "reengagement": True,
    "weekly_recap": True,
    "partners": True,
    "challenges": True,
    "quiet_hours_enabled": False,
    "quiet_hours_start": "22:00",
    "quiet_hours_end": "08:00",
}


async def stored_rows(connection: AsyncConnection) -> int:
    return int(
        (
            await connection.execute(sa.select(sa.func.count()).select_from(notification_preferences))
        ).scalar_one()
    )


async def test_defaults_are_served_without_creating_a_row(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    response = await client.get(URL, headers=user.headers)
    assert response.status_code == 200
    assert response.json() == DEFAULTS
    assert await stored_rows(connection) == 0


async def test_put_saves_a_subset_and_keeps_the_rest(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    # Given a user who turns reminders off
    user = await make_user()
    first = await client.put(URL, json={"reminders": False}, headers=user.headers)
    assert first.status_code == 200
    assert first.json() == DEFAULTS | {"reminders": False}
    # When they later set overnight quiet hours only
    second = await client.put(
        URL,
        json={"quiet_hours_enabled": True, "quiet_hours_start": "23:30", "quiet_hours_end": "06:15:59"},
        headers=user.headers,
    )
    # Then both changes hold (seconds are cut) and a fresh read agrees
    expected = DEFAULTS | {
        "reminders": False,
        "quiet_hours_enabled": True,
        "quiet_hours_start": "23:30",
        "quiet_hours_end": "06:15",
    }
    assert second.json() == expected
    assert (await client.get(URL, headers=user.headers)).json() == expected


async def test_every_switch_can_be_turned_off(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    switches = {name: False for name, value in DEFAULTS.items() if isinstance(value, bool) and value}
    response = await client.put(URL, json=switches, headers=user.headers)
    assert response.json() == DEFAULTS | switches


async def test_preferences_are_per_user(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice, bob = await make_user(), await make_user()
    await client.put(URL, json={"enabled": False}, headers=alice.headers)
    assert (await client.get(URL, headers=bob.headers)).json() == DEFAULTS


@pytest.mark.parametrize(
    "body",
    [
        {"quiet_hours_start": "24:00"},
        {"quiet_hours_end": "7pm"},
        {"quiet_hours_start": ""},
        {"reminders": None},
        {"reminders": "no"},
        {"snooze": True},
        ["reminders"],
    ],
)
async def test_malformed_updates_get_422_and_write_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, body: Any
) -> None:
    user = await make_user()
    response = await client.put(URL, json=body, headers=user.headers)
    assert response.status_code == 422
    assert set(response.json()) >= {"detail", "code"}
    assert await stored_rows(connection) == 0


async def test_preferences_need_a_bearer_token(client: httpx.AsyncClient) -> None:
    assert (await client.get(URL)).status_code == 401
    assert (await client.put(URL, json={})).status_code == 401
