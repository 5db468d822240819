"""Linked accounts (POST /auth/link/google, /auth/link/apple, DELETE /auth/unlink/{provider}): an identity
belongs to one account, an account keeps at least one way to sign in, and callers touch only their own."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import user_identities
from sandbox.jwks.testing import RunningJwksServer
from settings import Settings
from tests.api.auth_support import MakeUser, password_hash
from tests.api.provider_support import apple_claims, google_claims, provider_app
from tests.support.savepoint_database import SavepointDatabase
from tests.support.users import ApiUser


@pytest.fixture
def app(settings: Settings, database: SavepointDatabase, jwks_server: RunningJwksServer) -> Litestar:
    return provider_app(settings, database, jwks_server)


async def password_user(make_user: MakeUser) -> ApiUser:
    return await make_user(email_verified=True, password_hash=password_hash())


async def link_google(client: httpx.AsyncClient, user: ApiUser, token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/link/google", json={"id_token": token}, headers=user.headers)


async def google_only_session(client: httpx.AsyncClient, server: RunningJwksServer) -> dict[str, Any]:
    """An account made by Google sign-in (no password), with the header of its access token."""
    response = await client.post(
        "/api/v1/auth/oauth/google", json={"id_token": server.keys.sign(google_claims())}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return {"user": body["user"], "headers": {"Authorization": f"Bearer {body['access_token']}"}}


async def subjects_of(connection: AsyncConnection, user_id: Any) -> list[str]:
    statement = sa.select(user_identities.c.subject).where(user_identities.c.user_id == user_id)
    return list((await connection.execute(statement)).scalars())


async def test_linking_google_lets_the_account_sign_in_with_it(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer, make_user: MakeUser
) -> None:
    user = await password_user(make_user)
    # A different address than the account's: the link does not depend on the email.
    claims = google_claims()

    linked = await link_google(client, user, jwks_server.keys.sign(claims))
    again = await link_google(client, user, jwks_server.keys.sign(claims))
    signed_in = await client.post(
        "/api/v1/auth/oauth/google", json={"id_token": jwks_server.keys.sign(claims)}
    )

    assert linked.status_code == 200, linked.text
    assert linked.json()["message"] == "Google account linked."
    assert linked.json()["user"]["linked_providers"] == ["google"]
    assert again.status_code == 200
    assert again.json()["message"] == "This Google account was already linked."
    assert signed_in.json()["user"]["id"] == str(user.id)


async def test_linking_apple_reads_the_identity_token(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer, make_user: MakeUser
) -> None:
    user = await password_user(make_user)

    response = await client.post(
        "/api/v1/auth/link/apple",
        json={"identity_token": jwks_server.keys.sign(apple_claims()), "authorization_code": "c0de"},
        headers=user.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["user"]["linked_providers"] == ["apple"]


async def test_an_identity_owned_by_another_account_cannot_be_linked(
    client: httpx.AsyncClient,
    jwks_server: RunningJwksServer,
    make_user: MakeUser,
    connection: AsyncConnection,
) -> None:
    owner, other = await password_user(make_user), await password_user(make_user)
    claims = google_claims()
    await link_google(client, owner, jwks_server.keys.sign(claims))

    response = await link_google(client, other, jwks_server.keys.sign(claims))

    assert response.status_code == 409
    assert response.json()["code"] == "identity_linked_elsewhere"
    assert await subjects_of(connection, owner.id) == [claims["sub"]]
    assert await subjects_of(connection, other.id) == []


async def test_a_second_google_identity_cannot_be_linked_beside_the_first(
    client: httpx.AsyncClient,
    jwks_server: RunningJwksServer,
    make_user: MakeUser,
    connection: AsyncConnection,
) -> None:
    user = await password_user(make_user)
    first = google_claims()
    await link_google(client, user, jwks_server.keys.sign(first))

    response = await link_google(client, user, jwks_server.keys.sign(google_claims()))

    assert response.status_code == 409
    assert response.json()["code"] == "provider_already_linked"
    assert await subjects_of(connection, user.id) == [first["sub"]]


async def test_linking_needs_a_valid_session_and_a_valid_token(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer, make_user: MakeUser
) -> None:
    user = await password_user(make_user)
    token = jwks_server.keys.sign(google_claims())

    anonymous = await client.post("/api/v1/auth/link/google", json={"id_token": token})
    wrong_audience = await link_google(client, user, jwks_server.keys.sign(google_claims(aud="elsewhere")))
    malformed = await client.post("/api/v1/auth/link/google", json={"token": token}, headers=user.headers)

    assert anonymous.status_code == 401
    assert wrong_audience.status_code == 401
    assert wrong_audience.json()["code"] == "invalid_id_token"
    assert malformed.status_code == 422


async def test_the_only_way_to_sign_in_cannot_be_unlinked(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer, connection: AsyncConnection
) -> None:
    session = await google_only_session(client, jwks_server)

    response = await client.delete("/api/v1/auth/unlink/google", headers=session["headers"])

    assert response.status_code == 400
    assert response.json()["code"] == "last_sign_in_method"
    assert len(await subjects_of(connection, session["user"]["id"])) == 1


async def test_a_provider_can_be_unlinked_while_another_provider_remains_but_not_the_last(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer
) -> None:
    session = await google_only_session(client, jwks_server)
    await client.post(
        "/api/v1/auth/link/apple",
        json={"identity_token": jwks_server.keys.sign(apple_claims())},
        headers=session["headers"],
    )

    google = await client.delete("/api/v1/auth/unlink/google", headers=session["headers"])
    apple = await client.delete("/api/v1/auth/unlink/apple", headers=session["headers"])

    assert google.status_code == 200, google.text
    assert google.json()["user"]["linked_providers"] == ["apple"]
    assert apple.status_code == 400
    assert apple.json()["code"] == "last_sign_in_method"


async def test_an_account_with_a_password_can_unlink_its_provider(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer, make_user: MakeUser
) -> None:
    user = await password_user(make_user)
    await link_google(client, user, jwks_server.keys.sign(google_claims()))

    response = await client.delete("/api/v1/auth/unlink/google", headers=user.headers)
    again = await client.delete("/api/v1/auth/unlink/google", headers=user.headers)

    assert response.status_code == 200
    assert response.json()["message"] == "Google account unlinked."
    assert response.json()["user"]["linked_providers"] == []
    assert again.status_code == 404
    assert again.json()["code"] == "provider_not_linked"


async def test_a_user_cannot_unlink_another_users_provider(
    client: httpx.AsyncClient,
    jwks_server: RunningJwksServer,
    make_user: MakeUser,
    connection: AsyncConnection,
) -> None:
    owner, intruder = await password_user(make_user), await password_user(make_user)
    claims = google_claims()
    await link_google(client, owner, jwks_server.keys.sign(claims))

    response = await client.delete("/api/v1/auth/unlink/google", headers=intruder.headers)

    assert response.status_code == 404
    assert await subjects_of(connection, owner.id) == [claims["sub"]]


async def test_an_unknown_provider_is_refused_with_422(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await password_user(make_user)

    response = await client.delete("/api/v1/auth/unlink/facebook", headers=user.headers)

    assert response.status_code == 422
