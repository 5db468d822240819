"""Health: liveness and readiness probes for the platform, and the report the app polls.

`GET /health` (at the root, public) is what the app's system status service reads: `status` ok,
degraded or critical, and `checks[]` of `{component, status, details}`. It always answers 200 with a
body: the app shows "offline" for any 5xx, so a failing dependency is said in the body instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, Literal

import msgspec
import sqlalchemy as sa
from litestar import Controller, Request, Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from api.resources import AppResources, app_resources

# A readiness probe that hangs is worse than one that fails: the platform keeps routing traffic.
PROBE_TIMEOUT_SECONDS = 2.0
# The app polls /health while a person waits for a screen, so its checks give up sooner.
REPORT_TIMEOUT_SECONDS = 1.0
# A dependency that answers, but slower than this, still serves requests: degraded, not critical.
SLOW_CHECK_MS: Final = 500.0

HealthStatus = Literal["ok", "degraded", "critical"]


class LivenessOut(msgspec.Struct):
    status: str


class ReadinessOut(msgspec.Struct):
    status: str
    postgres: str
    redis: str


class HealthCheckOut(msgspec.Struct):
    component: str
    status: HealthStatus
    details: str
    latency_ms: float


class HealthReportOut(msgspec.Struct):
    status: HealthStatus
    checks: list[HealthCheckOut]


async def _ping_postgres(resources: AppResources) -> None:
    async with resources.database.transaction() as tx:
        await tx.connection.execute(sa.text("SELECT 1"))


async def _ping_redis(resources: AppResources) -> None:
    await resources.redis.ping()


async def _outcome(ping: Awaitable[None], limit_seconds: float) -> str:
    try:
        async with asyncio.timeout(limit_seconds):
            await ping
    except Exception as error:
        return f"error: {type(error).__name__}"
    return "ok"


async def check_postgres(resources: AppResources) -> str:
    return await _outcome(_ping_postgres(resources), PROBE_TIMEOUT_SECONDS)


async def check_redis(resources: AppResources) -> str:
    return await _outcome(_ping_redis(resources), PROBE_TIMEOUT_SECONDS)


async def _timed_check(component: str, ping: Callable[[], Awaitable[None]]) -> HealthCheckOut:
    started = time.perf_counter()
    outcome = await _outcome(ping(), REPORT_TIMEOUT_SECONDS)
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    if outcome != "ok":
        return HealthCheckOut(component, "critical", outcome, latency_ms)
    if latency_ms > SLOW_CHECK_MS:
        return HealthCheckOut(component, "degraded", f"slow: {latency_ms:.0f} ms", latency_ms)
    return HealthCheckOut(component, "ok", "", latency_ms)


def overall_status(checks: Sequence[HealthCheckOut]) -> HealthStatus:
    """The worst check decides. Every request needs PostgreSQL, and every authenticated one Redis
    (the cached access state), so either one down is critical."""
    statuses = {check.status for check in checks}
    if "critical" in statuses:
        return "critical"
    return "degraded" if "degraded" in statuses else "ok"


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get("/")
    async def report(self, request: Request[Any, Any, Any]) -> HealthReportOut:
        """The app's status poll; its `force` query parameter is accepted and changes nothing (no
        report is cached here)."""
        resources = app_resources(request.app)
        checks = await asyncio.gather(
            _timed_check("postgresql", lambda: _ping_postgres(resources)),
            _timed_check("redis", lambda: _ping_redis(resources)),
        )
        return HealthReportOut(status=overall_status(checks), checks=list(checks))

    @get("/live")
    async def live(self) -> LivenessOut:
        return LivenessOut(status="ok")

    @get("/ready")
    async def ready(self, request: Request[Any, Any, Any]) -> Response[ReadinessOut]:
        resources = app_resources(request.app)
        postgres, redis = await asyncio.gather(check_postgres(resources), check_redis(resources))
        healthy = postgres == "ok" and redis == "ok"
        return Response(
            ReadinessOut(status="ok" if healthy else "unavailable", postgres=postgres, redis=redis),
            status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE,
        )
