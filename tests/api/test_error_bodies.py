"""Every error carries the machine-readable body of docs/domain.md §1.2, never a bare framework page."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

import httpx
import msgspec
from litestar import post
from litestar.params import JSONBody

from api.app import create_app
from domain.errors import PlanLimitReached
from settings import Settings
from tests.support.client import api_client
from tests.support.savepoint_database import SavepointDatabase


class Echo(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    count: int


@post("/echo", exclude_from_auth=True)
async def echo(data: JSONBody[Echo]) -> Echo:
    return data


@post("/limited", exclude_from_auth=True)
async def limited() -> None:
    raise PlanLimitReached("free plan allows 2 active goals", extra={"limit": 2})


@post("/boom", exclude_from_auth=True)
async def boom() -> None:
    raise RuntimeError("unexpected")


def make_client(
    settings: Settings, database: SavepointDatabase
) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return api_client(create_app(settings, database=database, extra_route_handlers=[echo, limited, boom]))


async def test_unknown_route_is_404_with_code(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "detail" in response.json()


async def test_malformed_and_unknown_fields_are_422(settings: Settings, database: SavepointDatabase) -> None:
    async with make_client(settings, database) as client:
        for body in ({"name": "a"}, {"name": "a", "count": "x"}, {"name": "a", "count": 1, "extra": True}):
            response = await client.post("/echo", json=body)
            assert response.status_code == 422, body
            assert response.json()["code"] == "validation_error"
        not_json = await client.post(
            "/echo", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 422


async def test_domain_errors_map_to_status_and_code(settings: Settings, database: SavepointDatabase) -> None:
    async with make_client(settings, database) as client:
        response = await client.post("/limited")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "free plan allows 2 active goals",
        "code": "plan_limit_reached",
        "limit": 2,
    }


async def test_unexpected_errors_are_500_without_internals(
    settings: Settings, database: SavepointDatabase
) -> None:
    async with make_client(settings, database) as client:
        response = await client.post("/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error", "code": "internal_error"}


async def test_oversized_body_is_413(settings: Settings, database: SavepointDatabase) -> None:
    async with make_client(settings, database) as client:
        response = await client.post(
            "/echo",
            content=b"x" * (settings.request_max_body_bytes + 1),
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
