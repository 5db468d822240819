"""Access tokens die with the account: deletion, a status change and a new password refuse every token
issued before at once (token version, api/auth/access_states.py), also when Redis lost the cached state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.access_states import DELETED, AccessStates
from api.auth.jwt import issue_access_token
from api.auth.revocation import revoke_access_tokens
from api.resources import app_resources
from db.tables import users
from db.users import AccessState, TokenSubject
from tests.api.auth_support import PASSWORD, MakeUser, password_hash
from tests.support.savepoint_database import SavepointDatabase
from tests.support.users import ApiUser

DEVICE = {
    "fcm_token": "ExponentPushToken[revoked-device]",
    "device_type": "ios",
    "device_id": "phone-1",
    "app_version": "1.0.0",
    "os_version": "17.0",
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def states_of(app: Litestar) -> AccessStates:
    return app_resources(app).access_states


async def every_kind_of_request(client: httpx.AsyncClient, headers: dict[str, str]) -> list[httpx.Response]:
    """Reads, and the writes that would insert rows owned by the user."""
    return [
        await client.get("/api/v1/users/profile", headers=headers),
        await client.get("/api/v1/home/dashboard", headers=headers),
        await client.get("/api/v1/goals", headers=headers),
        await client.get("/api/v1/notifications/preferences", headers=headers),
        await client.put("/api/v1/notifications/preferences", json={"reminders": False}, headers=headers),
        await client.post("/api/v1/notifications/register-device", json=DEVICE, headers=headers),
    ]


def assert_refused(responses: list[httpx.Response], status: int, code: str) -> None:
    for response in responses:
        assert response.status_code == status, (response.request.url.path, response.text)
        assert response.json()["code"] == code
        assert "detail" in response.json()


async def login(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    session: dict[str, Any] = response.json()
    return session


async def set_status(database: SavepointDatabase, app: Litestar, user_id: UUID, status: str) -> None:
    """What a suspend / disable / re-enable action does: the status and the revocation in one unit of work."""
    async with database.transaction() as tx:
        await tx.connection.execute(sa.update(users).where(users.c.id == user_id).values(status=status))
        await revoke_access_tokens(tx, states_of(app), user_id, now=datetime.now(UTC))


async def test_a_deleted_accounts_token_is_401_on_reads_and_writes(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # Given a user whose token works, and a bystander
    user = await make_user()
    bystander = await make_user()
    assert all(response.status_code == 200 for response in await every_kind_of_request(client, user.headers))
    # When the user deletes the account
    assert (await client.delete("/api/v1/users/delete", headers=user.headers)).status_code == 200
    # Then the same token is 401 with the error body everywhere, writes included (no 500, no empty 200)
    responses = await every_kind_of_request(client, user.headers)
    assert_refused(responses, 401, "unauthorized")
    assert all(response.headers["www-authenticate"].startswith("Bearer") for response in responses)
    # And the bystander's token still works
    assert (await client.get("/api/v1/users/profile", headers=bystander.headers)).status_code == 200


@pytest.mark.parametrize("status", ["suspended", "disabled"])
async def test_a_suspended_or_disabled_account_is_403_at_once_and_stays_refused_when_reenabled(
    client: httpx.AsyncClient, database: SavepointDatabase, app: Litestar, make_user: MakeUser, status: str
) -> None:
    # Given a logged-in user
    user = await make_user(password_hash=password_hash())
    session = await login(client, user.email)
    assert (
        await client.get("/api/v1/users/profile", headers=bearer(session["access_token"]))
    ).status_code == 200
    # When the account is suspended or disabled
    await set_status(database, app, user.id, status)
    # Then its tokens get the 403 login gives, with the status as code, and the refresh token is dead
    refusals = await every_kind_of_request(client, bearer(session["access_token"]))
    assert_refused(refusals, 403, f"account_{status}")
    # And each 403 carries the `status` field the app checks to log out
    assert {response.json()["status"] for response in refusals} == {status}
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 401
    # When it is enabled again
    await set_status(database, app, user.id, "active")
    # Then the old token stays refused (401), and a new login works at once
    assert_refused(await every_kind_of_request(client, bearer(session["access_token"])), 401, "unauthorized")
    fresh = await login(client, user.email)
    assert (
        await client.get("/api/v1/users/profile", headers=bearer(fresh["access_token"]))
    ).status_code == 200


async def test_a_new_password_ends_every_session_and_the_next_login_works(
    client: httpx.AsyncClient, database: SavepointDatabase, app: Litestar, make_user: MakeUser
) -> None:
    # Given a user logged in on two devices, and another logged-in user
    user = await make_user(password_hash=password_hash())
    other = await make_user(password_hash=password_hash())
    phone, tablet = await login(client, user.email), await login(client, user.email)
    bystander = await login(client, other.email)
    # When the password changes (what a change-password or reset route does in its unit of work)
    async with database.transaction() as tx:
        await tx.connection.execute(
            sa.update(users).where(users.c.id == user.id).values(password_hash=password_hash() + "x")
        )
        assert await revoke_access_tokens(tx, states_of(app), user.id, now=datetime.now(UTC))
    # Then no access or refresh token of either device works any more
    for session in (phone, tablet):
        assert_refused(
            await every_kind_of_request(client, bearer(session["access_token"])), 401, "unauthorized"
        )
        refreshed = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
        )
        assert refreshed.status_code == 401
    # And the other user's session is untouched
    assert (
        await client.get("/api/v1/users/profile", headers=bearer(bystander["access_token"]))
    ).status_code == 200
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": bystander["refresh_token"]})
    assert refreshed.status_code == 200


async def test_a_session_opened_after_the_revocation_works(
    client: httpx.AsyncClient, database: SavepointDatabase, app: Litestar, make_user: MakeUser
) -> None:
    # Given a user whose tokens were revoked
    user = await make_user(password_hash=password_hash())
    old = await login(client, user.email)
    async with database.transaction() as tx:
        await revoke_access_tokens(tx, states_of(app), user.id, now=datetime.now(UTC))
    # When they log in again and refresh
    new = await login(client, user.email)
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]})
    # Then the new access tokens work and the old one does not
    assert refreshed.status_code == 200
    for token in (new["access_token"], refreshed.json()["access_token"]):
        assert (await client.get("/api/v1/home/dashboard", headers=bearer(token))).status_code == 200
    assert (
        await client.get("/api/v1/home/dashboard", headers=bearer(old["access_token"]))
    ).status_code == 401


async def test_revoking_an_unknown_user_reports_false(
    client: httpx.AsyncClient, database: SavepointDatabase, app: Litestar
) -> None:
    async with database.transaction() as tx:
        assert not await revoke_access_tokens(tx, states_of(app), UUID(int=1), now=datetime.now(UTC))


@pytest.mark.parametrize("change", ["delete", "suspend"])
async def test_a_flushed_cache_is_rebuilt_from_postgresql(
    client: httpx.AsyncClient,
    database: SavepointDatabase,
    app: Litestar,
    redis: aioredis.Redis,
    make_user: MakeUser,
    change: str,
) -> None:
    # Given a revoked user, whose cached state Redis then loses
    user = await make_user()
    if change == "delete":
        assert (await client.delete("/api/v1/users/delete", headers=user.headers)).status_code == 200
    else:
        await set_status(database, app, user.id, "suspended")
    key = states_of(app).key(user.id)
    assert await redis.delete(key) == 1
    # When the old token is presented
    response = await client.get("/api/v1/users/profile", headers=user.headers)
    # Then it is still refused, and the state is cached again, with a TTL
    assert response.status_code == (401 if change == "delete" else 403)
    assert await redis.get(key) == (b"2147483648:deleted" if change == "delete" else b"1:suspended")
    assert await redis.ttl(key) > 0


async def test_a_login_and_a_refresh_cache_the_state_for_the_requests_that_follow(
    client: httpx.AsyncClient, app: Litestar, redis: aioredis.Redis, make_user: MakeUser
) -> None:
    # Given a user with no cached state
    user = await make_user(password_hash=password_hash())
    key = states_of(app).key(user.id)
    # When they log in / Then the state is cached before any authenticated request
    session = await login(client, user.email)
    assert await redis.get(key) == b"0:active"
    # And again after a refresh, once the cached copy was lost
    await redis.delete(key)
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 200
    assert await redis.get(key) == b"0:active"


async def test_a_cached_state_is_served_without_reading_postgresql(
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    app: Litestar,
    redis: aioredis.Redis,
    make_user: MakeUser,
) -> None:
    # Given a user whose state a first request cached
    user = await make_user()
    assert (await client.get("/api/v1/users/profile", headers=user.headers)).status_code == 200
    assert await redis.get(states_of(app).key(user.id)) == b"0:active"
    # When the row alone says "suspended" (no revocation ran, so no cache write)
    await connection.execute(sa.update(users).where(users.c.id == user.id).values(status="suspended"))
    # Then the token is served from the cached state
    assert (await client.get("/api/v1/users/profile", headers=user.headers)).status_code == 200


async def test_a_token_newer_than_the_cached_state_rereads_postgresql(
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    app: Litestar,
    redis: aioredis.Redis,
    make_user: MakeUser,
) -> None:
    # Given a cached state at version 0, and a revocation whose cache write was lost
    old = await make_user()
    assert (await client.get("/api/v1/users/profile", headers=old.headers)).status_code == 200
    await connection.execute(
        sa.update(users).where(users.c.id == old.id).values(token_version=users.c.token_version + 1)
    )
    new = ApiUser(
        id=old.id,
        email=old.email,
        token=issue_access_token(app.state.jwt_auth, TokenSubject(user_id=old.id, token_version=1)),
    )
    # When a token issued after the revocation is presented
    response = await client.get("/api/v1/users/profile", headers=new.headers)
    # Then it works, the newer state is cached, and the old token is refused from then on
    assert response.status_code == 200
    assert await redis.get(states_of(app).key(old.id)) == b"1:active"
    assert (await client.get("/api/v1/users/profile", headers=old.headers)).status_code == 401


async def test_a_stale_state_never_replaces_a_newer_one(
    client: httpx.AsyncClient, app: Litestar, redis: aioredis.Redis, make_user: MakeUser
) -> None:
    # Given a revocation's state cached for a user (version 3), and a deleted user
    user, gone = await make_user(), await make_user()
    states = states_of(app)
    await states.store(user.id, AccessState(token_version=3, status="suspended"))
    await states.store(gone.id, DELETED)
    # When requests that read the rows before the changes fill the cache late
    await states.store(user.id, AccessState(token_version=2, status="active"))
    await states.store(gone.id, AccessState(token_version=5, status="active"))
    # Then the newer states stay; an equal or newer version replaces them
    assert await redis.get(states.key(user.id)) == b"3:suspended"
    assert await redis.get(states.key(gone.id)) == b"2147483648:deleted"
    await states.store(user.id, AccessState(token_version=3, status="active"))
    assert await redis.get(states.key(user.id)) == b"3:active"


async def test_a_refresh_token_issued_under_an_older_version_is_refused(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a session whose refresh token was written while a revocation bumped the version (a login
    # racing a password change: the token row escaped the revocation's UPDATE and is still active)
    user = await make_user(password_hash=password_hash())
    session = await login(client, user.email)
    await connection.execute(
        sa.update(users).where(users.c.id == user.id).values(token_version=users.c.token_version + 1)
    )
    # When it is exchanged / Then 401: its version is not the user's any more
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert response.status_code == 401
    assert response.json()["detail"] == "This session has ended; please log in again."
