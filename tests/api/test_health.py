"""Health probes: liveness always answers; readiness names the dependency that failed."""

from __future__ import annotations

import dataclasses

import httpx

from api.app import create_app
from api.health import HealthCheckOut, overall_status
from db.engine import create_engine
from services.messages import MessageSender
from services.transaction import EngineDatabase
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


# --- GET /health: the report the app's system status service parses ----------------------------------


async def test_health_report_is_public_and_ok_when_postgres_and_redis_answer(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/health", params={"force": "true"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert [(check["component"], check["status"]) for check in body["checks"]] == [
        ("postgresql", "ok"),
        ("redis", "ok"),
    ]


async def test_health_report_is_critical_naming_redis_when_redis_is_unreachable(
    settings: Settings, database: SavepointDatabase
) -> None:
    broken = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")
    async with api_client(create_app(broken, database=database)) as client:
        response = await client.get("/health")
    # Never a 5xx: the app reads a 5xx as "offline" without a reason
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "critical"
    by_component = {check["component"]: check for check in body["checks"]}
    assert by_component["postgresql"]["status"] == "ok"
    assert by_component["redis"]["status"] == "critical"
    assert by_component["redis"]["details"].startswith("error")


async def test_health_report_is_critical_naming_postgresql_when_it_is_unreachable(settings: Settings) -> None:
    # Given an app whose database is a real engine pointed where no PostgreSQL listens
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/fitnudge", process_name="test")
    sender = MessageSender.to_redis(settings.redis_url, settings.dramatiq_namespace)
    try:
        async with api_client(create_app(settings, database=EngineDatabase(engine, sender))) as client:
            response = await client.get("/health")
    finally:
        await engine.dispose()
        sender.close()
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "critical"
    by_component = {check["component"]: check["status"] for check in body["checks"]}
    assert by_component == {"postgresql": "critical", "redis": "ok"}


def test_the_worst_check_decides_the_report() -> None:
    ok = HealthCheckOut("postgresql", "ok", "", 3.0)
    slow = HealthCheckOut("redis", "degraded", "slow: 700 ms", 700.0)
    down = HealthCheckOut("redis", "critical", "error: ConnectionError", 1.0)
    assert (overall_status([ok]), overall_status([ok, slow]), overall_status([slow, down])) == (
        "ok",
        "degraded",
        "critical",
    )
