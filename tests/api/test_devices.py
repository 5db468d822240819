"""POST/DELETE /notifications/register-device (§3.9): upsert on the token, moves between users,
Expo token shape, and unregistering only the caller's own token."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import device_tokens
from tests.api.auth_support import MakeUser

URL = "/api/v1/notifications/register-device"


def device(token: str = "ExponentPushToken[abc123]", **fields: Any) -> dict[str, Any]:
    return {
        "fcm_token": token,
        "device_type": "ios",
        "device_id": "iphone-15",
        "timezone": "Europe/Berlin",
        "app_version": "2.4.0",
        "os_version": "17.5",
        **fields,
    }


async def token_row(connection: AsyncConnection, token: str) -> Any:
    return (
        await connection.execute(sa.select(device_tokens).where(device_tokens.c.fcm_token == token))
    ).one_or_none()


async def test_register_stores_an_active_device_and_returns_its_id(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a user
    user = await make_user()
    # When the app registers its push token
    response = await client.post(URL, json=device(), headers=user.headers)
    # Then the device is stored, active, with every field
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    row = await token_row(connection, "ExponentPushToken[abc123]")
    assert str(row.id) == body["device_id"]
    assert (row.user_id, row.device_type, row.device_id, row.timezone) == (
        user.id,
        "ios",
        "iphone-15",
        "Europe/Berlin",
    )
    assert (row.app_version, row.os_version, row.is_active) == ("2.4.0", "17.5", True)
    assert row.last_used_at is not None


async def test_a_user_may_have_several_active_devices(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    for token in ("ExponentPushToken[phone]", "ExpoPushToken[tablet]"):
        assert (await client.post(URL, json=device(token), headers=user.headers)).status_code == 200
    active = await connection.execute(
        sa.select(sa.func.count()).where(device_tokens.c.user_id == user.id, device_tokens.c.is_active)
    )
    assert active.scalar_one() == 2


async def test_registering_again_refreshes_the_same_row(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a registered token
    user = await make_user()
    first = (await client.post(URL, json=device(), headers=user.headers)).json()
    # When the app registers it again after an update
    again = await client.post(
        URL, json=device(app_version="2.5.0", device_type="android"), headers=user.headers
    )
    # Then the same row carries the fresh fields
    assert again.json()["device_id"] == first["device_id"]
    row = await token_row(connection, "ExponentPushToken[abc123]")
    assert (row.app_version, row.device_type) == ("2.5.0", "android")


async def test_a_token_held_by_another_user_moves_to_the_caller_and_is_reactivated(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given B's token, deactivated by Expo
    alice, bob = await make_user(), await make_user()
    await client.post(URL, json=device(), headers=bob.headers)
    await connection.execute(
        sa.update(device_tokens)
        .where(device_tokens.c.fcm_token == "ExponentPushToken[abc123]")
        .values(is_active=False, deactivation_reason="DeviceNotRegistered", deactivated_at=sa.func.now())
    )
    # When A signs in on that phone and registers the same token
    response = await client.post(URL, json=device(device_id="shared-phone"), headers=alice.headers)
    # Then the one row now belongs to A, active, its deactivation cleared
    assert response.status_code == 200
    row = await token_row(connection, "ExponentPushToken[abc123]")
    assert (row.user_id, row.device_id, row.is_active) == (alice.id, "shared-phone", True)
    assert (row.deactivated_at, row.deactivation_reason) == (None, None)


@pytest.mark.parametrize(
    "token",
    [
        "fcm-registration-token",
        "ExponentPushToken[]",
        "ExponentPushToken[abc",
        "ExponentPushToken[ab c]",
        "xExponentPushToken[abc]",
        "ExponentPushToken[abc]x",
    ],
)
async def test_a_token_that_is_not_an_expo_push_token_is_refused(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, token: str
) -> None:
    user = await make_user()
    response = await client.post(URL, json=device(token), headers=user.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_push_token"
    assert await token_row(connection, token) is None


@pytest.mark.parametrize(
    "body",
    [
        device(device_type="web"),
        device(timezone="Mars/Olympus"),
        device(app_version=""),
        device(fcm_token="ExponentPushToken[" + "a" * 300 + "]"),
        device(unexpected="field"),
        {key: value for key, value in device().items() if key != "device_id"},
        device(os_version=17),
        ["not", "an", "object"],
    ],
)
async def test_malformed_registrations_get_422_and_write_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, body: Any
) -> None:
    user = await make_user()
    response = await client.post(URL, json=body, headers=user.headers)
    assert response.status_code == 422
    assert set(response.json()) >= {"detail", "code"}
    count = await connection.execute(
        sa.select(sa.func.count()).select_from(device_tokens).where(device_tokens.c.user_id == user.id)
    )
    assert count.scalar_one() == 0


async def test_unregister_deactivates_the_callers_token(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    await client.post(URL, json=device(), headers=user.headers)
    response = await client.delete(
        URL, params={"fcm_token": "ExponentPushToken[abc123]"}, headers=user.headers
    )
    assert response.status_code == 200
    assert response.json() == {"success": True}
    row = await token_row(connection, "ExponentPushToken[abc123]")
    assert (row.is_active, row.deactivation_reason) == (False, "unregistered")
    assert row.deactivated_at is not None


async def test_another_users_token_answers_404_and_stays_active(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given A's registered token
    alice, bob = await make_user(), await make_user()
    await client.post(URL, json=device(), headers=alice.headers)
    # When B tries to unregister it
    response = await client.delete(
        URL, params={"fcm_token": "ExponentPushToken[abc123]"}, headers=bob.headers
    )
    # Then B gets 404 and A's device keeps receiving pushes
    assert response.status_code == 404
    assert response.json()["code"] == "device_not_found"
    assert (await token_row(connection, "ExponentPushToken[abc123]")).is_active is True


async def test_unregistering_an_unknown_or_missing_token(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    unknown = await client.delete(URL, params={"fcm_token": "ExponentPushToken[nope]"}, headers=user.headers)
    assert unknown.status_code == 404
    missing = await client.delete(URL, headers=user.headers)
    assert missing.status_code == 422


async def test_device_routes_need_a_bearer_token(client: httpx.AsyncClient) -> None:
    assert (await client.post(URL, json=device())).status_code == 401
    assert (await client.delete(URL, params={"fcm_token": "ExponentPushToken[abc123]"})).status_code == 401
