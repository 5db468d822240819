"""POST /auth/refresh: rotation within a family, reuse detection, expiry and inactive accounts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.refresh_token_format import new_refresh_token
from db.tables import refresh_tokens, users
from tests.api.auth_support import PASSWORD, MakeUser, password_hash
from tests.support.users import ApiUser


async def logged_in(
    client: httpx.AsyncClient, make_user: MakeUser, **login: Any
) -> tuple[ApiUser, dict[str, Any]]:
    account = await make_user(password_hash=password_hash())
    response = await client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": PASSWORD} | login
    )
    assert response.status_code == 200, response.text
    return account, response.json()


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": token})


async def family_rows(connection: AsyncConnection, token: str) -> list[sa.Row[Any]]:
    family = token.split(".")[0]
    statement = (
        sa.select(refresh_tokens)
        .where(refresh_tokens.c.token_family == family)
        .order_by(refresh_tokens.c.created_at)
    )
    return list((await connection.execute(statement)).all())


async def test_refresh_retires_the_token_and_issues_the_next_in_its_family(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a logged-in user
    account, session = await logged_in(client, make_user)
    # When the app refreshes
    response = await refresh(client, session["refresh_token"])
    # Then it gets a new pair; the old token is dead and the new one is in the same family
    assert response.status_code == 200, response.text
    pair = response.json()
    assert set(pair) == {"access_token", "refresh_token"}
    assert pair["refresh_token"] != session["refresh_token"]
    assert pair["refresh_token"].split(".")[0] == session["refresh_token"].split(".")[0]
    old, new = await family_rows(connection, session["refresh_token"])
    assert (old.is_active, old.last_used_at is not None) == (False, True)
    assert new.is_active
    # And the new access token works
    profile = await client.get(
        "/api/v1/users/profile", headers={"Authorization": f"Bearer {pair['access_token']}"}
    )
    assert profile.json()["id"] == str(account.id)


async def test_rotation_keeps_the_lifetime_chosen_at_login(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a session opened with remember_me
    _, session = await logged_in(client, make_user, remember_me=True)
    # When it is refreshed
    rotated = (await refresh(client, session["refresh_token"])).json()
    # Then the next token lives as long as the first did
    first, second = await family_rows(connection, rotated["refresh_token"])
    assert second.expires_at - second.created_at == first.expires_at - first.created_at == timedelta(days=90)


async def test_reusing_a_retired_token_revokes_the_whole_family(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a session refreshed once (its first token retired), and a second session of the same user
    account, session = await logged_in(client, make_user)
    other_device = (
        await client.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
    ).json()
    rotated = (await refresh(client, session["refresh_token"])).json()
    # When the retired token is presented again (a stolen copy, or the thief's replay)
    reuse = await refresh(client, session["refresh_token"])
    # Then it is refused, and the family's current token is revoked with it (committed despite the 401)
    assert reuse.status_code == 401
    assert reuse.json()["code"] == "unauthorized"
    assert all(not row.is_active for row in await family_rows(connection, session["refresh_token"]))
    assert (await refresh(client, rotated["refresh_token"])).status_code == 401
    # But the user's other session, another family, is untouched
    assert (await refresh(client, other_device["refresh_token"])).status_code == 200


async def test_an_expired_refresh_token_is_401(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a session whose refresh token has expired
    _, session = await logged_in(client, make_user)
    family = session["refresh_token"].split(".")[0]
    await connection.execute(
        sa.update(refresh_tokens)
        .where(refresh_tokens.c.token_family == family)
        .values(
            created_at=sa.func.now() - timedelta(days=31), expires_at=sa.func.now() - timedelta(seconds=1)
        )
    )
    # When it is presented / Then 401
    response = await refresh(client, session["refresh_token"])
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


@pytest.mark.parametrize("status", ["disabled", "suspended"])
async def test_a_disabled_users_refresh_fails(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser, status: str
) -> None:
    # Given a logged-in user whose account is then disabled or suspended
    account, session = await logged_in(client, make_user)
    await connection.execute(sa.update(users).where(users.c.id == account.id).values(status=status))
    # When the app refreshes / Then 401
    assert (await refresh(client, session["refresh_token"])).status_code == 401


async def test_forged_or_malformed_tokens_are_401_and_revoke_nothing(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # Given a real session, and tokens that are garbage, unknown, or carry its ids with a wrong secret
    _, session = await logged_in(client, make_user)
    family, token_id, _ = session["refresh_token"].split(".")
    wrong_secret = f"{family}.{token_id}.{new_refresh_token().secret}"
    for forged in ("garbage", new_refresh_token().value, wrong_secret, ""):
        # When each is presented / Then 401
        assert (await refresh(client, forged)).status_code == 401, forged
    # And knowing the ids without the secret revoked nothing: the real token still works
    assert (await refresh(client, session["refresh_token"])).status_code == 200


@pytest.mark.parametrize("body", [{}, {"refresh_token": 12}, {"refresh_token": "x" * 201}, {"token": "x"}])
async def test_malformed_refresh_bodies_are_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    # Given a malformed body / When posted / Then 422
    assert (await client.post("/api/v1/auth/refresh", json=body)).status_code == 422
