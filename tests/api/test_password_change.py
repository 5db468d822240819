"""POST /users/change-password and POST /auth/set-password (docs/api.md, "Email and passwords")."""

from __future__ import annotations

from uuid import UUID

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import users
from tests.api.auth_support import PASSWORD, MakeUser, password_hash
from tests.api.email_support import (
    CHANGE_PASSWORD,
    LOGIN,
    NEW_PASSWORD,
    PROFILE,
    REFRESH,
    SET_PASSWORD,
    sign_up,
)


async def stored_hash(connection: AsyncConnection, user_id: UUID | str) -> str | None:
    value: str | None = await connection.scalar(
        sa.select(users.c.password_hash).where(users.c.id == UUID(str(user_id)))
    )
    return value


async def test_changing_the_password_ends_the_other_sessions_and_hands_the_caller_a_new_pair(
    client: httpx.AsyncClient,
) -> None:
    # Given an account signed in on two phones
    phone = await sign_up(client)
    other = await client.post(LOGIN, json={"email": phone.email, "password": PASSWORD})
    other_session = other.json()
    # When one phone changes the password
    response = await client.post(
        CHANGE_PASSWORD,
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=phone.headers,
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["message"] == "Password changed successfully."
    # Then the other phone's access and refresh tokens are refused, and so are the caller's old ones
    other_headers = {"Authorization": f"Bearer {other_session['access_token']}"}
    assert (await client.get(PROFILE, headers=other_headers)).status_code == 401
    assert (
        await client.post(REFRESH, json={"refresh_token": other_session["refresh_token"]})
    ).status_code == 401
    assert (await client.get(PROFILE, headers=phone.headers)).status_code == 401
    # And the pair in the answer carries the caller on
    new_headers = {"Authorization": f"Bearer {answer['access_token']}"}
    assert (await client.get(PROFILE, headers=new_headers)).status_code == 200
    assert (await client.post(REFRESH, json={"refresh_token": answer["refresh_token"]})).status_code == 200
    # And only the new password logs in
    assert (await client.post(LOGIN, json={"email": phone.email, "password": PASSWORD})).status_code == 401
    assert (
        await client.post(LOGIN, json={"email": phone.email, "password": NEW_PASSWORD})
    ).status_code == 200


async def test_a_wrong_current_password_changes_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user(password_hash=password_hash())
    response = await client.post(
        CHANGE_PASSWORD,
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
        headers=user.headers,
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "The current password is incorrect.", "code": "wrong_password"}
    assert await stored_hash(connection, user.id) == password_hash()
    assert (await client.get(PROFILE, headers=user.headers)).status_code == 200


async def test_a_weak_new_password_is_refused(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user(password_hash=password_hash())
    response = await client.post(
        CHANGE_PASSWORD,
        json={"current_password": PASSWORD, "new_password": "NoDigitsHere"},
        headers=user.headers,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "weak_password"
    assert await stored_hash(connection, user.id) == password_hash()


async def test_change_password_needs_a_token_and_a_well_formed_body(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user(password_hash=password_hash())
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert (await client.post(CHANGE_PASSWORD, json=body)).status_code == 401
    for bad in (
        {"current_password": PASSWORD},
        {**body, "user_id": str(user.id)},
        {**body, "new_password": 12345678},
    ):
        response = await client.post(CHANGE_PASSWORD, json=bad, headers=user.headers)
        assert 400 <= response.status_code < 500
        assert set(response.json()) >= {"detail", "code"}


async def test_a_provider_only_account_sets_a_first_password_once(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a Google account without a password
    user = await make_user(auth_provider="google", email_verified=True)
    # Change-password tells it to set one instead
    change = await client.post(
        CHANGE_PASSWORD,
        json={"current_password": "anything", "new_password": NEW_PASSWORD},
        headers=user.headers,
    )
    assert change.status_code == 400
    assert change.json()["code"] == "no_password_set"
    # When it sets a password: {message, user} with has_password, the provider unchanged
    response = await client.post(SET_PASSWORD, json={"new_password": NEW_PASSWORD}, headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["has_password"] is True
    assert response.json()["user"]["auth_provider"] == "google"
    # Then it can log in with it, and cannot set another
    assert (await client.post(LOGIN, json={"email": user.email, "password": NEW_PASSWORD})).status_code == 200
    again = await client.post(SET_PASSWORD, json={"new_password": "Another Passw0rd"}, headers=user.headers)
    assert again.status_code == 400
    assert again.json()["code"] == "password_already_set"


async def test_set_password_acts_on_the_callers_account_only(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    alice = await make_user(auth_provider="google")
    bob = await make_user(auth_provider="google")
    response = await client.post(SET_PASSWORD, json={"new_password": NEW_PASSWORD}, headers=alice.headers)
    assert response.status_code == 200
    assert response.json()["user"]["id"] == str(alice.id)
    assert await stored_hash(connection, bob.id) is None
