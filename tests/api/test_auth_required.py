"""Deny by default: routes need a valid token in the Bearer scheme unless explicitly public."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from litestar import get
from litestar.connection import Request

from api.app import create_app
from settings import Settings
from tests.support.client import api_client
from tests.support.savepoint_database import SavepointDatabase
from tests.support.users import ApiUser


@get("/api/v1/whoami")
async def whoami(request: Request) -> dict[str, str]:  # type: ignore[type-arg]
    return {"id": str(request.user.id)}


async def test_private_route_needs_a_token_and_public_ones_do_not(
    settings: Settings, database: SavepointDatabase, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    user = await make_user()
    async with api_client(create_app(settings, database=database, extra_route_handlers=[whoami])) as client:
        missing = await client.get("/api/v1/whoami")
        garbage = await client.get("/api/v1/whoami", headers={"Authorization": "Bearer nope"})
        valid = await client.get("/api/v1/whoami", headers=user.headers)
        health = await client.get("/health/live")
    assert missing.status_code == 401
    assert missing.json()["code"] == "unauthorized"
    assert garbage.status_code == 401
    assert valid.json() == {"id": str(user.id)}
    assert health.status_code == 200


async def test_schema_is_public(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "Bearer  "])
async def test_the_bearer_scheme_is_case_insensitive(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]], scheme: str
) -> None:
    # Given a valid token / When it is sent under the Bearer scheme in any case, after one or more spaces
    user = await make_user()
    response = await client.get("/api/v1/users/profile", headers={"Authorization": f"{scheme} {user.token}"})
    # Then it is accepted
    assert response.status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Basic {token}",
        "Token {token}",
        "{token}",
        "Bearer",
        "Bearer ",
        "Bearer {token} {token}",
        "Bearer {token} extra",
        "Bearer\t{token}",
        "Bearer,{token}",
        "",
    ],
)
async def test_anything_but_one_bearer_token_is_401_with_a_challenge(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]], header: str
) -> None:
    # Given a valid token / When it is sent in a malformed Authorization header
    user = await make_user()
    response = await client.get(
        "/api/v1/users/profile", headers={"Authorization": header.format(token=user.token)}
    )
    # Then 401 with the error body and a Bearer challenge
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_refused_token_is_401_with_an_invalid_token_challenge(client: httpx.AsyncClient) -> None:
    # Given a well-formed header whose token is not ours / When it is sent
    response = await client.get("/api/v1/users/profile", headers={"Authorization": "Bearer abc.def.ghi"})
    # Then 401 with the error body, and the challenge says the token was refused
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
