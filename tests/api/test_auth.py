"""Sign-up, login and logout (docs/domain.md §5 "Auth"): sessions, uniqueness, credentials, validation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncConnection

from api.app import create_app
from api.auth.passwords import needs_rehash
from db.tables import refresh_tokens, users
from services.transaction import EngineDatabase
from settings import Settings
from tests.api.auth_support import PASSWORD, MakeUser, password_hash
from tests.support.client import api_client


def signup_body(**overrides: Any) -> dict[str, Any]:
    tag = overrides.pop("tag", "newcomer")
    return {
        "email": f"{tag}@example.com",
        "password": PASSWORD,
        "name": "Ada Lovelace",
        "username": tag,
    } | overrides


async def user_row(connection: AsyncConnection, user_id: UUID | str) -> sa.Row[Any]:
    return (await connection.execute(sa.select(users).where(users.c.id == UUID(str(user_id))))).one()


async def token_rows(connection: AsyncConnection, user_id: UUID | str) -> list[sa.Row[Any]]:
    statement = sa.select(refresh_tokens).where(refresh_tokens.c.user_id == UUID(str(user_id)))
    return list((await connection.execute(statement)).all())


async def test_signup_creates_the_account_and_returns_a_working_session(
    client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    # Given a new person with a phone
    body = signup_body(
        email="Ada@Example.com",
        timezone="Europe/London",
        country="gb",
        device_info={"device_name": "Ada's iPhone", "device_id": "A1", "device_type": "ios"},
    )
    # When they sign up
    response = await client.post("/api/v1/auth/signup", json=body)
    # Then they get 201, tokens and their User, and the access token opens their profile
    assert response.status_code == 201, response.text
    session = response.json()
    user = session["user"]
    assert user["email"] == "ada@example.com"
    assert user["timezone"] == "Europe/London"
    assert user["country"] == "GB"
    assert user["plan"] == "free"
    assert user["has_password"] is True
    assert user["linked_providers"] == []
    assert user["morning_motivation_time"] == "08:00"
    assert user["onboarding_completed_at"] is None
    assert len(user["referral_code"]) == 8
    assert response.headers["cache-control"] == "no-store"
    profile = await client.get(
        "/api/v1/users/profile", headers={"Authorization": f"Bearer {session['access_token']}"}
    )
    assert profile.json()["id"] == user["id"]
    # And the database holds an argon2id hash and only a hash of the refresh token's secret
    row = await user_row(connection, user["id"])
    assert row.password_hash.startswith("$argon2id$")
    [token] = await token_rows(connection, user["id"])
    secret = session["refresh_token"].split(".")[2]
    assert secret not in token.token_hash
    assert (token.device_name, token.device_id, token.device_type) == ("Ada's iPhone", "A1", "ios")
    assert token.expires_at - token.created_at == timedelta(days=30)


async def test_signup_links_a_known_referral_code_and_ignores_an_unknown_one(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a user who shares their referral code
    referrer = await make_user(referral_code="FRIEND22")
    # When one person signs up with it (in lower case) and another with a code nobody has
    referred = await client.post(
        "/api/v1/auth/signup", json=signup_body(tag="referred", referral_code="friend22")
    )
    stranger = await client.post(
        "/api/v1/auth/signup", json=signup_body(tag="stranger", referral_code="NOBODY99")
    )
    # Then the first is linked to the referrer and the second simply has no referrer
    assert (await user_row(connection, referred.json()["user"]["id"])).referred_by_user_id == referrer.id
    assert stranger.status_code == 201
    assert (await user_row(connection, stranger.json()["user"]["id"])).referred_by_user_id is None


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"email": "TAKEN@example.COM", "username": "someone_else"}, "email_taken"),
        ({"email": "someone@example.com", "username": "TAKEN_NAME"}, "username_taken"),
    ],
)
async def test_signup_refuses_a_taken_email_or_username_in_any_case(
    client: httpx.AsyncClient, make_user: MakeUser, overrides: dict[str, str], code: str
) -> None:
    # Given an account with that email and username
    await make_user(email="taken@example.com", username="taken_name")
    # When someone signs up with the same email or username in another case
    response = await client.post("/api/v1/auth/signup", json=signup_body(**overrides))
    # Then it is a 400 naming what is taken
    assert response.status_code == 400
    assert response.json()["code"] == code


@pytest.mark.parametrize(
    "overrides",
    [
        {"email": "not-an-email"},
        {"password": "7chars!"},
        {"password": "x" * 129},
        {"name": "n" * 101},
        {"name": "   "},
        {"username": "no spaces"},
        {"username": "u" * 31},
        {"timezone": "Mars/Olympus_Mons"},
        {"timezone": "localtime"},
        {"country": "GBR"},
        {"device_info": {"device_type": "fridge"}},
        {"device_info": {"device_name": "d" * 101}},
        {"device_info": {"os": "iOS 17"}},
        {"nickname": "unknown field"},
        {"email": None},
    ],
)
async def test_signup_refuses_malformed_input_with_422(
    client: httpx.AsyncClient, overrides: dict[str, Any]
) -> None:
    # Given a sign-up body with one malformed or unknown field
    # When it is posted
    response = await client.post("/api/v1/auth/signup", json=signup_body(**overrides))
    # Then it is a 422 with the error body
    assert response.status_code == 422, overrides
    assert response.json()["code"] in {"validation_error", "invalid_timezone", "name_blank"}


async def test_concurrent_signups_with_one_email_create_one_account_and_never_fail(
    settings: Settings, committed_database: EngineDatabase
) -> None:
    # Given two devices signing up with the same email at the same moment (real commits, real race)
    async with api_client(create_app(settings, database=committed_database)) as client:
        # When both requests run concurrently
        responses = await asyncio.gather(
            client.post(
                "/api/v1/auth/signup", json=signup_body(email="race@example.com", username="racer_one")
            ),
            client.post(
                "/api/v1/auth/signup", json=signup_body(email="RACE@example.com", username="racer_two")
            ),
        )
    # Then one account is created and the other request gets a 400, never a 500
    assert sorted(response.status_code for response in responses) == [201, 400]
    async with committed_database.engine.connect() as connection:
        count = await connection.scalar(sa.select(sa.func.count()).where(users.c.email == "race@example.com"))
    assert count == 1


async def test_login_returns_a_session_and_stamps_last_login(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given an account with a password
    account = await make_user(email="grace@example.com", password_hash=password_hash())
    before = datetime.now(UTC)
    # When its owner logs in with the email in another case
    response = await client.post(
        "/api/v1/auth/login", json={"email": "Grace@Example.com", "password": PASSWORD}
    )
    # Then they get tokens and their User, and last_login_at is set
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == str(account.id)
    assert response.json()["user"]["last_login_at"] is not None
    assert (await user_row(connection, account.id)).last_login_at >= before
    [token] = await token_rows(connection, account.id)
    assert token.expires_at - token.created_at == timedelta(days=30)


async def test_remember_me_lengthens_the_refresh_token_life(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser, settings: Settings
) -> None:
    # Given an account with a password
    account = await make_user(password_hash=password_hash())
    # When its owner logs in with remember_me
    response = await client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": PASSWORD, "remember_me": True}
    )
    # Then the refresh token lives the remember-me lifetime
    assert response.status_code == 200
    [token] = await token_rows(connection, account.id)
    assert token.expires_at - token.created_at == timedelta(days=settings.refresh_token_remember_me_ttl_days)


async def test_wrong_password_and_unknown_email_get_the_same_401(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # Given an account with a password, and one created through Google (no password)
    account = await make_user(password_hash=password_hash())
    google_account = await make_user(auth_provider="google")
    # When someone tries a wrong password, an unknown email, and a password on the Google account
    attempts = [
        {"email": account.email, "password": "wrong password"},
        {"email": "nobody@example.com", "password": PASSWORD},
        {"email": google_account.email, "password": PASSWORD},
    ]
    responses = [await client.post("/api/v1/auth/login", json=attempt) for attempt in attempts]
    # Then every answer is the same 401: nothing tells which emails exist
    assert {(response.status_code, response.text) for response in responses} == {
        (401, '{"detail":"Invalid email or password.","code":"unauthorized"}')
    }


@pytest.mark.parametrize("status", ["disabled", "suspended"])
async def test_login_to_an_inactive_account_is_403_only_with_the_right_password(
    client: httpx.AsyncClient, make_user: MakeUser, status: str
) -> None:
    # Given a disabled or suspended account
    account = await make_user(password_hash=password_hash(), status=status)
    # When its owner logs in with the right password, and someone else with a wrong one
    right = await client.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
    wrong = await client.post("/api/v1/auth/login", json={"email": account.email, "password": "guessing!"})
    # Then the owner learns the status (403) and the guesser learns nothing (401)
    assert right.status_code == 403
    assert (right.json()["code"], right.json()["status"]) == (f"account_{status}", status)
    assert wrong.status_code == 401


async def test_login_upgrades_a_hash_made_with_weaker_parameters(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given an account whose hash was made with cheaper argon2 parameters than today's
    weak_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    account = await make_user(password_hash=weak_hash)
    # When its owner logs in
    response = await client.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
    # Then the stored hash is replaced by one with today's parameters, for the same password
    assert response.status_code == 200
    stored = (await user_row(connection, account.id)).password_hash
    assert stored != weak_hash
    assert not needs_rehash(stored)
    assert PasswordHasher().verify(stored, PASSWORD)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@example.com"},
        {"email": "a@example.com", "password": ""},
        {"email": "a@example.com", "password": "p" * 129},
        {"email": "a@example.com", "password": "password", "remember_me": "yes"},
        {"email": "a@example.com", "password": "password", "captcha": "x"},
    ],
)
async def test_login_refuses_malformed_bodies_with_422(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    # Given a malformed login body / When it is posted
    response = await client.post("/api/v1/auth/login", json=body)
    # Then it is a 422
    assert response.status_code == 422


async def test_logout_revokes_every_refresh_token_of_the_user_only(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # Given a user logged in on two devices, and another user logged in too
    account = await make_user(password_hash=password_hash())
    other = await make_user(password_hash=password_hash())
    credentials = {"email": account.email, "password": PASSWORD}
    phone = (await client.post("/api/v1/auth/login", json=credentials)).json()
    tablet = (await client.post("/api/v1/auth/login", json=credentials)).json()
    bystander = (
        await client.post("/api/v1/auth/login", json={"email": other.email, "password": PASSWORD})
    ).json()
    # When the user logs out on the phone
    response = await client.post(
        "/api/v1/auth/logout", headers={"Authorization": f"Bearer {phone['access_token']}"}
    )
    # Then neither device can refresh any more, while the other user still can
    assert response.status_code == 200
    assert "message" in response.json()
    for session in (phone, tablet):
        refreshed = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
        )
        assert refreshed.status_code == 401
    still = await client.post("/api/v1/auth/refresh", json={"refresh_token": bystander["refresh_token"]})
    assert still.status_code == 200


async def test_logout_needs_a_bearer_token(client: httpx.AsyncClient) -> None:
    # Given no token / When logging out / Then 401
    response = await client.post("/api/v1/auth/logout")
    assert response.status_code == 401
