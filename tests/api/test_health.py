"""Health probes: liveness always answers; readiness names the dependency that failed."""

from __future__ import annotations

import dataclasses

import httpx

from api.app import create_app
from settings import Settings
from tests.support.client import api_client
from tests.support.savepoint_database import SavepointDatabase


async def test_live_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_postgres_and_redis(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "postgres": "ok", "redis": "ok"}


async def test_ready_is_503_naming_redis_when_redis_is_unreachable(
    settings: Settings, database: SavepointDatabase
) -> None:
    # Given a Redis URL where nothing listens
    broken = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")
    async with api_client(create_app(broken, database=database)) as client:
        # When readiness is probed
        response = await client.get("/health/ready")
    # Then it is unavailable and says which dependency failed
    assert response.status_code == 503
    body = response.json()
    assert body["postgres"] == "ok"
    assert body["redis"].startswith("error")
