"""Deny by default: routes need a valid bearer token unless explicitly public."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
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
