"""Liveness and readiness probes for the platform's process manager and load balancer."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import sqlalchemy as sa
from litestar import Controller, Request, Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from api.resources import AppResources, app_resources

# A readiness probe that hangs is worse than one that fails: the platform keeps routing traffic.
PROBE_TIMEOUT_SECONDS = 2.0


class Liveness(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str
    postgres: str
    redis: str


async def check_postgres(resources: AppResources) -> str:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS), resources.database.transaction() as tx:
            await tx.connection.execute(sa.text("SELECT 1"))
    except Exception as error:
        return f"error: {type(error).__name__}"
    return "ok"


async def check_redis(resources: AppResources) -> str:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            await resources.redis.ping()
    except Exception as error:
        return f"error: {type(error).__name__}"
    return "ok"


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get("/live")
    async def live(self) -> Liveness:
        return Liveness(status="ok")

    @get("/ready")
    async def ready(self, request: Request[Any, Any, Any]) -> Response[Readiness]:
        resources = app_resources(request.app)
        postgres, redis = await asyncio.gather(check_postgres(resources), check_redis(resources))
        healthy = postgres == "ok" and redis == "ok"
        return Response(
            Readiness(status="ok" if healthy else "unavailable", postgres=postgres, redis=redis),
            status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE,
        )
