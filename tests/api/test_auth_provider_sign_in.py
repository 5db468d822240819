"""Google and Apple sign-in (POST /auth/oauth/google, /auth/oauth/apple): ID tokens verified against the
provider's key set served over HTTP by the local JWKS server, accounts found, merged or created."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import httpx
import jwt
import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection

from api.app import create_app
from db.tables import user_identities, users
from sandbox.jwks.keys import new_private_key
from sandbox.jwks.testing import RunningJwksServer
from settings import Settings
from tests.api.auth_support import MakeUser, password_hash
from tests.api.provider_support import (
    GOOGLE_CLIENT_IDS,
    apple_claims,
    google_claims,
    provider_app,
    provider_settings,
)
from tests.support.client import api_client
from tests.support.savepoint_database import SavepointDatabase


@pytest.fixture
def app(settings: Settings, database: SavepointDatabase, jwks_server: RunningJwksServer) -> Litestar:
    return provider_app(settings, database, jwks_server)


async def google_sign_in(client: httpx.AsyncClient, token: str, **body: Any) -> httpx.Response:
    return await client.post("/api/v1/auth/oauth/google", json={"id_token": token} | body)


async def identity_count(connection: AsyncConnection) -> int:
    return int(
        (await connection.execute(sa.select(sa.func.count()).select_from(user_identities))).scalar_one()
    )


async def test_a_new_google_identity_creates_a_passwordless_account_and_a_working_session(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer, connection: AsyncConnection
) -> None:
    claims = google_claims()
    response = await google_sign_in(client, jwks_server.keys.sign(claims), device_info={"device_type": "ios"})

    assert response.status_code == 200, response.text
    body = response.json()
    user = body["user"]
    assert user["email"] == claims["email"]
    assert user["auth_provider"] == "google"
    assert user["email_verified"] is True
    assert user["has_password"] is False
    assert user["linked_providers"] == ["google"]
    assert user["name"] == "Grace Hopper"
    profile = await client.get(
        "/api/v1/users/profile", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert profile.json()["id"] == user["id"]
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200

    again = await google_sign_in(client, jwks_server.keys.sign(claims))
    assert again.json()["user"]["id"] == user["id"]
    row = (await connection.execute(sa.select(users).where(users.c.email == claims["email"]))).one()
    assert row.password_hash is None
    assert row.last_login_at is not None


async def test_every_configured_google_client_id_is_an_accepted_audience(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer
) -> None:
    response = await google_sign_in(client, jwks_server.keys.sign(google_claims(aud=GOOGLE_CLIENT_IDS[1])))

    assert response.status_code == 200, response.text


async def test_a_verified_google_email_signs_into_the_account_with_that_verified_email(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer, make_user: MakeUser
) -> None:
    existing = await make_user(email="ada@example.com", email_verified=True, password_hash=password_hash())

    response = await google_sign_in(client, jwks_server.keys.sign(google_claims(email="ADA@example.com")))

    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert user["id"] == str(existing.id)
    assert user["auth_provider"] == "email"
    assert user["linked_providers"] == ["google"]
    assert user["has_password"] is True


@pytest.mark.parametrize(
    ("provider_verified", "account_verified"), [(False, True), (True, False)], ids=["provider", "account"]
)
async def test_an_email_not_verified_on_both_sides_is_never_merged_into_the_existing_account(
    client: httpx.AsyncClient,
    jwks_server: RunningJwksServer,
    make_user: MakeUser,
    connection: AsyncConnection,
    provider_verified: bool,
    account_verified: bool,
) -> None:
    await make_user(email="ada@example.com", email_verified=account_verified, password_hash=password_hash())

    token = jwks_server.keys.sign(google_claims(email="ada@example.com", email_verified=provider_verified))
    response = await google_sign_in(client, token)

    assert response.status_code == 409
    assert response.json()["code"] == "email_in_use"
    assert await identity_count(connection) == 0


async def test_an_unverified_provider_email_makes_an_unverified_account(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer
) -> None:
    response = await google_sign_in(client, jwks_server.keys.sign(google_claims(email_verified=False)))

    assert response.status_code == 200
    assert response.json()["user"]["email_verified"] is False


async def test_a_token_without_an_email_cannot_create_an_account(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer
) -> None:
    claims = google_claims()
    del claims["email"]

    response = await google_sign_in(client, jwks_server.keys.sign(claims))

    assert response.status_code == 400
    assert response.json()["code"] == "email_required"


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"aud": "someone-elses-client"}, id="wrong-audience"),
        pytest.param({"iss": "https://appleid.apple.com"}, id="wrong-issuer"),
        pytest.param({"exp": int(time.time()) - 600, "iat": int(time.time()) - 4200}, id="expired"),
    ],
)
async def test_an_invalid_token_is_refused_with_401_and_creates_nothing(
    client: httpx.AsyncClient,
    jwks_server: RunningJwksServer,
    connection: AsyncConnection,
    claims: dict[str, Any],
) -> None:
    response = await google_sign_in(client, jwks_server.keys.sign(google_claims(**claims)))

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_id_token"
    assert await identity_count(connection) == 0


async def test_a_token_signed_with_another_key_under_a_published_kid_is_refused(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer, connection: AsyncConnection
) -> None:
    # The `kid` of a published key: only the signature tells the forgery from a genuine token.
    forged = jwt.encode(
        google_claims() | {"iat": int(time.time()), "exp": int(time.time()) + 600},
        new_private_key(),
        algorithm="RS256",
        headers={"kid": jwks_server.keys.current_kid},
    )

    response = await google_sign_in(client, forged)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_id_token"
    assert await identity_count(connection) == 0


async def test_a_nonce_is_accepted_once(client: httpx.AsyncClient, jwks_server: RunningJwksServer) -> None:
    token = jwks_server.keys.sign(google_claims(nonce="n-0123456789"))

    first = await google_sign_in(client, token, nonce="n-0123456789")
    replayed = await google_sign_in(client, token, nonce="n-0123456789")

    assert first.status_code == 200, first.text
    assert replayed.status_code == 401
    assert replayed.json()["code"] == "id_token_replayed"


async def test_a_token_whose_nonce_is_not_the_one_sent_is_refused(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer
) -> None:
    token = jwks_server.keys.sign(google_claims(nonce="issued-for-another-request"))

    response = await google_sign_in(client, token, nonce="mine")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_id_token"


async def test_apple_sign_in_creates_the_account_with_the_name_sent_on_first_authorization(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer
) -> None:
    claims = apple_claims()
    body = {
        "identity_token": jwks_server.keys.sign(claims),
        "authorization_code": "c0de",
        "email": None,
        "full_name": {"givenName": "Ada", "familyName": "Lovelace"},
        "referral_code": None,
    }

    response = await client.post("/api/v1/auth/oauth/apple", json=body)

    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert (user["name"], user["auth_provider"], user["email"]) == ("Ada Lovelace", "apple", claims["email"])
    assert user["email_verified"] is True
    assert user["linked_providers"] == ["apple"]


async def test_a_google_token_is_not_an_apple_token(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer
) -> None:
    response = await client.post(
        "/api/v1/auth/oauth/apple", json={"identity_token": jwks_server.keys.sign(google_claims())}
    )

    assert response.status_code == 401


async def test_a_suspended_account_cannot_sign_in_with_its_provider(
    client: httpx.AsyncClient, jwks_server: RunningJwksServer, connection: AsyncConnection
) -> None:
    claims = google_claims()
    created = await google_sign_in(client, jwks_server.keys.sign(claims))
    await connection.execute(
        sa.update(users).where(users.c.email == claims["email"]).values(status="suspended")
    )

    response = await google_sign_in(client, jwks_server.keys.sign(claims))

    assert created.status_code == 200
    assert response.status_code == 403
    assert response.json()["code"] == "account_suspended"


async def test_malformed_sign_in_bodies_are_refused_with_422(client: httpx.AsyncClient) -> None:
    missing = await client.post("/api/v1/auth/oauth/google", json={})
    unknown = await client.post("/api/v1/auth/oauth/google", json={"id_token": "x", "extra": 1})
    not_a_token = await client.post("/api/v1/auth/oauth/google", json={"id_token": "not-a-jwt"})

    assert (missing.status_code, unknown.status_code) == (422, 422)
    assert not_a_token.status_code == 401


async def test_a_provider_without_client_ids_is_refused_as_not_configured(
    settings: Settings, database: SavepointDatabase, jwks_server: RunningJwksServer
) -> None:
    unconfigured = replace(provider_settings(settings, jwks_server), apple_client_ids=())
    token = jwks_server.keys.sign(apple_claims())

    async with api_client(create_app(unconfigured, database=database)) as client:
        response = await client.post("/api/v1/auth/oauth/apple", json={"identity_token": token})

    assert response.status_code == 503
    assert response.json()["code"] == "provider_not_configured"


async def test_a_new_provider_account_records_the_referral_code_it_came_with(
    client: httpx.AsyncClient,
    jwks_server: RunningJwksServer,
    make_user: MakeUser,
    connection: AsyncConnection,
) -> None:
    referrer = await make_user(referral_code="FRIEND22")
    claims = google_claims()

    response = await google_sign_in(client, jwks_server.keys.sign(claims), referral_code="friend22")

    assert response.status_code == 200, response.text
    row = (await connection.execute(sa.select(users).where(users.c.email == claims["email"]))).one()
    assert row.referred_by_user_id == referrer.id
